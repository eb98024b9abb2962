/**
 * Decoding a whole photo to RGB pixels, with the conventions of `cropFace` (so a box found on
 * these pixels is a box of the FaceScrub lists' kind): stored-pixel order (EXIF orientation is
 * NOT applied), embedded ICC profiles ignored, alpha dropped, gray replicated to three channels,
 * the first frame of an animated or multi-page image. Used by face detection and alignment.
 */
import sharp from 'sharp';
import { ImageError, InvalidOptionError } from '../errors.js';
import { classifyDecodeError, DECODE_OPTIONS, DEFAULT_MAX_PIXELS } from './crop.js';
import { readPhotoBytes } from './photo-bytes.js';

/** An RGB image: `width × height × 3` bytes, row by row (HWC), in stored-pixel order. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Throws `InvalidOptionError` naming `what` unless `image` is an `RgbImage` of positive integer
 * sides and `width × height × 3` bytes (what detection and alignment take from callers).
 */
export function checkRgbImage(image: RgbImage, what = 'image'): void {
  const { width, height, data } = image ?? ({} as Partial<RgbImage>);
  if (!(Number.isInteger(width) && width! > 0 && Number.isInteger(height) && height! > 0))
    throw new InvalidOptionError(`${what}.width/height`, 'positive integers', `${width}×${height}`);
  if (!(data instanceof Uint8Array) || data.length !== width! * height! * 3)
    throw new InvalidOptionError(
      `${what}.data`,
      `${width! * height! * 3} RGB bytes (${width}×${height}×3)`,
      data instanceof Uint8Array ? data.length : data,
    );
}

/** Options of `decodePhoto`. */
export interface DecodePhotoOptions {
  /** Refuse photos with more pixels than this (width × height). Default 100,000,000. */
  maxPixels?: number;
  /** Names the photo in error messages. Default: the path, or "image". */
  source?: string;
}

/**
 * Decodes the photo at `input` (a path or the file's bytes). Throws an `ImageError` whose
 * `reason` is a `CropFailureReason` ('missing file', 'not an image', 'corrupt image',
 * 'decompression bomb') for anything that is not a usable photo; never anything else for bad input.
 *
 * @example
 * const { data, width, height } = await decodePhoto('me.jpg');
 */
export async function decodePhoto(
  input: string | Uint8Array,
  options: DecodePhotoOptions = {},
): Promise<RgbImage> {
  const source = options.source ?? (typeof input === 'string' ? input : 'image');
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const fail = (reason: string, message: string): ImageError => new ImageError(source, reason, message);
  const { bytes } = await readPhotoBytes(input, source);
  try {
    const { data, info } = await sharp(bytes, { ...DECODE_OPTIONS, limitInputPixels: maxPixels })
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
    };
  } catch (error) {
    throw classifyDecodeError(error, fail);
  }
}
