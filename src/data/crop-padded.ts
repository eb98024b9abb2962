/**
 * Resizing a face box that reaches past the photo's edge, without building the padded box.
 *
 * Pillow pads such a box with black and resizes the whole padded box. Black pixels add nothing
 * to the sums of the BILINEAR filter, and a black row of the horizontal pass stays black (its
 * rounding offset is below one grey level), so only the pixels inside the photo need reading:
 * each output pixel's weights are computed over its whole window, normalised exactly as Pillow
 * does, and then only those that fall inside the photo are kept. Memory is the decoded part of
 * the box plus its rows at the output width; it no longer grows with the box's area (a 20000²
 * box used to cost 1.2 GB, a 40000² one could not be allocated at all).
 */
import type { FaceBox } from './face-list.js';
import { type AxisCoefficients, horizontalPass, verticalPass } from './resample-passes.js';

// Pillow's PRECISION_BITS for 8-bit images (see resample-passes.ts).
const UNIT = 1 << 22;

/** The part of a box that lies inside the photo, in photo pixels (`right`, `bottom` exclusive). */
export interface InsideRect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/**
 * Pillow's BILINEAR coefficients for resizing `inSize` pixels to `outSize`, keeping only the
 * inputs in `[first, first + count)`, numbered from `first`. The normalisation still runs over
 * each output pixel's whole window, in Pillow's order, so the kept weights are Pillow's own
 * bit for bit; the cost is the windows' length (about 2 × `inSize`), the memory `outSize` ×
 * at most `count` weights.
 */
export function clippedCoefficients(
  inSize: number,
  outSize: number,
  first: number,
  count: number,
): AxisCoefficients {
  const scale = inSize / outSize;
  const support = Math.max(scale, 1);
  const inverse = 1 / support;
  const size = Math.max(1, Math.min(count, Math.ceil(support) * 2 + 1));
  const weights = new Int32Array(outSize * size);
  const bounds = new Int32Array(outSize * 2);
  const end = first + count;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5));
    let total = 0;
    for (let x = xmin; x < xmax; x++) {
      const t = Math.abs((x - center + 0.5) * inverse);
      total += t < 1 ? 1 - t : 0;
    }
    const from = Math.max(xmin, first);
    const to = Math.min(xmax, end);
    for (let x = from; x < to; x++) {
      const t = Math.abs((x - center + 0.5) * inverse);
      const k = t < 1 ? 1 - t : 0;
      const w = total !== 0 ? k / total : k;
      weights[xx * size + (x - from)] = Math.trunc(w < 0 ? -0.5 + w * UNIT : 0.5 + w * UNIT);
    }
    bounds[xx * 2] = to > from ? from - first : 0;
    bounds[xx * 2 + 1] = Math.max(0, to - from);
  }
  return { weights, bounds, size };
}

/**
 * Resizes `box`, padded with black where it leaves the photo, to side × side for every side,
 * from `region`: the RGB pixels of `inside` (the box's part inside the photo). Equals Pillow's
 * `crop(box).resize((side, side), BILINEAR)` byte for byte; see the module comment.
 */
export function resizePaddedBox(
  region: Uint8Array,
  inside: InsideRect,
  box: FaceBox,
  sides: readonly number[],
  into?: readonly Uint8Array[],
): Uint8Array[] {
  const regionWidth = inside.right - inside.left;
  const regionHeight = inside.bottom - inside.top;
  const boxWidth = box.x2 - box.x1;
  const boxHeight = box.y2 - box.y1;
  return sides.map((side, i) => {
    // An identity pass (box side = output side) is exact too: each weight is then one UNIT.
    const horizontal = clippedCoefficients(boxWidth, side, inside.left - box.x1, regionWidth);
    const vertical = clippedCoefficients(boxHeight, side, inside.top - box.y1, regionHeight);
    const rows = horizontalPass(region, regionWidth, 3, 0, regionHeight, horizontal);
    const out = verticalPass(rows, side, 3, side, vertical);
    const target = into?.[i];
    if (!target) return out;
    target.set(out);
    return target;
  });
}
