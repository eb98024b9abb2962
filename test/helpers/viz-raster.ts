/** Pixel statistics of rendered figures, for the viz tests. */
import sharp from 'sharp';

/** Decoded RGB pixels of a PNG. */
export interface Raster {
  width: number;
  height: number;
  /** RGB bytes, row-major. */
  data: Uint8Array;
}

/** Decodes a PNG to RGB (alpha flattened onto white). */
export async function decodePng(png: Buffer): Promise<Raster> {
  const { data, info } = await sharp(png)
    .flatten({ background: '#ffffff' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

/** The RGB triple at (x, y). */
export function pixel(r: Raster, x: number, y: number): [number, number, number] {
  const i = (y * r.width + x) * 3;
  return [r.data[i]!, r.data[i + 1]!, r.data[i + 2]!];
}

/** Standard deviation of all channel values: near 0 for a blank image. */
export function pixelStdDev(r: Raster): number {
  let sum = 0;
  let sq = 0;
  for (const v of r.data) {
    sum += v;
    sq += v * v;
  }
  const mean = sum / r.data.length;
  return Math.sqrt(sq / r.data.length - mean * mean);
}

/** Pixels in the box [x0, x1) × [y0, y1) whose darkest channel is below `threshold`. */
export function countDark(
  r: Raster,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  threshold = 128,
): number {
  let n = 0;
  for (let y = Math.max(0, y0); y < Math.min(r.height, y1); y++) {
    for (let x = Math.max(0, x0); x < Math.min(r.width, x1); x++) {
      if (Math.min(...pixel(r, x, y)) < threshold) n++;
    }
  }
  return n;
}

/** Pixels matching `predicate` over the whole image. */
export function countPixels(r: Raster, predicate: (rgb: [number, number, number]) => boolean): number {
  let n = 0;
  for (let y = 0; y < r.height; y++) for (let x = 0; x < r.width; x++) if (predicate(pixel(r, x, y))) n++;
  return n;
}

/** `width`/`height` attributes of an SVG document's root element. */
export function svgSize(svg: string): { width: number; height: number } {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? '';
  return {
    width: Number(/\swidth="([\d.]+)"/.exec(root)?.[1]),
    height: Number(/\sheight="([\d.]+)"/.exec(root)?.[1]),
  };
}
