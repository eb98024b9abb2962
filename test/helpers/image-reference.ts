/**
 * Independent reference crops for tests: the whole photo decoded by sharp (no extract), the box
 * cut out in plain TypeScript (black outside the photo), and a triangle-filter resize computed
 * directly in floating point — no fixed-point weights, no intermediate rounding, no code shared
 * with src/data/resample.ts. It differs from Pillow (and facelab) only by rounding.
 */
import sharp from 'sharp';

/** Decodes a whole photo as stored-order 8-bit pixels, keeping alpha if there is one. */
export async function decodeWhole(
  path: string,
): Promise<{ data: Uint8Array; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(path, { ignoreIcc: true })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: info.channels };
}

/** Cuts box [x1,x2)×[y1,y2) out of an image as RGB (first 3 channels), black outside it. */
export function cutBox(
  image: { data: Uint8Array; width: number; height: number; channels: number },
  box: { x1: number; y1: number; x2: number; y2: number },
): Uint8Array {
  const w = box.x2 - box.x1;
  const h = box.y2 - box.y1;
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sx = x + box.x1;
      const sy = y + box.y1;
      if (sx < 0 || sy < 0 || sx >= image.width || sy >= image.height) continue;
      for (let c = 0; c < 3; c++) {
        const from = image.channels >= 3 ? c : 0;
        out[(y * w + x) * 3 + c] = image.data[(sy * image.width + sx) * image.channels + from]!;
      }
    }
  }
  return out;
}

/** Normalised tent-filter weights for one output coordinate. */
function tentWeights(inSize: number, outSize: number, index: number): Map<number, number> {
  const scale = inSize / outSize;
  const support = Math.max(scale, 1);
  const center = (index + 0.5) * scale;
  const weights = new Map<number, number>();
  let total = 0;
  for (let i = 0; i < inSize; i++) {
    const w = Math.max(0, 1 - Math.abs((i + 0.5 - center) / support));
    if (w > 0) {
      weights.set(i, w);
      total += w;
    }
  }
  for (const [i, w] of weights) weights.set(i, w / total);
  return weights;
}

/** Resizes RGB pixels with the triangle filter in float64, rounding once at the end. */
export function referenceResize(pixels: Uint8Array, width: number, height: number, side: number): Uint8Array {
  const out = new Uint8Array(side * side * 3);
  const columns = Array.from({ length: side }, (_, x) => tentWeights(width, side, x));
  const rows = Array.from({ length: side }, (_, y) => tentWeights(height, side, y));
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (const [sy, wy] of rows[y]!) {
          for (const [sx, wx] of columns[x]!) sum += pixels[(sy * width + sx) * 3 + c]! * wx * wy;
        }
        out[(y * side + x) * 3 + c] = Math.min(255, Math.max(0, Math.round(sum)));
      }
    }
  }
  return out;
}

/** Mean and largest absolute difference of two equally long byte arrays, and where the largest is. */
export function pixelDistance(a: Uint8Array, b: Uint8Array): { mean: number; max: number; at: number } {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let sum = 0;
  let max = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    if (d > max) {
      max = d;
      at = i;
    }
  }
  return { mean: a.length ? sum / a.length : 0, max, at };
}
