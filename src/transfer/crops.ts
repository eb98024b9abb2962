/**
 * Face crops at the side a backbone wants, from a folder `facelab prepare` wrote: its own
 * `faces_<side>.npz` when that side was prepared, else the nearest larger prepared side resized
 * in memory (Pillow's BILINEAR, as prepare itself resizes), so `prepare --sizes 32,227` serves
 * both AlexNet (227) and the face backbone (150).
 */
import { loadPrepared, type PreparedDataset, type PreparedSplit } from '../data/dataset.js';
import { resizeBilinear } from '../data/resample.js';
import { readSplitManifest } from '../data/split-manifest.js';
import { UserError } from '../errors.js';

/**
 * The dataset of `dir` at `side` px, resized from another prepared side when needed. With
 * `aligned`, the aligned crops: `faces_<side>.npz` when the dataset's crops are aligned
 * (`prepare --align`), else `aligned_<side>.npz`.
 */
export async function loadCropsAtSide(
  dir: string,
  side: number,
  options: { aligned?: boolean } = {},
): Promise<PreparedDataset> {
  const fromAligned = options.aligned === true && (await readSplitManifest(dir)).crops !== 'aligned';
  const source = await cropSourceSide(dir, side, options);
  const load = (s: number) => loadPrepared(dir, s, fromAligned ? { aligned: true } : {});
  if (source === side) return load(side);
  const data = await load(source);
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
export async function cropSourceSide(
  dir: string,
  side: number,
  options: { aligned?: boolean } = {},
): Promise<number> {
  const manifest = await readSplitManifest(dir);
  const sides =
    options.aligned && manifest.crops !== 'aligned' ? (manifest.alignedSides ?? []) : manifest.sides;
  if (sides.length === 0) {
    throw new UserError(`${dir} has no aligned crops: run 'facelab prepare' again (or give --align off)`);
  }
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
