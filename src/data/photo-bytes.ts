/**
 * The first step of every whole-photo read (`cropFace`, `decodePhoto`): the file's bytes, from a
 * path or as given, and their sniffed format, so that SVG, PDF, HTML… are refused before any
 * decoder sees them. The whole file is read once, for the sniff and for sharp: no second open
 * for the header, and less CPU than sharp reading the path itself in small chunks (about 15%
 * less, measured on the 580 shared photos).
 */
import { readFile } from 'node:fs/promises';
import { ImageError } from '../errors.js';
import { type ImageKind, SNIFF_BYTES, sniffImage } from './image-sniff.js';

/** A photo's whole file and its format. */
export interface PhotoBytes {
  /** The file's bytes (a view of the caller's bytes when bytes were given: not copied). */
  bytes: Buffer;
  /** The format its leading bytes declare. */
  format: ImageKind;
}

/** The error for a photo file that cannot be read ('missing file', with the system's code). */
export function unreadablePhoto(source: string, error: unknown): ImageError {
  const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message ?? String(error);
  return new ImageError(source, 'missing file', `cannot read the photo (${reason})`);
}

/** The error for bytes that are no photo format facelab reads ('not an image'). */
export function notAPhoto(source: string): ImageError {
  return new ImageError(
    source,
    'not an image',
    'the bytes are not a JPEG, PNG, GIF, WebP, TIFF or BMP photo',
  );
}

/**
 * Reads the photo at `input` (a path, or the file's bytes) and sniffs its format. Throws an
 * `ImageError` naming `source` with the reason 'missing file' when the path cannot be read
 * (the message gives the system's error code) or 'not an image' when the bytes are no JPEG,
 * PNG, GIF, WebP, TIFF or BMP.
 *
 * @example
 * const { bytes, format } = await readPhotoBytes('me.jpg', 'me.jpg'); // format 'jpeg'
 */
export async function readPhotoBytes(input: string | Uint8Array, source: string): Promise<PhotoBytes> {
  let bytes: Buffer;
  try {
    bytes =
      typeof input === 'string'
        ? await readFile(input)
        : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  } catch (error) {
    throw unreadablePhoto(source, error);
  }
  const format = sniffImage(bytes.subarray(0, SNIFF_BYTES));
  if (format === undefined) {
    throw notAPhoto(source);
  }
  return { bytes, format };
}
