/**
 * WebAssembly SIMD versions of the two passes of `resample.ts`, five to seven times faster than
 * the JavaScript loops on face crops (the passes were most of `prepare`'s CPU time). They do
 * the same 32-bit integer arithmetic, so their output is identical byte for byte; tests check
 * that against the JavaScript passes and against Pillow.
 *
 * The module is tiny, so it is assembled here from its instructions when first used: no build
 * step, no binary file in the repository. Instruction numbers are those of the WebAssembly 2.0
 * specification (SIMD opcodes follow the 0xFD prefix). The compiled module is kept for the
 * life of the process, with one growing memory; calls are synchronous, so they never overlap.
 */

/**
 * The slice of the WebAssembly API used here. The project's TypeScript setup (ES2023 lib, Node
 * 20 types) does not declare the `WebAssembly` global, so it is typed locally.
 */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}

/** The two passes over pixels in the module's memory (all arguments are byte offsets or counts). */
interface Kernels {
  /** 3-channel horizontal pass: `rows` rows of `width` pixels from row `firstRow` → `outWidth`. */
  horizontal(
    src: number,
    width: number,
    firstRow: number,
    rows: number,
    out: number,
    outWidth: number,
    bounds: number,
    weights: number,
    kernelSize: number,
  ): void;
  /** Vertical pass over rows of `stride` bytes (stride ≥ 8) → `outHeight` rows. */
  vertical(
    src: number,
    stride: number,
    out: number,
    outHeight: number,
    bounds: number,
    weights: number,
    kernelSize: number,
  ): void;
  memory: WasmMemory;
}

const uleb = (value: number): number[] => {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
};
const sleb = (value: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && !(byte & 0x40)) || (value === -1 && byte & 0x40)) return [...out, byte];
    out.push(byte | 0x80);
  }
};

const I32 = 0x7f;
const V128 = 0x7b;
const get = (local: number) => [0x20, ...uleb(local)];
const set = (local: number) => [0x21, ...uleb(local)];
const tee = (local: number) => [0x22, ...uleb(local)];
const i32 = (value: number) => [0x41, ...sleb(value)];
const load = (offset: number) => [0x28, 2, ...uleb(offset)]; // i32.load align=4
const simd = (code: number, ...immediates: number[]) => [0xfd, ...uleb(code), ...immediates];
const ADD = [0x6a];
const SUB = [0x6b];
const MUL = [0x6c];
const GE_S = [0x4e];
const GE_U = [0x4f];
const GT_S = [0x4a];
const SELECT = [0x1b];
const END = [0x0b];
/** `block loop … end end`: `br_if 1` leaves, `br 0` repeats. */
const loop = (exitWhen: number[], body: number[]) => [
  0x02,
  0x40,
  0x03,
  0x40,
  ...exitWhen,
  0x0d,
  1,
  ...body,
  0x0c,
  0,
  ...END,
  ...END,
];
const increment = (local: number, by: number) => [...get(local), ...i32(by), ...ADD, ...set(local)];

const LOAD32_ZERO = simd(0x5c, 0, 0);
const LOAD64_ZERO = simd(0x5d, 0, 0);
const STORE32_LANE0 = simd(0x5a, 0, 0, 0);
const STORE64_LANE0 = simd(0x5b, 0, 0, 0);
const SPLAT = simd(0x11); // i32x4.splat
const WIDEN_U8 = simd(0x89); // i16x8.extend_low_i8x16_u
const WIDEN_LOW_U16 = simd(0xa9); // i32x4.extend_low_i16x8_u
const WIDEN_HIGH_U16 = simd(0xaa); // i32x4.extend_high_i16x8_u
const V_ADD = simd(0xae); // i32x4.add
const V_MUL = simd(0xb5); // i32x4.mul
const V_SHR = simd(0xac); // i32x4.shr_s
const NARROW_32 = simd(0x85); // i16x8.narrow_i32x4_s
const NARROW_16U = simd(0x66); // i8x16.narrow_i16x8_u: saturates to 0–255, which is Pillow's clip8

const HALF = 1 << 21; // rounding term of the 22-bit fixed-point weights
const SHIFT = 22;

/** Pillow's clip8 on lanes of `acc` (a v128 local) after the shift, leaving bytes on the stack. */
const toBytes = (acc: number, scratch: number) => [
  ...get(acc),
  ...i32(SHIFT),
  ...V_SHR,
  ...tee(scratch),
  ...get(scratch),
  ...NARROW_32,
  ...tee(scratch),
  ...get(scratch),
  ...NARROW_16U,
];

// horizontal(src 0, width 1, firstRow 2, rows 3, out 4, outWidth 5, bounds 6, weights 7, size 8)
// locals: y 9, xx 10, p 11, k 12, end 13, rowStart 14, o 15 (i32); acc 16 (v128)
// One output pixel per step: lanes r, g, b and a spare that picks up the next pixel's red.
const horizontal = [
  ...get(4),
  ...set(15),
  ...i32(0),
  ...set(9),
  ...loop(
    [...get(9), ...get(3), ...GE_S],
    [
      ...[...get(0), ...get(9), ...get(2), ...ADD, ...get(1), ...MUL, ...i32(3), ...MUL, ...ADD, ...set(14)],
      ...i32(0),
      ...set(10),
      ...loop(
        [...get(10), ...get(5), ...GE_S],
        [
          // p = rowStart + 3·bounds[2xx]; end = p + 3·bounds[2xx+1]; k = weights + 4·size·xx
          ...[
            ...get(14),
            ...get(6),
            ...get(10),
            ...i32(8),
            ...MUL,
            ...ADD,
            ...load(0),
            ...i32(3),
            ...MUL,
            ...ADD,
            ...tee(11),
          ],
          ...[
            ...get(6),
            ...get(10),
            ...i32(8),
            ...MUL,
            ...ADD,
            ...load(4),
            ...i32(3),
            ...MUL,
            ...ADD,
            ...set(13),
          ],
          ...[...get(7), ...get(10), ...get(8), ...MUL, ...i32(4), ...MUL, ...ADD, ...set(12)],
          ...[...i32(HALF), ...SPLAT, ...set(16)],
          ...loop(
            [...get(11), ...get(13), ...GE_U],
            [
              ...[...get(16), ...get(11), ...LOAD32_ZERO, ...WIDEN_U8, ...WIDEN_LOW_U16],
              ...[...get(12), ...load(0), ...SPLAT, ...V_MUL, ...V_ADD, ...set(16)],
              ...increment(11, 3),
              ...increment(12, 4),
            ],
          ),
          // Stores 4 bytes; the 4th is overwritten by the next pixel (buffers carry slack).
          ...[...get(15), ...toBytes(16, 16), ...STORE32_LANE0],
          ...increment(15, 3),
          ...increment(10, 1),
        ],
      ),
      ...increment(9, 1),
    ],
  ),
  ...END,
];

// vertical(src 0, stride 1, out 2, outHeight 3, bounds 4, weights 5, size 6)
// locals: yy 7, i 8, at 9, p 10, k 11, y 12, n 13, rowBase 14, outRow 15, kBase 16, last 17 (i32);
//         low 18, high 19, pixels 20, weight 21 (v128)
// Eight bytes per step; the last step of a row is moved back to end at the row's end.
const vertical = [
  ...[...get(1), ...i32(8), ...SUB, ...set(17)],
  ...i32(0),
  ...set(7),
  ...loop(
    [...get(7), ...get(3), ...GE_S],
    [
      ...[
        ...get(0),
        ...get(4),
        ...get(7),
        ...i32(8),
        ...MUL,
        ...ADD,
        ...load(0),
        ...get(1),
        ...MUL,
        ...ADD,
        ...set(14),
      ],
      ...[...get(4), ...get(7), ...i32(8), ...MUL, ...ADD, ...load(4), ...set(13)],
      ...[...get(5), ...get(7), ...get(6), ...MUL, ...i32(4), ...MUL, ...ADD, ...set(16)],
      ...[...get(2), ...get(7), ...get(1), ...MUL, ...ADD, ...set(15)],
      ...i32(0),
      ...set(8),
      ...loop(
        [...get(8), ...get(1), ...GE_S],
        [
          ...[...get(17), ...get(8), ...get(8), ...get(17), ...GT_S, ...SELECT, ...set(9)], // at = min(i, last)
          ...[...i32(HALF), ...SPLAT, ...tee(18), ...set(19)],
          ...[...get(14), ...get(9), ...ADD, ...set(10)],
          ...[...get(16), ...set(11)],
          ...i32(0),
          ...set(12),
          ...loop(
            [...get(12), ...get(13), ...GE_S],
            [
              ...[...get(11), ...load(0), ...SPLAT, ...set(21)],
              ...[...get(10), ...LOAD64_ZERO, ...WIDEN_U8, ...set(20)],
              ...[...get(18), ...get(20), ...WIDEN_LOW_U16, ...get(21), ...V_MUL, ...V_ADD, ...set(18)],
              ...[...get(19), ...get(20), ...WIDEN_HIGH_U16, ...get(21), ...V_MUL, ...V_ADD, ...set(19)],
              ...[...get(10), ...get(1), ...ADD, ...set(10)],
              ...increment(11, 4),
              ...increment(12, 1),
            ],
          ),
          ...[...get(15), ...get(9), ...ADD],
          ...[
            ...get(18),
            ...i32(SHIFT),
            ...V_SHR,
            ...get(19),
            ...i32(SHIFT),
            ...V_SHR,
            ...NARROW_32,
            ...tee(20),
          ],
          ...[...get(20), ...NARROW_16U, ...STORE64_LANE0],
          ...increment(8, 8),
        ],
      ),
      ...increment(7, 1),
    ],
  ),
  ...END,
];

function moduleBytes(): Uint8Array {
  const vector = (items: number[][]) => [...uleb(items.length), ...items.flat()];
  const name = (text: string) => [...uleb(text.length), ...[...text].map((c) => c.charCodeAt(0))];
  const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
  const code = (i32Locals: number, v128Locals: number, instructions: number[]) => {
    const body = [
      ...vector([
        [...uleb(i32Locals), I32],
        [...uleb(v128Locals), V128],
      ]),
      ...instructions,
    ];
    return [...uleb(body.length), ...body];
  };
  const signature = (params: number) => [0x60, ...vector(Array.from({ length: params }, () => [I32])), 0];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // \0asm, version 1
    ...section(1, vector([signature(9), signature(7)])), // types
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])), // memory import, min 1 page
    ...section(3, vector([[0], [1]])), // functions
    ...section(
      7,
      vector([
        [...name('horizontal'), 0x00, 0],
        [...name('vertical'), 0x00, 1],
      ]),
    ), // exports
    ...section(10, vector([code(7, 1, horizontal), code(11, 4, vertical)])), // code
  ]);
}

let kernels: Kernels | null | undefined;

/** The compiled kernels, or undefined when this runtime lacks WebAssembly SIMD. */
export function simdKernels(): Kernels | undefined {
  if (kernels === undefined) {
    const bytes = moduleBytes();
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (wasm === undefined || !wasm.validate(bytes)) {
      kernels = null;
    } else {
      const memory = new wasm.Memory({ initial: 1 });
      const instance = new wasm.Instance(new wasm.Module(bytes), { env: { memory } });
      kernels = { ...(instance.exports as unknown as Omit<Kernels, 'memory'>), memory };
    }
  }
  return kernels ?? undefined;
}

/**
 * A bump allocator over the kernels' memory for one call: `reserve` returns offsets (16-byte
 * aligned, each with 16 bytes of slack for the kernels' wide loads and stores), `commit` grows
 * the memory to fit and returns a fresh byte view (growing detaches earlier views).
 */
export function layout(memory: WasmMemory): { reserve(bytes: number): number; commit(): Uint8Array } {
  let end = 0;
  return {
    reserve(bytes: number): number {
      const at = end;
      end += (bytes + 16 + 15) & ~15;
      return at;
    },
    commit(): Uint8Array {
      const missing = Math.ceil(end / 65536) - memory.buffer.byteLength / 65536;
      if (missing > 0) memory.grow(missing);
      return new Uint8Array(memory.buffer);
    },
  };
}
