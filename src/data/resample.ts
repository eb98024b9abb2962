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
 * (`resample-simd.ts`) where possible, else as JavaScript loops (`resample-passes.ts`); the bytes
 * are equal.
 */

import { ArgumentError, InvalidOptionError } from '../errors.js';
import { positiveInteger } from '../validate.js';
import { type AxisCoefficients, coefficients, horizontalPass, verticalPass } from './resample-passes.js';
import { layout, simdKernels } from './resample-simd.js';

/** The source image of `resizeBilinear` / `resizeBilinearMany`. */
export interface ResizeSource {
  /** Source width in pixels. */
  width: number;
  /** Source height in pixels. */
  height: number;
  /** Interleaved channels per pixel. Default 3. */
  channels?: number;
  /**
   * `simd` runs the passes as WebAssembly SIMD (3-channel images, outputs at least 3 pixels
   * wide), `js` as JavaScript loops; both give identical bytes. Default `auto`: SIMD where it
   * applies and the runtime has it.
   */
  engine?: 'auto' | 'simd' | 'js';
}

/** One output of `resizeBilinearMany`. */
export interface ResizeTarget {
  /** Output width in pixels. */
  outWidth: number;
  /** Output height in pixels. */
  outHeight: number;
  /**
   * Where the output pixels go: exactly outWidth × outHeight × channels bytes, e.g. a row of a
   * dataset being filled. Default: a new array.
   */
  into?: Uint8Array;
}

/** Options of `resizeBilinear`. */
export interface ResizeOptions extends ResizeSource, ResizeTarget {}

/**
 * Resizes an interleaved 8-bit image (row-major, `channels` bytes per pixel) with Pillow's
 * BILINEAR filter and returns the new pixels. Same size in and out returns a copy.
 *
 * @example
 * const face32 = resizeBilinear(crop, { width: 180, height: 180, outWidth: 32, outHeight: 32 });
 */
export function resizeBilinear(pixels: Uint8Array, options: ResizeOptions): Uint8Array {
  return resizeBilinearMany(pixels, options, [options])[0]!;
}

/**
 * `resizeBilinear` to several sizes at once: the source is checked and handed to the SIMD
 * kernels once, and each output can be written straight to its final place (`into`), which
 * spares `prepare` an allocation and a copy per crop. Returns the outputs in `targets` order
 * (the `into` arrays where given).
 *
 * @example
 * const [face32, face227] = resizeBilinearMany(crop, { width: 180, height: 180 }, [
 *   { outWidth: 32, outHeight: 32 },
 *   { outWidth: 227, outHeight: 227 },
 * ]);
 */
export function resizeBilinearMany(
  pixels: Uint8Array,
  source: ResizeSource,
  targets: readonly ResizeTarget[],
): Uint8Array[] {
  const { width, height } = source;
  const channels = source.channels ?? 3;
  const engine = source.engine ?? 'auto';
  positiveInteger('width', width);
  positiveInteger('height', height);
  positiveInteger('channels', channels);
  for (const { outWidth, outHeight, into } of targets) {
    positiveInteger('outWidth', outWidth);
    positiveInteger('outHeight', outHeight);
    if (into && into.length !== outWidth * outHeight * channels) {
      throw new ArgumentError(
        `expected an output of ${outWidth}×${outHeight}×${channels} bytes but received ${into.length}`,
      );
    }
  }
  if (pixels.length !== width * height * channels) {
    throw new ArgumentError(`expected ${width}×${height}×${channels} bytes but received ${pixels.length}`);
  }
  // The SIMD vertical pass works 8 bytes at a time along a row.
  const simdFits = channels === 3 && targets.every((t) => t.outWidth >= 3);
  const kernels = engine !== 'js' && simdFits ? simdKernels() : undefined;
  if (engine === 'simd' && !kernels) {
    throw new InvalidOptionError(
      'engine',
      "'auto' or 'js' (the SIMD engine needs WebAssembly SIMD and a 3-channel image at least 3 pixels wide)",
      engine,
    );
  }
  const plans = targets.map((t) => planPasses(width, height, t.outWidth, t.outHeight));
  if (kernels) return resizeSimd(kernels, pixels, width, targets, plans);

  return targets.map((target, i) => {
    const plan = plans[i]!;
    let out = pixels;
    if (plan.horizontal)
      out = horizontalPass(pixels, width, channels, plan.firstRow, plan.rows, plan.horizontal);
    if (plan.vertical) out = verticalPass(out, target.outWidth, channels, target.outHeight, plan.vertical);
    if (target.into) {
      target.into.set(out);
      return target.into;
    }
    return out === pixels ? pixels.slice() : out;
  });
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

/** Runs every target's passes in the kernels' memory, the source copied in once. */
function resizeSimd(
  kernels: NonNullable<ReturnType<typeof simdKernels>>,
  pixels: Uint8Array,
  width: number,
  targets: readonly ResizeTarget[],
  plans: readonly PassPlan[],
): Uint8Array[] {
  const memory = layout(kernels.memory);
  const src = memory.reserve(pixels.length);
  const place = (axis: AxisCoefficients | undefined) =>
    axis
      ? { bounds: memory.reserve(axis.bounds.byteLength), weights: memory.reserve(axis.weights.byteLength) }
      : undefined;
  const spots = targets.map(({ outWidth, outHeight }, i) => {
    const plan = plans[i]!;
    const middle = plan.horizontal ? memory.reserve(plan.rows * outWidth * 3) : src;
    const out = plan.vertical ? memory.reserve(outHeight * outWidth * 3) : middle;
    return { middle, out, h: place(plan.horizontal), v: place(plan.vertical) };
  });
  const bytes = memory.commit();
  bytes.set(pixels, src);
  const copy = (axis: AxisCoefficients, at: { bounds: number; weights: number }) => {
    bytes.set(new Uint8Array(axis.bounds.buffer), at.bounds);
    bytes.set(new Uint8Array(axis.weights.buffer), at.weights);
  };
  return targets.map(({ outWidth, outHeight, into }, i) => {
    const { horizontal, vertical, firstRow, rows } = plans[i]!;
    const { middle, out, h, v } = spots[i]!;
    if (horizontal && h) {
      copy(horizontal, h);
      kernels.horizontal(src, width, firstRow, rows, middle, outWidth, h.bounds, h.weights, horizontal.size);
    }
    if (vertical && v) {
      copy(vertical, v);
      kernels.vertical(middle, outWidth * 3, out, outHeight, v.bounds, v.weights, vertical.size);
    }
    const result = bytes.subarray(out, out + outHeight * outWidth * 3);
    if (!into) return result.slice();
    into.set(result);
    return into;
  });
}
