/**
 * Features of a whole prepared dataset through one backbone, split as the crops are, and their
 * `.npz` file: `train_x`, `val_x`, `test_x` (float32 `[N, dim]`), `train_y`, `val_y`, `test_y`
 * (int32 labels), `actors` (label names) and `key` (what produced them: backbone, layer,
 * preprocessing, model and split fingerprints), so a cached file is reused only for the same job.
 */

import type { PreparedDataset } from '../data/dataset.js';
import { readNpz, writeNpz } from '../data/npz.js';
import { SPLIT_NAMES, type SplitName } from '../data/split.js';
import { UserError } from '../errors.js';
import type { OnProgress } from '../progress.js';
import type { Backbone } from './backbone.js';

/** Features and labels of one part of the split. */
export interface FeatureSplit {
  /** `count × dim` float32, row per image. */
  x: Float32Array;
  y: Int32Array;
  count: number;
}

/** Features of a dataset from a backbone: one `FeatureSplit` per part. */
export interface BackboneFeatures {
  /** Features per image. */
  dim: number;
  /** Label names; label i is `actors[i]`. */
  actors: string[];
  train: FeatureSplit;
  val: FeatureSplit;
  test: FeatureSplit;
}

/**
 * Runs every crop of `dataset` (already at the backbone's side) through `backbone`, part by
 * part, with one progress task per part (`features:train`, …).
 */
export async function extractFeatureSet(
  dataset: PreparedDataset,
  backbone: Backbone,
  options: { onProgress?: OnProgress } = {},
): Promise<BackboneFeatures> {
  if (dataset.side !== backbone.spec.side) {
    throw new UserError(
      `${backbone.spec.name} takes ${backbone.spec.side} px crops, the dataset has ${dataset.side} px`,
    );
  }
  const parts = {} as Record<SplitName, FeatureSplit>;
  for (const name of SPLIT_NAMES) {
    const part = dataset[name];
    const x = await backbone.extract(part.images, part.count, {
      task: `features:${name}`,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    parts[name] = { x, y: part.labels.slice(), count: part.count };
  }
  const dim = backbone.dim ?? 0;
  return { dim, actors: [...dataset.actors], ...parts };
}

/** Writes a feature set as `.npz` (atomically), with `key` recording what produced it. */
export async function writeFeatureSet(path: string, set: BackboneFeatures, key = ''): Promise<void> {
  const arrays: Parameters<typeof writeNpz>[1] = { actors: { data: set.actors, shape: [set.actors.length] } };
  for (const name of SPLIT_NAMES) {
    const part = set[name];
    arrays[`${name}_x`] = { data: part.x, shape: [part.count, set.dim] };
    arrays[`${name}_y`] = { data: part.y, shape: [part.count] };
  }
  arrays.key = { data: [key], shape: [1] };
  await writeNpz(path, arrays);
}

/** A feature file as read back, with the key it was written with ('' when it has none). */
export interface StoredFeatureSet extends BackboneFeatures {
  key: string;
}

/**
 * Reads a feature `.npz` (facelab's, or any with the six `<part>_x` / `<part>_y` arrays; float64
 * features and int64 labels from NumPy are converted). Throws a `UserError` naming the file.
 */
export async function readFeatureSet(path: string): Promise<StoredFeatureSet> {
  const arrays = await readNpz(path);
  const bad = (why: string): UserError => new UserError(`${path} is not a feature file: ${why}`);
  let dim = -1;
  const parts = {} as Record<SplitName, FeatureSplit>;
  for (const name of SPLIT_NAMES) {
    const x = arrays[`${name}_x`];
    const y = arrays[`${name}_y`];
    if (!x || !y) throw bad(`missing ${name}_x or ${name}_y`);
    if (x.shape.length !== 2 || y.shape.length !== 1 || x.shape[0] !== y.shape[0])
      throw bad(`${name}_x and ${name}_y do not match`);
    if (dim !== -1 && x.shape[1] !== dim) throw bad(`${name}_x has ${x.shape[1]} features, not ${dim}`);
    dim = x.shape[1]!;
    const fx =
      x.data instanceof Float32Array
        ? x.data
        : x.data instanceof Float64Array
          ? Float32Array.from(x.data)
          : undefined;
    const fy =
      y.data instanceof Int32Array
        ? y.data
        : y.data instanceof BigInt64Array
          ? Int32Array.from(y.data, (v) => Number(v))
          : undefined;
    if (!fx || !fy) throw bad(`${name}_x must be float and ${name}_y integer`);
    parts[name] = { x: fx, y: fy, count: y.shape[0]! };
  }
  const actors = arrays.actors && Array.isArray(arrays.actors.data) ? arrays.actors.data : [];
  const key = arrays.key && Array.isArray(arrays.key.data) ? (arrays.key.data[0] ?? '') : '';
  return { dim, actors, key, ...parts };
}

/**
 * The old name of {@link BackboneFeatures}, for `transfer.ts` until it moves over (it clashed
 * with `train/features.ts`' `FeatureSet`, the classifier's rows).
 * @deprecated use `BackboneFeatures`.
 */
export type FeatureSet = BackboneFeatures;
