/**
 * Face crops: decode a photo with sharp, cut out the listed face box, resize it to each
 * requested side. Behaviour matches the reference study's
 * `Image.open(f).convert('RGB').crop(box).resize((s, s), Image.BILINEAR)`:
 *
 * - coordinates are in stored-pixel order: EXIF orientation is NOT applied;
 * - embedded ICC profiles are ignored (pixel values are taken as stored, as Pillow does);
 * - alpha is dropped, not composited (Pillow's `convert('RGB')` keeps the colour under a
 *   transparent pixel), and gray is replicated to three channels;
 * - animated or multi-page images use their first frame;
 * - a box that reaches past the image edge is PADDED with black, like Pillow's `crop`; a box
 *   with no pixel inside the image, or an empty box, is an `ImageError`, and so is a box more
 *   than `MAX_BOX_TO_PHOTO` times as wide or tall as the photo (`box too large`). The padded
 *   box is never built: the work is bounded by the output sides and the part of the box inside
 *   the photo (`crop-padded.ts`);
 * - resizing uses Pillow's BILINEAR filter exactly (see `resample.ts`).
 *
 * Images whose header declares more than `maxPixels` pixels are refused before decoding
 * (a "decompression bomb": a small file that would expand to gigabytes).
 */
import sharp from 'sharp';
import { ImageError, InvalidOptionError } from '../errors.js';
import { positiveInteger } from '../validate.js';
import { resizePaddedBox } from './crop-padded.js';
import type { FaceBox } from './face-list.js';
import type { ImageKind } from './image-sniff.js';
import { readPhotoBytes } from './photo-bytes.js';
import { resizeBilinearMany } from './resample.js';

/** Default crop sides in pixels. */
export const DEFAULT_SIDES: readonly number[] = [32, 227];

/**
 * Largest box side, as a multiple of the photo's side, that is cropped. Beyond 4× more than 3/4
 * of the crop's width (or height) would be black padding: such a box is a mistake (a bad list
 * line or `--box`), and cropping it is refused with the reason `box too large`.
 */
export const MAX_BOX_TO_PHOTO = 4;

/** Default pixel limit: 100 megapixels (the largest FaceScrub photo seen is 18 MP). */
export const DEFAULT_MAX_PIXELS = 100_000_000;

/**
 * Why a crop failed; the keys `prepare --json` counts under `failed`.
 * - `not an image`: the bytes are no supported photo format (HTML, SVG, empty…)
 * - `corrupt image`: the header is fine but the pixels do not decode (truncated, damaged)
 * - `decompression bomb`: the declared size exceeds `maxPixels`
 * - `box outside image`: no pixel of the box lies inside the image
 * - `box too large`: the box is more than `MAX_BOX_TO_PHOTO` times as wide or tall as the image
 * - `empty box`: x2 ≤ x1 or y2 ≤ y1, or non-integer coordinates
 * - `missing file`: the photo file cannot be read
 */
export type CropFailureReason =
  | 'not an image'
  | 'corrupt image'
  | 'decompression bomb'
  | 'box outside image'
  | 'box too large'
  | 'empty box'
  | 'missing file';

/** Options of `cropFace`. */
export interface CropOptions {
  /** Output sides in pixels, each crop is side × side. Default `[32, 227]`. */
  sides?: readonly number[];
  /** Refuse images with more pixels than this (width × height). Default 100,000,000. */
  maxPixels?: number;
  /** Names the photo in error messages (e.g. "photos/ab12….jpg (list line 17)"). Default: the path, or "image". */
  source?: string;
  /**
   * Where each side's crop is written, in the order of `sides` (side × side × 3 bytes each),
   * e.g. the photo's rows of the datasets being filled. Default: new arrays.
   */
  into?: readonly Uint8Array[];
}

/** The crops of one photo. */
export interface FaceCrops {
  /** One RGB buffer per requested side, in the order of `sides`: side × side × 3 bytes, HWC. */
  crops: Uint8Array[];
  sides: number[];
  /** Format found from the file's first bytes. */
  format: ImageKind;
  /** True when part of the box lay outside the photo and was filled with black. */
  padded: boolean;
}

/**
 * Crops `box` out of the photo at `input` (a file path or the file's bytes) and resizes it to
 * every side in `options.sides`. Throws `ImageError` (with a `CropFailureReason` as `reason`)
 * for photos or boxes that cannot be used; never anything else for bad input.
 *
 * @example
 * const { crops } = await cropFace('cache/photos/ab12….jpg', { x1: 10, y1: 20, x2: 110, y2: 120 });
 */
export async function cropFace(
  input: string | Uint8Array,
  box: FaceBox,
  options: CropOptions = {},
): Promise<FaceCrops> {
  const sides = [...(options.sides ?? DEFAULT_SIDES)];
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const source = options.source ?? (typeof input === 'string' ? input : 'image');
  const fail = (reason: CropFailureReason, message: string): ImageError =>
    new ImageError(source, reason, message);
  for (const side of sides) positiveInteger('sides', side);
  if (options.into && options.into.length !== sides.length) {
    throw new InvalidOptionError('into', `one output per side (${sides.length})`, options.into.length);
  }
  const { x1, y1, x2, y2 } = box;
  // Safe integers only: beyond 2^53 the box's width would not even be computed exactly.
  if (![x1, y1, x2, y2].every(Number.isSafeInteger) || x2 <= x1 || y2 <= y1) {
    throw fail('empty box', `face box ${x1},${y1},${x2},${y2} is empty or not integers`);
  }

  const { bytes, format } = await readPhotoBytes(input, source);

  // Fast path: the box lies inside the photo, which is true of nearly every list line, so the
  // photo's size is not needed first. Otherwise libvips refuses the area and we look closer.
  // A box wholly left of or above the photo (or absurdly far out) skips it: sharp would refuse
  // a width or height of zero or less with an argument error, not an extract-area one (and
  // libvips prints a GLib CRITICAL for a zero width), which would read as a corrupt photo.
  const left = Math.max(0, x1);
  const top = Math.max(0, y1);
  let region: Buffer | undefined;
  let right = x2;
  let bottom = y2;
  // A box starting left of or above the photo needs the photo's size too (is it too large?).
  const fastPathFits =
    x1 >= 0 &&
    y1 >= 0 &&
    right > left &&
    bottom > top &&
    right <= MAX_BOX_COORDINATE &&
    bottom <= MAX_BOX_COORDINATE;
  if (fastPathFits) {
    try {
      region = await decodeArea(bytes, { left, top, width: right - left, height: bottom - top }, maxPixels);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (!/extract_area|bad extract area|pixel limit/i.test(message)) throw classifyDecodeError(error, fail);
    }
  }
  if (region === undefined) {
    let width: number;
    let height: number;
    try {
      const meta = await sharp(bytes, { ...DECODE_OPTIONS, limitInputPixels: false }).metadata();
      width = meta.width ?? 0;
      height = meta.pageHeight ?? meta.height ?? 0;
    } catch (inner) {
      throw classifyDecodeError(inner, fail);
    }
    if (width * height > maxPixels) {
      throw fail(
        'decompression bomb',
        `decompression bomb: ${width}×${height} = ${width * height} pixels exceeds the limit of ${maxPixels}`,
      );
    }
    const problem = boxProblem(box, width, height);
    if (problem) throw fail(problem.reason, problem.message);
    right = Math.min(width, x2);
    bottom = Math.min(height, y2);
    try {
      region = await decodeArea(bytes, { left, top, width: right - left, height: bottom - top }, maxPixels);
    } catch (inner) {
      throw classifyDecodeError(inner, fail);
    }
  }

  const padded = left !== x1 || top !== y1 || right !== x2 || bottom !== y2;
  const pixels = new Uint8Array(region.buffer, region.byteOffset, region.byteLength);
  if (padded) {
    const crops = resizePaddedBox(pixels, { left, top, right, bottom }, box, sides, options.into);
    return { crops, sides, format, padded };
  }
  const crops = resizeBilinearMany(
    pixels,
    { width: x2 - x1, height: y2 - y1 },
    sides.map((side, i) => ({
      outWidth: side,
      outHeight: side,
      ...(options.into ? { into: options.into[i]! } : {}),
    })),
  );
  return { crops, sides, format, padded };
}

/**
 * Why `box` cannot be cut out of a `width` × `height` photo: 'box too large' (more than
 * `MAX_BOX_TO_PHOTO` times the photo's side), 'box outside image' (no pixel inside it), or
 * undefined when it can. The one rule for every step that takes a face box from a list or a
 * flag (cropping, and anything that works on the box before, such as landmarks), so that an
 * absurd box is a per-line reason everywhere, never an allocation the size of the box.
 */
export function boxProblem(
  box: FaceBox,
  width: number,
  height: number,
): { reason: CropFailureReason; message: string } | undefined {
  const { x1, y1, x2, y2 } = box;
  if (x2 - x1 > MAX_BOX_TO_PHOTO * width || y2 - y1 > MAX_BOX_TO_PHOTO * height) {
    return {
      reason: 'box too large',
      message: `face box ${x1},${y1},${x2},${y2} is more than ${MAX_BOX_TO_PHOTO} times the size of the ${width}×${height} image`,
    };
  }
  if (Math.min(width, x2) <= Math.max(0, x1) || Math.min(height, y2) <= Math.max(0, y1)) {
    return {
      reason: 'box outside image',
      message: `face box ${x1},${y1},${x2},${y2} lies outside the ${width}×${height} image`,
    };
  }
  return undefined;
}

/** Box corners beyond this go to the slow path: no photo is this big, and sharp refuses such sizes as arguments. */
const MAX_BOX_COORDINATE = 100_000_000;

/** How every photo is opened: stored pixels, no ICC, first page; libvips warnings are errors. */
export const DECODE_OPTIONS = {
  failOn: 'warning',
  ignoreIcc: true,
  autoOrient: false,
  pages: 1,
  page: 0,
} as const;

/** Decodes one area of the photo as 8-bit RGB, alpha dropped, gray replicated. */
async function decodeArea(
  bytes: Buffer,
  area: { left: number; top: number; width: number; height: number },
  maxPixels: number,
): Promise<Buffer> {
  const { data, info } = await sharp(bytes, { ...DECODE_OPTIONS, limitInputPixels: maxPixels })
    .extract(area)
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  // (Caught by the callers and classified as a photo that does not decode.)
  if (info.channels !== 3)
    throw new ImageError('photo', 'corrupt image', `decoded to ${info.channels} channels`);
  return data;
}

/** Turns a sharp/libvips failure into an `ImageError` with a reason key (a `CropFailureReason`). */
export function classifyDecodeError(
  error: unknown,
  fail: (reason: CropFailureReason, message: string) => ImageError,
): ImageError {
  const message = error instanceof Error ? error.message : String(error);
  // sharp puts libvips' warnings after its own first line when failOn turns one into an error;
  // the warning says what is wrong ("premature end of JPEG image").
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const line = (/treated as error/i.test(lines[0] ?? '') && lines[1] ? lines[1] : lines[0]) ?? message;
  if (/ENOENT|EACCES|EISDIR|no such file|file is missing/i.test(message))
    return fail('missing file', `cannot read the photo (${line})`);
  if (/pixel limit/i.test(message)) return fail('decompression bomb', `decompression bomb: ${line}`);
  if (/unsupported image format|empty|bad seek|Input buffer is empty/i.test(message)) {
    return fail('not an image', `not a supported image (${line})`);
  }
  return fail('corrupt image', `the image does not decode (${line})`);
}
