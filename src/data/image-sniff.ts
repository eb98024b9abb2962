/**
 * Image type detection by magic bytes. A server's Content-Type is not trusted: dead links often
 * answer 200 with an HTML page labelled `image/jpeg`, so only the first bytes of the body decide.
 */

/** Image formats a downloaded photo may have. */
export type ImageKind = 'jpeg' | 'png' | 'gif' | 'webp' | 'bmp' | 'tiff';

/** File extension used in the cache for each kind (`photos/<sha256>.<ext>`). */
export const IMAGE_EXTENSIONS: Readonly<Record<ImageKind, string>> = {
  jpeg: 'jpg',
  png: 'png',
  gif: 'gif',
  webp: 'webp',
  bmp: 'bmp',
  tiff: 'tif',
};

/** How many leading bytes `sniffImage` needs to decide every kind (WebP's `RIFF????WEBP`). */
export const SNIFF_BYTES = 12;

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * The image kind of a body from its first bytes, or `undefined` when they are not one of the
 * known image signatures (HTML, JSON, text, an empty or too short body…).
 *
 * @param head at least `SNIFF_BYTES` bytes of the body when the body is that long.
 * @example sniffImage(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])) // 'jpeg'
 */
export function sniffImage(head: Uint8Array): ImageKind | undefined {
  const at = (offset: number, bytes: readonly number[]): boolean =>
    head.length >= offset + bytes.length && bytes.every((b, i) => head[offset + i] === b);
  const ascii = (offset: number, text: string): boolean =>
    at(
      offset,
      [...text].map((c) => c.charCodeAt(0)),
    );
  if (at(0, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (at(0, PNG)) return 'png';
  if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) return 'gif';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'webp';
  if (ascii(0, 'II') && at(2, [0x2a, 0x00])) return 'tiff';
  if (ascii(0, 'MM') && at(2, [0x00, 0x2a])) return 'tiff';
  // 'BM' alone is two printable letters; the four reserved header bytes (always zero in real
  // files) keep a text body that happens to start with "BM" from passing as a bitmap.
  if (ascii(0, 'BM') && at(6, [0, 0, 0, 0])) return 'bmp';
  return undefined;
}
