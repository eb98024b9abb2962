/**
 * Face crops at the side a backbone wants, from a folder `facelab prepare` wrote: its own
 * `faces_<side>.npz` when that side was prepared, else the nearest larger prepared side resized
 * in memory (Pillow's BILINEAR, as prepare itself resizes), so `prepare --sizes 32,227` serves
 * both AlexNet (227) and the face backbone (150).
 */
import { loadPrepared, type PreparedDataset, type PreparedSplit } from '../data/dataset.js';
import { resizeBilinear } from '../data/resample.js';
import { readSplitManifest } from '../data/split-manifest.js';

/** The dataset of `dir` at `side` px, resized from another prepared side when needed. */
export async function loadCropsAtSide(dir: string, side: number): Promise<PreparedDataset> {
  const source = await cropSourceSide(dir, side);
  if (source === side) return loadPrepared(dir, side);
  const data = await loadPrepared(dir, source);
  const resize = (part: PreparedSplit): PreparedSplit => ({
    ...part,
    images: resizeCrops(part.images, part.count, source, side),
  });
  return { ...data, side, train: resize(data.train), val: resize(data.val), test: resize(data.test) };
}

/**
 * The prepared side that `loadCropsAtSide` cuts `side` px crops from: `side` itself when it was
 * prepared, else the smallest larger one (or the largest there is).
 */
export async function cropSourceSide(dir: string, side: number): Promise<number> {
  const { sides } = await readSplitManifest(dir);
  if (sides.includes(side)) return side;
  const larger = sides.filter((s) => s > side).sort((a, b) => a - b);
  return larger[0] ?? Math.max(...sides);
}

/** Resizes `count` square RGB crops stored one after another from `from` to `to` px. */
export function resizeCrops(images: Uint8Array, count: number, from: number, to: number): Uint8Array {
  const out = new Uint8Array(count * to * to * 3);
  const bytes = from * from * 3;
  for (let i = 0; i < count; i++) {
    const crop = images.subarray(i * bytes, (i + 1) * bytes);
    out.set(
      resizeBilinear(crop, { width: from, height: from, outWidth: to, outHeight: to }),
      i * to * to * 3,
    );
  }
  return out;
}
