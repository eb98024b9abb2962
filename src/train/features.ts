/**
 * What the trainer consumes: float feature rows and integer labels for the three parts of the
 * split. Images become features by the reference normalisation (per image, min–max to [−1, 1]);
 * transfer learning hands in backbone features instead.
 */
import type { PreparedDataset } from '../data/dataset.js';
import { normalizeImages } from '../data/normalize.js';

/** Rows of one part of the split. */
export interface LabelledRows {
  /** `count × inputDim` floats, row-major. */
  x: Float32Array;
  /** Class of each row, in [0, classes). */
  labels: Int32Array;
  count: number;
}

/** Training, validation and test rows of one problem. */
export interface FeatureSet {
  /** Values per row. */
  inputDim: number;
  /** Number of classes. */
  classes: number;
  /** Class names in label order (actor names). */
  classNames: string[];
  train: LabelledRows;
  val: LabelledRows;
  test: LabelledRows;
}

/** The three part names in row order. */
export const PARTS = ['train', 'val', 'test'] as const;

/** One of `PARTS`. */
export type Part = (typeof PARTS)[number];

/**
 * Features of a prepared dataset: every crop normalised on its own, min–max to [−1, 1], as the
 * reference method does.
 *
 * @example
 * const features = featuresFromImages(await loadPrepared('data/six', 32));
 */
export function featuresFromImages(dataset: PreparedDataset): FeatureSet {
  const rows = (part: Part): LabelledRows => {
    const split = dataset[part];
    return {
      x: normalizeImages(split.images, { count: split.count }),
      labels: split.labels,
      count: split.count,
    };
  };
  return {
    inputDim: dataset.side * dataset.side * 3,
    classes: dataset.actors.length,
    classNames: [...dataset.actors],
    train: rows('train'),
    val: rows('val'),
    test: rows('test'),
  };
}
