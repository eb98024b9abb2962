/**
 * A synchronous PNG encoder for small RGB images, so figure functions can embed pictures as
 * data URIs and stay synchronous. Hand-written because sharp, the project's image library, only
 * encodes asynchronously; the parts that are not PNG's own come from elsewhere: `node:zlib` for
 * the deflate stream and `data/crc32.ts` for the chunk checksums.
 */
import { deflateSync } from 'node:zlib';
import { crc32 } from '../data/crc32.js';
import { InvalidOptionError } from '../errors.js';

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * Encodes 8-bit RGB pixels (row-major, HWC) as a PNG file.
 * @param pixels width × height × 3 bytes.
 */
export function encodeRgbPng(pixels: Uint8Array, width: number, height: number): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InvalidOptionError('PNG size', 'positive integer width and height', `${width}×${height}`);
  }
  if (pixels.length !== width * height * 3) {
    throw new InvalidOptionError(
      'PNG pixels',
      `${width * height * 3} bytes (${width}×${height}×3)`,
      pixels.length,
    );
  }
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit, truecolour, deflate, adaptive filtering, no interlace
  // Filter type 0 (none) on every row: the images are tiny, so simplicity beats a few bytes.
  const raw = new Uint8Array(height * (1 + width * 3));
  for (let y = 0; y < height; y++)
    raw.set(pixels.subarray(y * width * 3, (y + 1) * width * 3), y * (1 + width * 3) + 1);
  const parts = [
    new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 6 })),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Repeats every pixel `factor` × `factor` times (nearest neighbour), so pixels stay sharp when shown large. */
export function upscaleNearest(
  pixels: Uint8Array,
  width: number,
  height: number,
  factor: number,
): Uint8Array {
  if (factor === 1) return pixels;
  const out = new Uint8Array(width * factor * height * factor * 3);
  const rowBytes = width * factor * 3;
  for (let y = 0; y < height; y++) {
    const row = out.subarray(y * factor * rowBytes, (y * factor + 1) * rowBytes);
    for (let x = 0; x < width; x++) {
      const src = (y * width + x) * 3;
      for (let r = 0; r < factor; r++) row.set(pixels.subarray(src, src + 3), (x * factor + r) * 3);
    }
    for (let r = 1; r < factor; r++)
      out.copyWithin((y * factor + r) * rowBytes, y * factor * rowBytes, (y * factor + 1) * rowBytes);
  }
  return out;
}

/** A `data:image/png;base64,…` URI of RGB pixels. */
export function rgbPngDataUri(pixels: Uint8Array, width: number, height: number): string {
  return `data:image/png;base64,${Buffer.from(encodeRgbPng(pixels, width, height)).toString('base64')}`;
}
