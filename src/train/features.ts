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

/**
 * The same rows with every part's `x` and `labels` as consecutive views of one buffer
 * (train, then validation, then test), so a trainer uses them without stacking a copy of its
 * own — also after the set is cloned to a worker thread. (Not a SharedArrayBuffer, which would
 * spare the workers their copy: onnxruntime-node refuses tensors on one, "Invalid argument".)
 */
export function stackFeatureSet(data: FeatureSet): FeatureSet {
  const rows = data.train.count + data.val.count + data.test.count;
  const x = new Float32Array(rows * data.inputDim);
  const labels = new Int32Array(rows);
  let row = 0;
  const part = (rowsOf: LabelledRows): LabelledRows => {
    const from = row;
    row += rowsOf.count;
    x.set(rowsOf.x, from * data.inputDim);
    labels.set(rowsOf.labels, from);
    return {
      x: x.subarray(from * data.inputDim, row * data.inputDim),
      labels: labels.subarray(from, row),
      count: rowsOf.count,
    };
  };
  return { ...data, train: part(data.train), val: part(data.val), test: part(data.test) };
}

/**
 * Every row of `data` as one array each of values and labels, train then validation then test:
 * views of the parts' own buffer when they are stacked already (`stackFeatureSet`), else a copy
 * made once per feature set (kept while the set lives). Read-only: trainers feed them as they are.
 */
export function stackedRows(data: FeatureSet): { x: Float32Array; labels: Int32Array } {
  const { train, val, test, inputDim } = data;
  const follows = <T extends Float32Array | Int32Array>(a: T, b: T): boolean =>
    a.buffer === b.buffer && a.byteOffset + a.byteLength === b.byteOffset;
  const rows = train.count + val.count + test.count;
  if (
    follows(train.x, val.x) &&
    follows(val.x, test.x) &&
    follows(train.labels, val.labels) &&
    follows(val.labels, test.labels)
  ) {
    return {
      x: new Float32Array(train.x.buffer, train.x.byteOffset, rows * inputDim),
      labels: new Int32Array(train.labels.buffer, train.labels.byteOffset, rows),
    };
  }
  let stacked = stackedCopies.get(data);
  if (!stacked) {
    stacked = stackedRows(stackFeatureSet(data));
    stackedCopies.set(data, stacked);
  }
  return stacked;
}

const stackedCopies = new WeakMap<FeatureSet, { x: Float32Array; labels: Int32Array }>();
