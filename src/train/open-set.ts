/**
 * "Someone not in the training set": a face is unknown when its features are far from every
 * known person's. The rule, fitted on the training and validation features of a transfer head:
 *
 * - each person is the centroid (mean) of their training features;
 * - a face's evidence is its Euclidean distance to the nearest centroid;
 * - the threshold is set on the validation faces at a stated rate: the `trueAcceptRate`
 *   quantile (default 95 %) of the validation faces' distances to their own person's centroid,
 *   so that 5 % of known faces would be called unknown;
 * - a face at or beyond the threshold is "unknown"; nearer, it is named by the head.
 *
 * Why not a false-accept rate measured on validation (each validation face against the OTHER
 * people's centroids, standing in for strangers)? Measured on the six seed actors with one left
 * out, that proxy put the threshold at 0.50–0.52 (its 0.5–5 % quantiles), while the left-out
 * person's faces lay at 0.41–0.57 from the nearest centroid: a stranger can resemble one known
 * person far more than the known people resemble each other, so the in-set proxy accepts most
 * strangers. The proxy's false-accept rate at the chosen threshold is still recorded.
 *
 * The same features the head was trained on are used (the face backbone's 128-d descriptor, in
 * which dlib's own rule is a pairwise distance of 0.6), so the rule needs no second network.
 */
import { writeJsonAtomic } from '../data/atomic-file.js';
import { InvalidOptionError, UserError } from '../errors.js';

/** File beside a transfer head's `model.onnx` holding its unknown-person rule. */
export const OPEN_SET_FILE = 'open-set.json';

/** Default share of known validation faces accepted: 95 % (5 % called unknown). */
export const DEFAULT_TRUE_ACCEPT_RATE = 0.95;

/** Labelled feature rows: `count × dim` float32, row by row. */
export interface LabelledFeatures {
  x: Float32Array;
  labels: Int32Array;
  count: number;
}

/** Options of `calibrateOpenSet`. */
export interface OpenSetOptions {
  /** Share of known validation faces accepted (nearer than the threshold to their own centroid). Default 0.95. */
  trueAcceptRate?: number;
}

/** The fitted rule, stored beside a head (`open-set.json`) for `predict --unknown`. */
export interface OpenSetCalibration {
  version: 1;
  rule: string;
  /** Feature dimension. */
  dim: number;
  /** Person centroids, `people × dim`, in label order. */
  centroids: number[][];
  /** Distance at or beyond which a face is unknown. */
  threshold: number;
  /** The true-accept rate the threshold was chosen at. */
  trueAcceptRate: number;
  /** On the validation faces: share nearer than the threshold to their own centroid. */
  validationTrueAccept: number;
  /** On the validation faces: share nearer than the threshold to another person's centroid (the in-set stand-in for strangers). */
  validationFalseAccept: number;
  /** Validation faces used. */
  validationFaces: number;
}

/**
 * Fits the rule on training features (centroids) and validation features (threshold).
 *
 * @example
 * const cal = calibrateOpenSet(set.train, set.val, set.dim, 6);
 */
export function calibrateOpenSet(
  train: LabelledFeatures,
  val: LabelledFeatures,
  dim: number,
  people: number,
  options: OpenSetOptions = {},
): OpenSetCalibration {
  const tar = options.trueAcceptRate ?? DEFAULT_TRUE_ACCEPT_RATE;
  if (!(tar > 0 && tar < 1)) throw new InvalidOptionError('trueAcceptRate', 'a number between 0 and 1', tar);
  if (people < 2) throw new UserError('an unknown-person threshold needs at least two people');
  const centroids = Array.from({ length: people }, () => new Float64Array(dim));
  const counts = new Array<number>(people).fill(0);
  for (let i = 0; i < train.count; i++) {
    const label = train.labels[i]!;
    const c = centroids[label]!;
    for (let d = 0; d < dim; d++) c[d]! += train.x[i * dim + d]!;
    counts[label]!++;
  }
  for (const [p, c] of centroids.entries()) {
    if (counts[p] === 0) throw new UserError(`person ${p} has no training features to make a centroid of`);
    for (let d = 0; d < dim; d++) c[d]! /= counts[p]!;
  }
  if (val.count === 0) throw new UserError('an unknown-person threshold needs validation faces');
  const own: number[] = [];
  const other: number[] = [];
  for (let i = 0; i < val.count; i++) {
    const row = val.x.subarray(i * dim, (i + 1) * dim);
    const label = val.labels[i]!;
    own.push(distance(row, centroids[label]!));
    let nearest = Number.POSITIVE_INFINITY;
    for (const [p, c] of centroids.entries()) if (p !== label) nearest = Math.min(nearest, distance(row, c));
    other.push(nearest);
  }
  const sorted = [...own].sort((a, b) => a - b);
  // The smallest distance that accepts at least `tar` of the known faces (a face at it is accepted).
  const threshold = sorted[Math.min(sorted.length - 1, Math.ceil(tar * sorted.length) - 1)]! * (1 + 1e-9);
  return {
    version: 1,
    rule: `unknown when the distance of the face's features to the nearest person's centroid (mean of their training features) is at least the threshold; threshold = the ${tar} quantile of validation faces' distances to their own person's centroid`,
    dim,
    centroids: centroids.map((c) => Array.from(c)),
    threshold,
    trueAcceptRate: tar,
    validationTrueAccept: own.filter((d) => d < threshold).length / val.count,
    validationFalseAccept: other.filter((d) => d < threshold).length / val.count,
    validationFaces: val.count,
  };
}

/** What the rule says of one face. */
export interface OpenSetVerdict {
  /** True when the face is nobody the model knows. */
  unknown: boolean;
  /** Distance to the nearest centroid. */
  distance: number;
  /** Label of the nearest centroid. */
  nearest: number;
}

/** Applies the rule to one face's features. */
export function openSetVerdict(features: Float32Array, calibration: OpenSetCalibration): OpenSetVerdict {
  if (features.length !== calibration.dim) {
    throw new UserError(
      `the unknown-person rule takes ${calibration.dim} features, this face has ${features.length}`,
    );
  }
  let best = Number.POSITIVE_INFINITY;
  let nearest = -1;
  for (const [p, c] of calibration.centroids.entries()) {
    const d = distance(features, c);
    if (d < best) {
      best = d;
      nearest = p;
    }
  }
  return { unknown: !(best < calibration.threshold), distance: best, nearest };
}

/** Reads and checks an `open-set.json` document; `source` names it in errors. */
export function parseOpenSet(json: unknown, source: string): OpenSetCalibration {
  const c = json as Partial<OpenSetCalibration> | null;
  const ok =
    c !== null &&
    typeof c === 'object' &&
    c.version === 1 &&
    typeof c.dim === 'number' &&
    typeof c.threshold === 'number' &&
    Array.isArray(c.centroids) &&
    c.centroids.every((row) => Array.isArray(row) && row.length === c.dim);
  if (!ok) throw new UserError(`${source} is not an unknown-person calibration written by facelab`);
  return c as OpenSetCalibration;
}

function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let d = 0; d < a.length; d++) {
    const diff = a[d]! - b[d]!;
    sum += diff * diff;
  }
  return Math.sqrt(sum);
}

/** Train/val features with labels, as a transfer head's feature set holds them. */
export interface OpenSetFeatures {
  dim: number;
  actors: readonly string[];
  train: { x: Float32Array; y: Int32Array; count: number };
  val: { x: Float32Array; y: Int32Array; count: number };
}

/**
 * Fits the rule on a head's features and writes it as `file` (`open-set.json` beside the head),
 * atomically. Returns what it wrote.
 */
export async function writeOpenSet(
  file: string,
  set: OpenSetFeatures,
  options: OpenSetOptions = {},
): Promise<OpenSetCalibration> {
  const part = (p: OpenSetFeatures['train']): LabelledFeatures => ({ x: p.x, labels: p.y, count: p.count });
  const calibration = calibrateOpenSet(part(set.train), part(set.val), set.dim, set.actors.length, options);
  await writeJsonAtomic(file, calibration);
  return calibration;
}
