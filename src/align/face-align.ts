/**
 * Face alignment: a similarity transform (rotation, uniform scale, translation) from a photo to
 * an upright `side × side` crop, fitted to five of the 68 landmarks, and the crop itself.
 *
 * The rule: the five points (the centre of each eye, the mean of its six landmarks 36–41 and
 * 42–47; the nose tip, 30; the mouth corners, 48 and 54) are fitted by least squares (Umeyama's
 * similarity, no reflection, equal weights) to the template below, scaled by `side`.
 *
 * The template is where those points sit in the FaceScrub study's box crops: the mean over the
 * 580 shared FaceScrub photos of facelab's landmarks in their listed boxes, as fractions of the
 * box's width (x) and height (y), averaged with its mirror image so it is symmetric and its eyes
 * level (`scripts/align-template.ts` measures it; spread across photos ±0.024 for the eyes,
 * ±0.04–0.05 for nose and mouth):
 *
 * | point                              | x      | y      |
 * |------------------------------------|--------|--------|
 * | eye on the left of the crop        | 0.3169 | 0.3832 |
 * | eye on the right of the crop       | 0.6831 | 0.3832 |
 * | nose tip                           | 0.5000 | 0.6173 |
 * | mouth corner on the left           | 0.3416 | 0.7712 |
 * | mouth corner on the right          | 0.6584 | 0.7712 |
 *
 * So an aligned crop frames the face as a box crop of the study does, but upright and at a
 * fixed place and scale. Coordinates are OpenCV's: pixel (i, j) of the photo or crop is the
 * point (i, j); the crop samples the photo bilinearly with black outside it, as
 * `cv2.warpAffine(photo, M, (side, side), flags=INTER_LINEAR, borderValue=0)` does.
 */
import { checkRgbImage, type RgbImage } from '../data/photo-decode.js';
import { InvalidOptionError } from '../errors.js';
import type { Point } from './landmarks.js';

/**
 * A 2 × 3 affine transform, row-major `[a, b, tx, c, d, ty]`: the point (x, y) maps to
 * (a·x + b·y + tx, c·x + d·y + ty) — the matrix `cv2.warpAffine` takes.
 */
export type Affine2x3 = readonly [a: number, b: number, tx: number, c: number, d: number, ty: number];

/** Five template points, as fractions of the crop's side (see the file comment). */
export interface AlignTemplate {
  /** Centre of the eye on the left of the crop (the person's right eye, landmarks 36–41). */
  leftEye: Point;
  /** Centre of the eye on the right of the crop (landmarks 42–47). */
  rightEye: Point;
  /** Nose tip (landmark 30). */
  nose: Point;
  /** Mouth corner on the left of the crop (landmark 48). */
  mouthLeft: Point;
  /** Mouth corner on the right of the crop (landmark 54). */
  mouthRight: Point;
}

/** The default template: the mirrored mean of the 580 FaceScrub photos (see the file comment). */
export const FACESCRUB_TEMPLATE: Readonly<AlignTemplate> = Object.freeze({
  leftEye: { x: 0.3169, y: 0.3832 },
  rightEye: { x: 0.6831, y: 0.3832 },
  nose: { x: 0.5, y: 0.6173 },
  mouthLeft: { x: 0.3416, y: 0.7712 },
  mouthRight: { x: 0.6584, y: 0.7712 },
});

/** Default side of an aligned crop: the face ResNet's input. */
export const DEFAULT_ALIGN_SIDE = 150;

/** Largest side accepted for an aligned crop. */
export const MAX_ALIGN_SIDE = 4096;

/**
 * Landmark coordinates beyond this (in pixels, either sign) are refused: no photo facelab
 * decodes is that large, so such a point is garbage, and squaring it would lose all precision.
 */
export const MAX_LANDMARK_COORDINATE = 1e6;

/** Options of `alignmentTransform` and `alignedCrop`. */
export interface AlignOptions {
  /** Output side in px (an integer, 1–4096), default 150. */
  side?: number;
  /** Where the five points go, as fractions of `side`; default `FACESCRUB_TEMPLATE`. */
  template?: AlignTemplate;
}

/**
 * The 2×3 similarity transform (rotation, uniform scale, translation) from photo to
 * aligned-crop coordinates fitted to the 68 landmarks. Throws `InvalidOptionError` for a bad
 * side, for anything but 68 finite points within ±1e6 px, and for landmarks too close together
 * to give a face (the five fitted points spread over less than a pixel).
 *
 * @example
 * const [a, b, tx, c, d, ty] = alignmentTransform(points, { side: 150 });
 */
export function alignmentTransform(landmarks: readonly Point[], options: AlignOptions = {}): Affine2x3 {
  const side = checkSide(options.side);
  const template = options.template ?? FACESCRUB_TEMPLATE;
  checkLandmarks(landmarks);
  const source = fittedPoints(landmarks);
  const target = [
    template.leftEye,
    template.rightEye,
    template.nose,
    template.mouthLeft,
    template.mouthRight,
  ].map((p, i) => {
    if (!(Number.isFinite(p?.x) && Number.isFinite(p?.y)))
      throw new InvalidOptionError(`template point ${i}`, 'finite x and y', p && `${p.x},${p.y}`);
    return { x: p.x * side, y: p.y * side };
  });
  const n = source.length;
  const sm = centre(source, 0, n);
  const tm = centre(target, 0, n);
  // Least-squares similarity in complex form: t − t̄ ≈ z (s − s̄), z = Σ conj(s')·t' / Σ |s'|².
  let spread = 0;
  let re = 0;
  let im = 0;
  for (let i = 0; i < n; i++) {
    const sx = source[i]!.x - sm.x;
    const sy = source[i]!.y - sm.y;
    const tx = target[i]!.x - tm.x;
    const ty = target[i]!.y - tm.y;
    spread += sx * sx + sy * sy;
    re += sx * tx + sy * ty;
    im += sx * ty - sy * tx;
  }
  if (!(Math.sqrt(spread / n) >= 0.5))
    throw new InvalidOptionError(
      'landmarks',
      'a face at least a pixel across (eyes, nose and mouth apart)',
      `points within ${Math.sqrt(spread / n).toPrecision(3)} px of (${sm.x}, ${sm.y})`,
    );
  const a = re / spread;
  const b = im / spread;
  if (!(a * a + b * b > 0))
    throw new InvalidOptionError(
      'template',
      'five points that are not all in one place',
      JSON.stringify(template),
    );
  return [a, -b, tm.x - a * sm.x + b * sm.y, b, a, tm.y - b * sm.x - a * sm.y];
}

/**
 * The aligned crop: side × side × 3 RGB bytes, bilinear sampling, black outside the photo.
 * Errors as `alignmentTransform`'s, and `InvalidOptionError` for an image that is not
 * `width × height × 3` bytes or for landmarks whose face centre (the mean of the five fitted
 * points) lies outside the photo: such a crop would be mostly black, landmarks of another photo.
 *
 * @example
 * const face = alignedCrop(image, points, { side: 32 });
 */
export function alignedCrop(
  image: RgbImage,
  landmarks: readonly Point[],
  options: AlignOptions = {},
): Uint8Array {
  checkRgbImage(image);
  const side = checkSide(options.side);
  const m = alignmentTransform(landmarks, options);
  const face = centre(fittedPoints(landmarks), 0, 5);
  if (!(face.x >= 0 && face.y >= 0 && face.x <= image.width && face.y <= image.height))
    throw new InvalidOptionError(
      'landmarks',
      `a face centred inside the ${image.width}×${image.height} photo`,
      `a face centred at (${face.x.toFixed(1)}, ${face.y.toFixed(1)})`,
    );
  return warpAffine(image, m, side);
}

/**
 * `side × side` RGB bytes: each output pixel (u, v) is the photo sampled bilinearly at
 * `M⁻¹ (u, v)`, pixels outside the photo black (OpenCV's INTER_LINEAR, BORDER_CONSTANT 0).
 */
export function warpAffine(image: RgbImage, m: Affine2x3, side: number): Uint8Array {
  const [a, b, tx, c, d, ty] = m;
  const det = a * d - b * c;
  if (!(Number.isFinite(det) && det !== 0))
    throw new InvalidOptionError('transform', 'an invertible 2×3 matrix', m.join(','));
  // Inverse: (x, y) = A⁻¹ ((u, v) − t).
  const ia = d / det;
  const ib = -b / det;
  const ic = -c / det;
  const id = a / det;
  const { data, width, height } = image;
  const out = new Uint8Array(side * side * 3);
  const pixel = (x: number, y: number, k: number): number =>
    x >= 0 && x < width && y >= 0 && y < height ? data[(y * width + x) * 3 + k]! : 0;
  const row = width * 3;
  let o = 0;
  for (let v = 0; v < side; v++) {
    for (let u = 0; u < side; u++, o += 3) {
      const x = ia * (u - tx) + ib * (v - ty);
      const y = ic * (u - tx) + id * (v - ty);
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      if (!(x0 >= -1 && y0 >= -1 && x0 < width && y0 < height)) continue;
      const fx = x - x0;
      const fy = y - y0;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < width && y0 + 1 < height) {
        // All four neighbours inside: no bounds checks.
        const i = y0 * row + x0 * 3;
        for (let k = 0; k < 3; k++)
          out[o + k] = Math.round(
            data[i + k]! * w00 +
              data[i + 3 + k]! * w01 +
              data[i + row + k]! * w10 +
              data[i + row + 3 + k]! * w11,
          );
      } else {
        for (let k = 0; k < 3; k++)
          out[o + k] = Math.round(
            pixel(x0, y0, k) * w00 +
              pixel(x0 + 1, y0, k) * w01 +
              pixel(x0, y0 + 1, k) * w10 +
              pixel(x0 + 1, y0 + 1, k) * w11,
          );
      }
    }
  }
  return out;
}

function checkSide(side: number | undefined): number {
  const value = side ?? DEFAULT_ALIGN_SIDE;
  if (!(Number.isInteger(value) && value >= 1 && value <= MAX_ALIGN_SIDE))
    throw new InvalidOptionError('side', `an integer from 1 to ${MAX_ALIGN_SIDE}`, value);
  return value;
}

function checkLandmarks(landmarks: readonly Point[]): void {
  if (!Array.isArray(landmarks) || landmarks.length !== 68)
    throw new InvalidOptionError(
      'landmarks',
      '68 points',
      Array.isArray(landmarks) ? `${landmarks.length} points` : landmarks,
    );
  for (const [i, p] of landmarks.entries()) {
    const ok = (v: unknown): boolean => typeof v === 'number' && Math.abs(v) <= MAX_LANDMARK_COORDINATE;
    if (!(ok(p?.x) && ok(p?.y)))
      throw new InvalidOptionError(
        `landmarks[${i}]`,
        `a point with finite x and y within ±${MAX_LANDMARK_COORDINATE} px`,
        p ? `(${p.x}, ${p.y})` : p,
      );
  }
}

/** The five points the fit uses: eye centres, nose tip, mouth corners (template order). */
function fittedPoints(landmarks: readonly Point[]): Point[] {
  return [
    centre(landmarks, 36, 42),
    centre(landmarks, 42, 48),
    landmarks[30]!,
    landmarks[48]!,
    landmarks[54]!,
  ];
}

/** The mean of points[from…to). */
function centre(points: readonly Point[], from: number, to: number): Point {
  let x = 0;
  let y = 0;
  for (let i = from; i < to; i++) {
    x += points[i]!.x;
    y += points[i]!.y;
  }
  return { x: x / (to - from), y: y / (to - from) };
}
