/**
 * Image resizing with Pillow's BILINEAR filter, reproduced operation for operation, so facelab's
 * crops equal the reference study's `Image.resize((s, s), Image.BILINEAR)` byte for byte.
 *
 * The kernel is the triangle (tent) function max(0, 1 − |x|). When shrinking by a factor
 * `scale` > 1 the tent is stretched to a support of ±`scale` input pixels, so every input pixel
 * contributes (an antialiasing area filter, not the 2×2 "textbook" bilinear); when enlarging it
 * stays ±1 pixel, which is ordinary bilinear interpolation. Pixel centres sit at (i + 0.5),
 * weights that fall outside the image are dropped and the rest renormalised. Like Pillow, the
 * image is resampled horizontally first, then vertically, with 22-bit fixed-point weights and
 * an 8-bit rounded intermediate image. (sharp's own 'linear' kernel was measured against Pillow
 * and differs: it samples half a pixel off when enlarging.) The passes run as WebAssembly SIMD
 * (`resample-simd.ts`) where possible, else as the JavaScript loops below; the bytes are equal.
 */

import { layout, simdKernels } from './resample-simd.js';

// Pillow's PRECISION_BITS for 8-bit images: 32 - 8 - 2.
const PRECISION_BITS = 22;
const HALF = 1 << (PRECISION_BITS - 1);
const UNIT = 1 << PRECISION_BITS;

/** Per-output-pixel input ranges and fixed-point weights along one axis. */
interface AxisCoefficients {
  /** Weights per output pixel, `size` values each. */
  weights: Int32Array;
  /** For output pixel i: first input index at [2i], number of inputs at [2i + 1]. */
  bounds: Int32Array;
  size: number;
}

/** Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for the bilinear filter. */
function coefficients(inSize: number, outSize: number): AxisCoefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // the tent's support is 1 input pixel, stretched when shrinking
  const size = Math.ceil(support) * 2 + 1;
  const weights = new Int32Array(outSize * size);
  const bounds = new Int32Array(outSize * 2);
  const k = new Float64Array(size);
  const inverse = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C's (int) cast truncates toward zero; the clamp makes the sign moot.
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - center + 0.5) * inverse);
      const w = t < 1 ? 1 - t : 0;
      k[x] = w;
      total += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = total !== 0 ? k[x]! / total : k[x]!;
      weights[xx * size + x] = Math.trunc(w < 0 ? -0.5 + w * UNIT : 0.5 + w * UNIT);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { weights, bounds, size };
}

function clip8(value: number): number {
  if (value <= 0) return 0;
  const shifted = value >> PRECISION_BITS;
  return Math.min(shifted, 255);
}

/** Options of `resizeBilinear`. */
export interface ResizeOptions {
  /** Source width in pixels. */
  width: number;
  /** Source height in pixels. */
  height: number;
  /** Interleaved channels per pixel. Default 3. */
  channels?: number;
  /** Output width in pixels. */
  outWidth: number;
  /** Output height in pixels. */
  outHeight: number;
  /**
   * `simd` runs the passes as WebAssembly SIMD (3-channel images at least 3 pixels wide),
   * `js` as JavaScript loops; both give identical bytes. Default `auto`: SIMD where it applies
   * and the runtime has it.
   */
  engine?: 'auto' | 'simd' | 'js';
}

/**
 * Resizes an interleaved 8-bit image (row-major, `channels` bytes per pixel) with Pillow's
 * BILINEAR filter and returns the new pixels. Same size in and out returns a copy.
 *
 * @example
 * const face32 = resizeBilinear(crop, { width: 180, height: 180, outWidth: 32, outHeight: 32 });
 */
export function resizeBilinear(pixels: Uint8Array, options: ResizeOptions): Uint8Array {
  const { width, height, outWidth, outHeight } = options;
  const channels = options.channels ?? 3;
  const engine = options.engine ?? 'auto';
  for (const [name, value] of Object.entries({ width, height, outWidth, outHeight, channels })) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`Expected a positive integer for ${name} but received ${value}`);
    }
  }
  if (pixels.length !== width * height * channels) {
    throw new RangeError(`expected ${width}×${height}×${channels} bytes but received ${pixels.length}`);
  }
  const plan = planPasses(width, height, outWidth, outHeight);
  // The SIMD vertical pass works 8 bytes at a time along a row.
  const kernels = engine !== 'js' && channels === 3 && outWidth >= 3 ? simdKernels() : undefined;
  if (engine === 'simd' && !kernels) {
    throw new RangeError(
      'the SIMD engine needs WebAssembly SIMD and a 3-channel image at least 3 pixels wide',
    );
  }
  if (kernels) return resizeSimd(kernels, pixels, { width, height, outWidth, outHeight }, plan);

  let source = pixels;
  if (plan.horizontal)
    source = horizontalPass(pixels, width, channels, plan.firstRow, plan.rows, plan.horizontal);
  if (!plan.vertical) return source === pixels ? pixels.slice() : source;
  return verticalPass(source, outWidth, channels, outHeight, plan.vertical);
}

/** Which passes run, their coefficients, and the rows the horizontal pass must cover. */
interface PassPlan {
  horizontal: AxisCoefficients | undefined;
  vertical: AxisCoefficients | undefined;
  firstRow: number;
  rows: number;
}

function planPasses(width: number, height: number, outWidth: number, outHeight: number): PassPlan {
  const vertical = outHeight !== height ? coefficients(height, outHeight) : undefined;
  const horizontal = outWidth !== width ? coefficients(width, outWidth) : undefined;
  let firstRow = 0;
  let last = height;
  if (horizontal && vertical) {
    // Only the rows the vertical pass will read need the horizontal pass.
    firstRow = vertical.bounds[0]!;
    last = vertical.bounds[outHeight * 2 - 2]! + vertical.bounds[outHeight * 2 - 1]!;
    for (let i = 0; i < outHeight; i++) vertical.bounds[i * 2]! -= firstRow;
  }
  return { horizontal, vertical, firstRow, rows: last - firstRow };
}

function resizeSimd(
  kernels: NonNullable<ReturnType<typeof simdKernels>>,
  pixels: Uint8Array,
  size: { width: number; height: number; outWidth: number; outHeight: number },
  plan: PassPlan,
): Uint8Array {
  const { width, outWidth, outHeight } = size;
  const { horizontal, vertical } = plan;
  const memory = layout(kernels.memory);
  const src = memory.reserve(pixels.length);
  const middle = horizontal ? memory.reserve(plan.rows * outWidth * 3) : src;
  const out = vertical ? memory.reserve(outHeight * outWidth * 3) : middle;
  const place = (axis: AxisCoefficients | undefined) =>
    axis
      ? { bounds: memory.reserve(axis.bounds.byteLength), weights: memory.reserve(axis.weights.byteLength) }
      : undefined;
  const h = place(horizontal);
  const v = place(vertical);
  const bytes = memory.commit();
  bytes.set(pixels, src);
  const copy = (axis: AxisCoefficients, at: { bounds: number; weights: number }) => {
    bytes.set(new Uint8Array(axis.bounds.buffer), at.bounds);
    bytes.set(new Uint8Array(axis.weights.buffer), at.weights);
  };
  if (horizontal && h) {
    copy(horizontal, h);
    kernels.horizontal(
      src,
      width,
      plan.firstRow,
      plan.rows,
      middle,
      outWidth,
      h.bounds,
      h.weights,
      horizontal.size,
    );
  }
  if (vertical && v) {
    copy(vertical, v);
    kernels.vertical(middle, outWidth * 3, out, outHeight, v.bounds, v.weights, vertical.size);
  }
  return bytes.slice(out, out + outHeight * outWidth * 3);
}

function horizontalPass(
  src: Uint8Array,
  width: number,
  channels: number,
  firstRow: number,
  rows: number,
  axis: AxisCoefficients,
): Uint8Array {
  const { weights, bounds, size } = axis;
  const outWidth = bounds.length / 2;
  const out = new Uint8Array(rows * outWidth * channels);
  if (channels === 3) {
    // The common case, unrolled over channels: this loop is most of prepare's CPU time.
    let o = 0;
    for (let y = 0; y < rows; y++) {
      const rowStart = (y + firstRow) * width * 3;
      for (let xx = 0; xx < outWidth; xx++) {
        const xmin = bounds[xx * 2]!;
        const n = bounds[xx * 2 + 1]!;
        const kStart = xx * size;
        let s0 = HALF;
        let s1 = HALF;
        let s2 = HALF;
        let p = rowStart + xmin * 3;
        for (let x = 0; x < n; x++, p += 3) {
          const w = weights[kStart + x]!;
          s0 += src[p]! * w;
          s1 += src[p + 1]! * w;
          s2 += src[p + 2]! * w;
        }
        out[o++] = clip8(s0);
        out[o++] = clip8(s1);
        out[o++] = clip8(s2);
      }
    }
    return out;
  }
  let o = 0;
  for (let y = 0; y < rows; y++) {
    const rowStart = (y + firstRow) * width * channels;
    for (let xx = 0; xx < outWidth; xx++) {
      const xmin = bounds[xx * 2]!;
      const n = bounds[xx * 2 + 1]!;
      for (let c = 0; c < channels; c++) {
        let s = HALF;
        for (let x = 0; x < n; x++) s += src[rowStart + (xmin + x) * channels + c]! * weights[xx * size + x]!;
        out[o++] = clip8(s);
      }
    }
  }
  return out;
}

function verticalPass(
  src: Uint8Array,
  width: number,
  channels: number,
  outHeight: number,
  axis: AxisCoefficients,
): Uint8Array {
  const { weights, bounds, size } = axis;
  const stride = width * channels;
  const out = new Uint8Array(outHeight * stride);
  const acc = new Int32Array(stride);
  for (let yy = 0; yy < outHeight; yy++) {
    const n = bounds[yy * 2 + 1]!;
    const k = yy * size;
    const r0 = bounds[yy * 2]! * stride;
    const o = yy * stride;
    // Enlarging (the 227 px crops of small faces) mixes 2 or 3 rows: those cases get loops
    // without the accumulator, twice as fast.
    if (n === 2) {
      const w0 = weights[k]!;
      const w1 = weights[k + 1]!;
      const r1 = r0 + stride;
      for (let i = 0; i < stride; i++) out[o + i] = clip8(HALF + src[r0 + i]! * w0 + src[r1 + i]! * w1);
    } else if (n === 3) {
      const w0 = weights[k]!;
      const w1 = weights[k + 1]!;
      const w2 = weights[k + 2]!;
      const r1 = r0 + stride;
      const r2 = r1 + stride;
      for (let i = 0; i < stride; i++) {
        out[o + i] = clip8(HALF + src[r0 + i]! * w0 + src[r1 + i]! * w1 + src[r2 + i]! * w2);
      }
    } else {
      // Whole rows at a time, so memory is read in order.
      acc.fill(HALF);
      for (let y = 0; y < n; y++) {
        const w = weights[k + y]!;
        const row = r0 + y * stride;
        for (let i = 0; i < stride; i++) acc[i] += src[row + i]! * w;
      }
      for (let i = 0; i < stride; i++) out[o + i] = clip8(acc[i]!);
    }
  }
  return out;
}
