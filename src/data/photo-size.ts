/**
 * A photo's size in stored pixels and the centred square inside it: the face box used when a
 * caller has no box (a portrait cropped by hand usually has the face in the middle). Sizes
 * follow `cropFace`'s conventions: EXIF orientation is not applied and a multi-page image is
 * its first page, so a box computed here is cut from the same pixels.
 */
import { open } from 'node:fs/promises';
import sharp from 'sharp';
import { ImageError } from '../errors.js';
import type { FaceBox } from './face-list.js';
import { SNIFF_BYTES, sniffImage } from './image-sniff.js';
import { notAPhoto, unreadablePhoto } from './photo-bytes.js';

/** Width and height of a photo in stored pixels. */
export interface PhotoSize {
  width: number;
  height: number;
}

/**
 * The size of the photo at `path`. Throws an `ImageError` (reason 'missing file', 'not an
 * image' or 'corrupt image', as `cropFace` names them) when it cannot be used.
 *
 * @example
 * const box = centredSquare(await readPhotoSize('me.jpg'));
 */
export async function readPhotoSize(path: string): Promise<PhotoSize> {
  let head: Uint8Array;
  try {
    const handle = await open(path, 'r');
    try {
      head = new Uint8Array(SNIFF_BYTES);
      const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw unreadablePhoto(path, error);
  }
  // Magic bytes first, so SVG, HTML or text never reach the decoder.
  if (sniffImage(head) === undefined) throw notAPhoto(path);
  let width = 0;
  let height = 0;
  try {
    const meta = await sharp(path, { limitInputPixels: false, pages: 1, page: 0 }).metadata();
    width = meta.width ?? 0;
    height = meta.pageHeight ?? meta.height ?? 0;
  } catch (error) {
    const line = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new ImageError(path, 'corrupt image', `the image does not decode (${line})`);
  }
  if (width < 1 || height < 1) throw new ImageError(path, 'corrupt image', 'the image declares no size');
  return { width, height };
}

/**
 * The largest square centred in a `width × height` photo (odd leftovers go right and below).
 *
 * @example centredSquare({ width: 640, height: 480 }) // { x1: 80, y1: 0, x2: 560, y2: 480 }
 */
export function centredSquare(size: PhotoSize): FaceBox {
  const side = Math.min(size.width, size.height);
  const x1 = Math.floor((size.width - side) / 2);
  const y1 = Math.floor((size.height - side) / 2);
  return { x1, y1, x2: x1 + side, y2: y1 + side };
}
