/**
 * A prepared dataset as trainers see it: uint8 face crops of one side, integer labels and the
 * train/validation/test split, loaded from the `.npz` cache and split manifest that
 * `facelab prepare` writes. Normalisation is left to the trainer (see `normalize.ts`).
 */
import { UserError } from '../errors.js';
import { readNpz } from './npz.js';
import { SPLIT_NAMES } from './split.js';
import { alignedNpzPathFor, npzPathFor, readSplitManifest, splitManifestPath } from './split-manifest.js';

/** One part of the split. */
export interface PreparedSplit {
  /** `count × side × side × 3` RGB bytes, row-major (HWC per image). */
  images: Uint8Array;
  /** Label of each image: an index into `PreparedDataset.actors`. */
  labels: Int32Array;
  /** SHA-256 of each image's original photo. */
  hashes: string[];
  count: number;
}

/** A prepared dataset at one crop size. */
export interface PreparedDataset {
  /** Crop side in pixels (e.g. 32 or 227). */
  side: number;
  /** Actor names; label i is `actors[i]`. */
  actors: string[];
  train: PreparedSplit;
  val: PreparedSplit;
  test: PreparedSplit;
}

/** Options of `loadPrepared`. */
export interface LoadPreparedOptions {
  /** Load the aligned crops (`aligned_<side>.npz`) instead of `faces_<side>.npz`. Default false. */
  aligned?: boolean;
}

/**
 * Loads the dataset of one crop side from a folder `facelab prepare` wrote. Checks that the
 * `.npz` agrees with `split.json` (same photos in the same parts), so a stale file from an
 * earlier run with another seed or list is refused with a `UserError` rather than trained on.
 *
 * @example
 * const data = await loadPrepared('data/six', 32);
 * const x = normalizeImages(data.train.images, { count: data.train.count });
 */
export async function loadPrepared(
  dir: string,
  side: number,
  options: LoadPreparedOptions = {},
): Promise<PreparedDataset> {
  const manifest = await readSplitManifest(dir);
  const path = options.aligned ? alignedNpzPathFor(dir, side) : npzPathFor(dir, side);
  if (options.aligned && !(manifest.alignedSides ?? []).includes(side)) {
    throw new UserError(
      `${dir} has no aligned ${side} px crops (aligned sides: ${(manifest.alignedSides ?? []).join(', ') || 'none'}): run 'facelab prepare' again`,
    );
  }
  if (!options.aligned && !manifest.sides.includes(side)) {
    throw new UserError(`${dir} has no ${side} px crops (prepared sides: ${manifest.sides.join(', ')})`);
  }
  const arrays = await readNpz(path);
  const stale = (why: string): UserError =>
    new UserError(`${path} does not match ${splitManifestPath(dir)} (${why}): run 'facelab prepare' again`);
  const { images, labels, actors, hashes, split } = arrays;
  if (!images || !labels || !actors || !hashes || !split) throw stale('missing arrays');
  const count = labels.data.length;
  if (
    !(images.data instanceof Uint8Array) ||
    images.shape.join() !== [count, side, side, 3].join() ||
    !(labels.data instanceof Int32Array) ||
    !Array.isArray(hashes.data) ||
    hashes.data.length !== count ||
    !(split.data instanceof Uint8Array) ||
    split.data.length !== count ||
    !Array.isArray(actors.data)
  ) {
    throw stale('unexpected array shapes or types');
  }
  if (actors.data.join('\n') !== manifest.actors.join('\n')) throw stale('different actors');
  // Narrowed by the checks above (closures below would lose the narrowing).
  const imageData = images.data;
  const labelData = labels.data;
  const hashList = hashes.data;
  const parts = split.data;
  const expected = SPLIT_NAMES.map((name) => manifest.totals[name]);
  const seen = [0, 0, 0];
  for (let i = 0; i < count; i++) {
    const part = parts[i]!;
    const name = SPLIT_NAMES[part];
    const entry = manifest.photos[hashList[i]!];
    if (name === undefined || entry?.split !== name || manifest.actors[labelData[i]!] !== entry.actor) {
      throw stale(`photo ${hashList[i]} is placed differently`);
    }
    // Rows are stored train, then val, then test.
    if (i > 0 && part < parts[i - 1]!) throw stale('rows out of split order');
    seen[part]!++;
  }
  if (seen.some((n, i) => n !== expected[i])) throw stale('different photo counts');

  const bytes = side * side * 3;
  let start = 0;
  const slice = (n: number): PreparedSplit => {
    const from = start;
    start += n;
    return {
      images: imageData.subarray(from * bytes, start * bytes),
      labels: labelData.subarray(from, start),
      hashes: hashList.slice(from, start),
      count: n,
    };
  };
  return {
    side,
    actors: manifest.actors,
    train: slice(seen[0]!),
    val: slice(seen[1]!),
    test: slice(seen[2]!),
  };
}
