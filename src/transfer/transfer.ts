/**
 * Transfer learning end to end, as the reference study compares it: backbone features (cached)
 * → the same fully connected head the raw-pixel classifier uses (same trainer, same split,
 * same hyper-parameters) → test accuracy, error and error reduction against the raw-pixel
 * baseline. Writes to the output folder:
 *
 * - `features-<backbone>-<layer>.npz`: the features (reused when backbone, layer and split match);
 * - `head-<backbone>-<layer>/`: the trained head (`model.onnx` taking features, `metrics.json`,
 *   learning curve), or `grid-<backbone>-<layer>/` with `grid`;
 * - `baseline.json`: the raw-pixel run (reused when the split and hyper-parameters match);
 * - `comparison.json`: raw pixels vs every backbone run into this folder with the same head
 *   hyper-parameters: accuracy, test error and error reduction of each.
 */
import { readFile, rename } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { writeFileAtomic } from '../data/atomic-file.js';
import { loadPrepared } from '../data/dataset.js';
import { splitManifestSha256 } from '../data/split-manifest.js';
import { buildCombinedModel } from '../engine/combined-model.js';
import type { OnProgress } from '../progress.js';
import { MODEL_FILE } from '../train/classifier-file.js';
import { trainClassifier } from '../train/classifier-trainer.js';
import { featuresFromImages, type FeatureSet as HeadData } from '../train/features.js';
import { GRID_FILES, runGrid } from '../train/grid-outputs.js';
import type { Accuracy } from '../train/metrics.js';
import { OPEN_SET_FILE, writeOpenSet } from '../train/open-set.js';
import { writeRunOutputs } from '../train/run-outputs.js';
import { type BackboneChoice, DEFAULT_LAYERS } from './backbones.js';
import { type ComputedFeatures, computeFeatures } from './compute-features.js';
import type { FeatureSet } from './feature-set.js';
import { cropToInput } from './preprocess.js';

/** Hyper-parameters of the head (and of the baseline, which uses the same). */
export interface HeadOptions {
  /** Hidden units. Default 300. */
  hidden?: number;
  /** Mini-batch size. Default 32. */
  batch?: number;
  /** Adam learning rate. Default 1e-3. */
  lr?: number;
  /** Epochs. Default 200. */
  epochs?: number;
  /** Seed of the initial weights and shuffles. Default 0. */
  seed?: number;
}

/** Options of `runTransfer`. */
export interface TransferOptions extends BackboneChoice, HeadOptions {
  /** Folder written by `facelab prepare`. */
  dataDir: string;
  /** Output folder (see the module comment). */
  outDir: string;
  /** Crop side of the raw-pixel baseline; `false` skips it. Default 32, the reference's. */
  baselineSide?: number | false;
  /**
   * Choose the head's hyper-parameters by the reference grid search (epochs × batch × hidden ×
   * lr, best validation accuracy; `grid-<backbone>-<layer>/`) instead of training the one
   * configuration given. Default false.
   */
  grid?: boolean;
  /**
   * Feed the backbone aligned crops (`true`) or the box crops (`false`). Default: aligned for
   * the face backbone when the dataset has aligned crops (see `computeFeatures`).
   */
  align?: boolean;
  /** ORT threads. Default: one per core. */
  threads?: number;
  onProgress?: OnProgress;
}

/** One row of the comparison. */
export interface ComparisonRow {
  /** 'raw pixels 32 px' or '<backbone> <layer>'. */
  method: string;
  features: number;
  accuracy: Accuracy;
  /** 1 − test accuracy. */
  testError: number;
}

/** What `runTransfer` did. */
export interface TransferResult {
  backbone: string;
  layer: string;
  /** Features per image. */
  features: number;
  accuracy: Accuracy;
  /** The raw-pixel row, when a baseline was run. */
  baseline: ComparisonRow | undefined;
  /** (baseline test error − backbone test error) / baseline test error; undefined without a baseline. */
  errorReduction: number | undefined;
  /** The hyper-parameters the grid search chose (with `grid`). */
  chosen: { epochs: number; batch: number; hidden: number; lr: number } | undefined;
  /** True when the features came from the cache. */
  featuresReused: boolean;
  /** Folder of the trained head: `model.onnx` (takes crops) and `head.onnx` (takes features). */
  modelDir: string;
  seconds: { features: number; head: number; baseline: number };
}

/**
 * Extracts (or reuses) backbone features, trains the head, runs (or reuses) the raw-pixel
 * baseline, and writes the comparison.
 *
 * @example
 * const r = await runTransfer({ dataDir: 'data/six', outDir: 'runs/face', backbone: 'face' });
 * r.accuracy.test; r.errorReduction;
 */
export async function runTransfer(options: TransferOptions): Promise<TransferResult> {
  const { outDir, onProgress } = options;
  const head = { hidden: 300, batch: 32, lr: 1e-3, epochs: 200, seed: 0, ...definedOnly(options) };
  const threads = options.threads === undefined ? {} : { threads: options.threads };
  const progress = onProgress ? { onProgress } : {};
  const layer = options.layer ?? DEFAULT_LAYERS[options.backbone];
  const name = transferName(options.backbone, layer, options.weights);
  const featurePath = join(outDir, `features-${name}.npz`);
  const features = await computeFeatures({ ...options, out: featurePath, reuse: true, ...progress });

  const data = headData(features.set);
  const method = `${features.backbone} ${features.layer}${options.grid ? ' (grid)' : ''}`;
  // Absolute, so the recorded paths stay valid wherever the metrics are read from.
  const extra = {
    data: resolve(options.dataDir),
    backbone: features.backbone,
    layer: features.layer,
    features: resolve(featurePath),
  };
  let result: { accuracy: Accuracy; seconds: number };
  let chosen: TransferResult['chosen'];
  let headDir = join(outDir, `head-${name}`);
  if (options.grid) {
    headDir = join(outDir, `grid-${name}`, GRID_FILES.best);
    const grid = await runGrid(data, {
      dir: join(outDir, `grid-${name}`),
      input: { kind: 'features' },
      seed: head.seed,
      ...threads,
      ...progress,
      extra,
      modelMetadata: { backbone: features.record },
    });
    const { epochs, batch, hidden, lr } = grid.grid.best;
    chosen = { epochs, batch, hidden, lr };
    result = { accuracy: grid.grid.best.accuracy, seconds: grid.grid.seconds + grid.curveSeconds };
  } else {
    const run = await trainClassifier(data, { ...head, ...threads, curves: true, task: 'head', ...progress });
    await writeRunOutputs({
      dir: headDir,
      result: run,
      data,
      input: { kind: 'features' },
      extra,
      modelMetadata: { backbone: features.record },
    });
    result = run;
  }
  await writeCombinedModel(headDir, features);
  // The unknown-person rule of `predict --unknown`, fitted on the same features (see open-set.ts).
  if (features.set.actors.length >= 2 && features.set.val.count > 0)
    await writeOpenSet(join(headDir, OPEN_SET_FILE), features.set);
  const row: ComparisonRow = {
    method,
    features: data.inputDim,
    accuracy: result.accuracy,
    testError: 1 - result.accuracy.test,
  };

  let baseline: ComparisonRow | undefined;
  let baselineSeconds = 0;
  const side = options.baselineSide ?? 32;
  if (side !== false) {
    const run = await rawPixelBaseline(options.dataDir, outDir, side, head, threads, progress);
    baseline = run.row;
    baselineSeconds = run.seconds;
  }
  const errorReduction = reduction(baseline, row);
  await updateComparison(join(outDir, 'comparison.json'), head, baseline, row);
  return {
    backbone: features.backbone,
    layer: features.layer,
    features: data.inputDim,
    accuracy: result.accuracy,
    baseline,
    errorReduction,
    chosen,
    featuresReused: features.reused,
    modelDir: headDir,
    seconds: { features: features.seconds, head: result.seconds, baseline: baselineSeconds },
  };
}

/** File name of the features-taking head next to the combined `model.onnx`. */
export const HEAD_FILE = 'head.onnx';

/**
 * Moves the head the trainer wrote (`model.onnx`, taking features) to `head.onnx` and writes
 * in its place the portable model taking crops: backbone and head in one graph. With `seed`
 * preprocessing (no in-graph form) the features-taking `model.onnx` stays as it is.
 */
async function writeCombinedModel(dir: string, features: ComputedFeatures): Promise<void> {
  const { spec, record } = features;
  const input = cropToInput(spec.preprocess);
  if (!input) return;
  const headPath = join(dir, HEAD_FILE);
  await rename(join(dir, MODEL_FILE), headPath);
  const combined = buildCombinedModel({
    backbone: spec.model,
    tensor: spec.tensor,
    side: spec.side,
    input,
    head: new Uint8Array(await readFile(headPath)),
    source: spec.source ?? spec.name,
    extra: { backbone: record, head: HEAD_FILE },
  });
  await writeFileAtomic(join(dir, MODEL_FILE), combined);
}

function reduction(baseline: ComparisonRow | undefined, row: ComparisonRow): number | undefined {
  return baseline && baseline.testError > 0
    ? (baseline.testError - row.testError) / baseline.testError
    : undefined;
}

/** The `comparison.json` document. */
interface Comparison {
  head: Required<HeadOptions>;
  baseline: ComparisonRow | null;
  rows: (ComparisonRow & { errorReduction: number | null })[];
}

/** Adds or replaces `row` in the folder's comparison (started afresh when the head or baseline differ). */
async function updateComparison(
  path: string,
  head: Required<HeadOptions>,
  baseline: ComparisonRow | undefined,
  row: ComparisonRow,
): Promise<void> {
  const old = await readFile(path, 'utf8')
    .then((text) => JSON.parse(text) as Comparison)
    .catch(() => undefined);
  const same =
    old &&
    JSON.stringify(old.head) === JSON.stringify(head) &&
    JSON.stringify(old.baseline) === JSON.stringify(baseline ?? null);
  const rows = (same ? old.rows : []).filter((r) => r.method !== row.method);
  rows.push({ ...row, errorReduction: reduction(baseline, row) ?? null });
  const doc: Comparison = { head, baseline: baseline ?? null, rows };
  await writeFileAtomic(path, `${JSON.stringify(doc, null, 1)}\n`);
}

/** The trainer's view of a feature set. */
function headData(set: FeatureSet): HeadData {
  const part = (p: FeatureSet['train']) => ({ x: p.x, labels: p.y, count: p.count });
  return {
    inputDim: set.dim,
    classes: set.actors.length,
    classNames: set.actors,
    train: part(set.train),
    val: part(set.val),
    test: part(set.test),
  };
}

/** Trains the head on raw pixels of `side` px crops, or reuses `baseline.json` from the same job. */
async function rawPixelBaseline(
  dataDir: string,
  outDir: string,
  side: number,
  head: Required<HeadOptions>,
  threads: { threads?: number },
  progress: { onProgress?: OnProgress },
): Promise<{ row: ComparisonRow; seconds: number }> {
  const path = join(outDir, 'baseline.json');
  const split = await splitManifestSha256(dataDir);
  const key = JSON.stringify({ side, head, split });
  const cached = await readFile(path, 'utf8')
    .then((text) => JSON.parse(text) as { key: string; row: ComparisonRow })
    .catch(() => undefined);
  if (cached?.key === key) return { row: cached.row, seconds: 0 };
  const data = featuresFromImages(await loadPrepared(dataDir, side));
  const result = await trainClassifier(data, {
    ...head,
    ...threads,
    curves: false,
    task: 'baseline',
    ...progress,
  });
  const row: ComparisonRow = {
    method: `raw pixels ${side} px`,
    features: data.inputDim,
    accuracy: result.accuracy,
    testError: 1 - result.accuracy.test,
  };
  await writeFileAtomic(path, `${JSON.stringify({ key, row, seconds: result.seconds }, null, 1)}\n`);
  return { row, seconds: result.seconds };
}

function definedOnly(options: HeadOptions): HeadOptions {
  const out: HeadOptions = {};
  for (const key of ['hidden', 'batch', 'lr', 'epochs', 'seed'] as const) {
    const value = options[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * The `<backbone>-<layer>` part of the file names `runTransfer` writes (`features-…npz`,
 * `head-…/`, `grid-…/`), file-name safe; an `onnx` backbone is named after its weights file.
 *
 * @example
 * transferName('ssd', 'conv11_grid'); // 'ssd-conv11_grid' (the head is in OUT/head-ssd-conv11_grid)
 */
export function transferName(backbone: string, layer: string, weights?: string): string {
  return `${slug(backbone, weights)}-${slug(layer)}`;
}

/** A file-name-safe form of a backbone or layer name. */
function slug(name: string, weights?: string): string {
  const base = name === 'onnx' && weights ? basename(weights).replace(/\.onnx$/i, '') : name;
  return base.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^_+|_+$/g, '') || 'x';
}
