/**
 * The arithmetic of Pillow's BILINEAR resize (see `resample.ts`): the per-axis coefficients,
 * in Pillow's 22-bit fixed point, and the two passes as JavaScript loops. The WebAssembly
 * kernels of `resample-simd.ts` run the same passes on the same coefficients.
 */

// Pillow's PRECISION_BITS for 8-bit images: 32 - 8 - 2.
const PRECISION_BITS = 22;
const HALF = 1 << (PRECISION_BITS - 1);
const UNIT = 1 << PRECISION_BITS;

/** Per-output-pixel input ranges and fixed-point weights along one axis. */
export interface AxisCoefficients {
  /** Weights per output pixel, `size` values each. */
  weights: Int32Array;
  /** For output pixel i: first input index at [2i], number of inputs at [2i + 1]. */
  bounds: Int32Array;
  size: number;
}

/** Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for the bilinear filter. */
export function coefficients(inSize: number, outSize: number): AxisCoefficients {
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

/**
 * Horizontal pass: `rows` rows of `src` (`width` pixels each, from row `firstRow`) resampled
 * to `axis`'s output width, rounded to 8 bits as Pillow's intermediate image is.
 */
export function horizontalPass(
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

/** Vertical pass: rows of `width` pixels resampled to `outHeight` rows with `axis`. */
export function verticalPass(
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
        for (let i = 0; i < stride; i++) acc[i] = acc[i]! + src[row + i]! * w;
      }
      for (let i = 0; i < stride; i++) out[o + i] = clip8(acc[i]!);
    }
  }
  return out;
}
