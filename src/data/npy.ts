/**
 * NumPy `.npy` arrays (format version 1.0 written; 1.0, 2.0 and 3.0 read), so prepared datasets
 * open with `numpy.load` and NumPy-made arrays open in facelab. Only C-order, little-endian
 * arrays of the dtypes below are supported, which is what `facelab prepare` writes.
 *
 * Format: the magic `\x93NUMPY`, two version bytes, the header length, then an ASCII Python
 * dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with spaces
 * and a newline so the data starts on a 64-byte boundary, then the raw element bytes.
 * See https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
import { endianness } from 'node:os';
import { FacelabError, FileFormatError, InvalidOptionError } from '../errors.js';

/**
 * The element storage of an array, which also decides its NumPy dtype: `Uint8Array` ↔ `|u1`,
 * `Int32Array` ↔ `<i4`, `BigInt64Array` ↔ `<i8`, `Float32Array` ↔ `<f4`, `Float64Array` ↔ `<f8`,
 * `string[]` ↔ `<U<n>` (fixed-width unicode, n = longest string in code points, at least 1).
 */
export type NpyData = Uint8Array | Int32Array | BigInt64Array | Float32Array | Float64Array | string[];

/** An n-dimensional array in C (row-major) order. */
export interface NpyArray<D extends NpyData = NpyData> {
  data: D;
  /** Dimensions; their product must equal `data.length`. `[]` is a scalar of one element. */
  shape: number[];
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;

if (endianness() !== 'LE') {
  // Typed arrays use the platform byte order and every dtype here is little-endian.
  throw new FacelabError('facelab .npy support needs a little-endian platform');
}

/** The NumPy dtype string `data` is written as. */
export function npyDescr(data: NpyData): string {
  if (Array.isArray(data)) {
    let width = 1;
    for (const item of data) width = Math.max(width, codePointLength(item));
    return `<U${width}`;
  }
  if (data instanceof Uint8Array) return '|u1';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof BigInt64Array) return '<i8';
  if (data instanceof Float32Array) return '<f4';
  return '<f8';
}

/** Encodes one array as the bytes of a `.npy` file. */
export function encodeNpy(array: NpyArray): Uint8Array {
  const { header, body } = encodeNpyParts(array);
  const out = new Uint8Array(header.length + body.length);
  out.set(header, 0);
  out.set(body, header.length);
  return out;
}

/**
 * The `.npy` file of one array as two pieces, header and element bytes, so large arrays can be
 * written without copying them. `body` is a view of `array.data` for numeric arrays.
 */
export function encodeNpyParts(array: NpyArray): { header: Uint8Array; body: Uint8Array } {
  const { data, shape } = array;
  const count = shape.reduce((a, b) => a * b, 1);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0) || count !== data.length) {
    throw new InvalidOptionError(
      'shape',
      `dimensions whose product is ${data.length}`,
      `(${shape.join(', ')})`,
    );
  }
  const descr = npyDescr(data);
  const header = npyHeader(descr, shape);
  const body = Array.isArray(data) ? encodeUnicode(data, Number(descr.slice(2))) : bytesOf(data);
  return { header, body };
}

/**
 * The header of a `.npy` file (format 1.0) of dtype `descr` (e.g. `|u1`) and `shape`: the
 * element bytes follow it. Lets an array be written before its elements exist.
 */
export function npyHeader(descr: string, shape: readonly number[]): Uint8Array {
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new InvalidOptionError('shape', 'non-negative integers', `(${shape.join(', ')})`);
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = MAGIC.length + 4 + dict.length + 1;
  dict += `${' '.repeat((ALIGN - (unpadded % ALIGN)) % ALIGN)}\n`;
  if (dict.length > 0xffff)
    throw new InvalidOptionError('shape', 'a .npy 1.0 header under 64 KiB', shape.length);

  const header = new Uint8Array(MAGIC.length + 4 + dict.length);
  header.set(MAGIC, 0);
  header[6] = 1; // major version
  header[7] = 0; // minor version
  header[8] = dict.length & 0xff;
  header[9] = dict.length >>> 8;
  for (let i = 0; i < dict.length; i++) header[10 + i] = dict.charCodeAt(i);
  return header;
}

/**
 * Decodes the bytes of a `.npy` file. `source` names the file in error messages.
 * Throws a `FileFormatError` for anything that is not a supported `.npy` array. `bytes` may be any
 * view (a Node `Buffer`, a `subarray`); numeric data whose offset suits its dtype is returned
 * as a view sharing memory with `bytes`, other data is copied.
 */
export function decodeNpy(bytes: Uint8Array, source: string): NpyArray {
  const fail = (why: string): FileFormatError =>
    new FileFormatError(source, `not a readable .npy array (${why})`);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw fail('bad magic');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw fail('truncated header');
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw fail(`format version ${major}.${bytes[7]}`);
  }
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) throw fail('truncated header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(headerStart, dataStart),
  );
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw fail('bad header');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw fail(`bad shape (${shapeText})`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (fortran === 'True' && shape.filter((d) => d > 1).length > 1)
    throw fail('Fortran order is not supported');

  const payload = bytes.subarray(dataStart);
  const unicode = /^[<|]U(\d+)$/.exec(descr);
  if (unicode) {
    const width = Number(unicode[1]);
    if (payload.length < count * width * 4) throw fail('truncated data');
    return { data: decodeUnicode(payload, count, width), shape };
  }
  const kind = DTYPES[descr.replace(/^=/, '<')];
  if (!kind) throw fail(`unsupported dtype '${descr}'`);
  const byteLength = count * kind.BYTES_PER_ELEMENT;
  if (payload.length < byteLength) throw fail('truncated data');
  return { data: typedView(kind, payload, count), shape };
}

/**
 * `count` elements of `kind` read from the start of `payload`. `payload` may be a view into a
 * larger buffer (a Node `Buffer` usually is: a slice of a shared pool), so its `byteOffset`
 * counts. Aligned data is viewed in place; misaligned data (a typed array must start on a
 * multiple of its element size) is copied to a buffer of its own.
 */
function typedView(kind: TypedCtor, payload: Uint8Array, count: number): NpyData {
  const byteLength = count * kind.BYTES_PER_ELEMENT;
  if (payload.byteOffset % kind.BYTES_PER_ELEMENT === 0) {
    // (A SharedArrayBuffer works the same at run time; the cast only satisfies the ctor union.)
    return new kind(payload.buffer as ArrayBuffer, payload.byteOffset, count);
  }
  // Uint8Array.prototype.slice copies even for a Buffer (whose own slice() would not).
  const copy = Uint8Array.prototype.slice.call(payload, 0, byteLength);
  return new kind(copy.buffer, copy.byteOffset, count);
}

type TypedCtor =
  | Uint8ArrayConstructor
  | Int32ArrayConstructor
  | BigInt64ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor;

const DTYPES: Record<string, TypedCtor> = {
  '|u1': Uint8Array,
  '<u1': Uint8Array,
  '|b1': Uint8Array,
  '<i4': Int32Array,
  '<i8': BigInt64Array,
  '<f4': Float32Array,
  '<f8': Float64Array,
};

function bytesOf(data: Exclude<NpyData, string[]>): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Fixed-width UTF-32LE, zero-padded: NumPy's `<U<width>` layout. */
function encodeUnicode(items: string[], width: number): Uint8Array {
  const out = new Uint32Array(items.length * width);
  items.forEach((text, i) => {
    let j = i * width;
    for (const ch of text) out[j++] = ch.codePointAt(0)!;
  });
  return new Uint8Array(out.buffer);
}

function decodeUnicode(payload: Uint8Array, count: number, width: number): string[] {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const items: string[] = [];
  for (let i = 0; i < count; i++) {
    const points: number[] = [];
    for (let j = 0; j < width; j++) {
      const cp = view.getUint32((i * width + j) * 4, true);
      if (cp === 0) break;
      points.push(cp);
    }
    items.push(String.fromCodePoint(...points));
  }
  return items;
}
