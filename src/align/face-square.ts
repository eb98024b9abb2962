/**
 * How face-api turns a face box of a photo into the 112 px square its landmark net sees, and
 * how it maps the net's outputs back to photo pixels (`dom/extractFaceTensors.ts`,
 * `NetInput.toBatchTensor`, `ops/padToSquare.ts`, `FaceLandmark68NetBase.postProcess`):
 *
 * 1. the box is cut out with its corner and size floored (`Box.floor`);
 * 2. the cut is padded with black to a square: the short side gets `round(d / 2)` pixels after
 *    the face and `d − round(d / 2)` before it, d the difference of the sides;
 * 3. the square is resized to 112 px with TF's legacy bilinear resize (no align corners, no
 *    half-pixel centres: source = destination × side / 112), kept as float RGB 0–255;
 * 4. back: a net output o (a fraction of the square) becomes `(o × 112 − p) / (s × w) × w` in the
 *    cut, p = d / 2 scaled by s = 112 / max(w, h) — face-api's formula, which assumes the padding
 *    is split evenly (a half-pixel shift when d is odd, kept to give face-api's landmarks) —
 *    plus the cut's corner.
 *
 * One deliberate difference: face-api clips a box reaching outside the photo to the photo
 * (which changes the box's shape and where the face sits in the square) and then shifts the
 * landmarks by the unclipped corner. Here the box is kept as given and the part outside the
 * photo is black, as a photo with a black border would be, so the landmarks stay right.
 * Inside the photo both are the same.
 */
import { InvalidOptionError } from '../errors.js';
import { FEATURE_SIDE } from './face-feature-extractor.js';

/** A face box in photo pixels; floats allowed, x2/y2 exclusive. */
export interface SquareBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** Where the net's square sits in the photo: what `squareToPhoto` needs. */
export interface SquareGeometry {
  /** Photo column and row of the cut's top-left pixel. */
  left: number;
  top: number;
  /** Width and height of the cut in photo pixels. */
  width: number;
  height: number;
}

/** A photo as RGB bytes, HWC (an `RgbImage`). */
interface Pixels {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Box coordinates beyond this (px, either sign) are refused: no decodable photo is that large. */
export const MAX_BOX_COORDINATE = 1e6;

/**
 * The cut of `box` (floored as face-api does) for the photo; throws `InvalidOptionError` naming
 * `what` for a box that is not finite, reaches beyond ±1e6 px, or is less than one pixel wide or high.
 */
export function squareGeometry(box: SquareBox, what = 'box'): SquareGeometry {
  const { x1, y1, x2, y2 } = box;
  if (![x1, y1, x2, y2].every((v) => typeof v === 'number' && Math.abs(v) <= MAX_BOX_COORDINATE))
    throw new InvalidOptionError(
      what,
      `finite x1, y1, x2, y2 within ±${MAX_BOX_COORDINATE} px`,
      `${x1},${y1},${x2},${y2}`,
    );
  const width = Math.floor(x2 - x1);
  const height = Math.floor(y2 - y1);
  if (width < 1 || height < 1)
    throw new InvalidOptionError(what, 'a box at least 1 px wide and high', `${x1},${y1},${x2},${y2}`);
  return { left: Math.floor(x1), top: Math.floor(y1), width, height };
}

/**
 * Writes the net's input for one face into `out` at `offset`: `112 × 112 × 3` floats, RGB
 * 0–255, pixels outside the photo black.
 */
export function writeFaceSquare(
  image: Pixels,
  geometry: SquareGeometry,
  out: Float32Array,
  offset: number,
): void {
  const { left, top, width, height } = geometry;
  const side = Math.max(width, height);
  const diff = Math.abs(width - height);
  const before = diff - Math.round(diff / 2);
  // Photo coordinates of the square's (0, 0).
  const originX = left - (width < height ? before : 0);
  const originY = top - (height < width ? before : 0);
  // Square pixels outside the cut are padding, outside the photo black as well.
  const x0 = Math.max(left, 0);
  const x1 = Math.min(left + width, image.width);
  const y0 = Math.max(top, 0);
  const y1 = Math.min(top + height, image.height);
  const ratio = side / FEATURE_SIDE;
  const { data } = image;
  const rowStride = image.width * 3;
  const columns = new Int32Array(FEATURE_SIDE * 2);
  const columnFrac = new Float64Array(FEATURE_SIDE);
  for (let c = 0; c < FEATURE_SIDE; c++) {
    const source = c * ratio;
    const floor = Math.floor(source);
    columns[2 * c] = originX + floor;
    columns[2 * c + 1] = originX + Math.min(side - 1, Math.ceil(source));
    columnFrac[c] = source - floor;
  }
  const sample = (y: number, x: number, channel: number): number =>
    y >= y0 && y < y1 && x >= x0 && x < x1 ? data[y * rowStride + x * 3 + channel]! : 0;
  let o = offset;
  for (let r = 0; r < FEATURE_SIDE; r++) {
    const source = r * ratio;
    const floor = Math.floor(source);
    const rowTop = originY + floor;
    const rowBottom = originY + Math.min(side - 1, Math.ceil(source));
    const rowFrac = source - floor;
    for (let c = 0; c < FEATURE_SIDE; c++) {
      const left = columns[2 * c]!;
      const right = columns[2 * c + 1]!;
      const frac = columnFrac[c]!;
      for (let k = 0; k < 3; k++) {
        // TF's order: interpolate along the top and bottom rows, then between them.
        const topLeft = sample(rowTop, left, k);
        const upper = topLeft + (sample(rowTop, right, k) - topLeft) * frac;
        const bottomLeft = sample(rowBottom, left, k);
        const lower = bottomLeft + (sample(rowBottom, right, k) - bottomLeft) * frac;
        out[o++] = upper + (lower - upper) * rowFrac;
      }
    }
  }
}

/**
 * Maps the net's 136 outputs for one face (`output` from `offset`) to 68 photo points by
 * face-api's formula (see the file comment).
 */
export function squareToPhoto(
  output: Float32Array,
  offset: number,
  geometry: SquareGeometry,
  count: number,
): { x: number; y: number }[] {
  const { left, top, width, height } = geometry;
  const scale = FEATURE_SIDE / Math.max(width, height);
  const scaledWidth = width * scale;
  const scaledHeight = height * scale;
  const padX = scaledWidth < scaledHeight ? Math.abs(scaledWidth - scaledHeight) / 2 : 0;
  const padY = scaledHeight < scaledWidth ? Math.abs(scaledWidth - scaledHeight) / 2 : 0;
  const points: { x: number; y: number }[] = [];
  for (let i = 0; i < count; i++) {
    const fx = (output[offset + 2 * i]! * FEATURE_SIDE - padX) / scaledWidth;
    const fy = (output[offset + 2 * i + 1]! * FEATURE_SIDE - padY) / scaledHeight;
    points.push({ x: left + fx * width, y: top + fy * height });
  }
  return points;
}
