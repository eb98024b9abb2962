/**
 * The folder a training run leaves behind:
 *
 * - `model.onnx`: the self-contained classifier (`buildClassifierModel`), class names, input and
 *   preprocessing in its metadata;
 * - `metrics.json`: configuration, per-epoch curves, accuracies, test confusion matrix, seconds;
 * - `learning_curve.svg` / `.png`: train, validation and test accuracy per epoch.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../data/atomic-file.js';
import { buildClassifierModel, type ClassifierInput } from '../engine/classifier-model.js';
import { learningCurveSvg } from '../viz/learning-curve.js';
import { svgToPng } from '../viz/rasterize.js';
import type { Checkpoint, RunResult } from './classifier-trainer.js';
import type { FeatureSet } from './features.js';

/** Options of `writeRunOutputs`. */
export interface RunOutputOptions {
  /** Folder to write (created if missing). */
  dir: string;
  result: RunResult;
  /** The checkpoint whose model is exported; default the end of the run. */
  checkpoint?: Checkpoint;
  data: FeatureSet;
  /** What the exported model takes (raw crops of a side, or features). */
  input: ClassifierInput;
  /** More fields for `metrics.json` (e.g. the dataset folder, grid selection). */
  extra?: Record<string, unknown>;
  /** More fields for the model's `facelab` metadata (e.g. a transfer head's `backbone` record). */
  modelMetadata?: Record<string, unknown>;
}

/** The `metrics.json` document. */
export interface RunMetrics {
  config: RunResult['config'] & { inputDim: number; classes: number; input: ClassifierInput };
  /** The epoch count of the exported model. */
  epochs: number;
  sizes: { train: number; val: number; test: number };
  accuracy: Checkpoint['accuracy'];
  /** Per-epoch values up to `epochs` (accuracies only when the run kept curves). */
  curves: RunResult['curves'];
  confusion: { labels: string[]; rows: 'true'; columns: 'predicted'; matrix: number[][] };
  seconds: number;
  [key: string]: unknown;
}

/** File names inside the folder. */
export const RUN_FILES = {
  model: 'model.onnx',
  metrics: 'metrics.json',
  curveSvg: 'learning_curve.svg',
  curvePng: 'learning_curve.png',
} as const;

/** Writes the run's folder and returns the metrics written. */
export async function writeRunOutputs(options: RunOutputOptions): Promise<RunMetrics> {
  const { dir, result, data, input } = options;
  const checkpoint = options.checkpoint ?? result.checkpoints.at(-1)!;
  const epochs = checkpoint.epochs;
  const { config } = result;
  await mkdir(dir, { recursive: true });
  const curves = {
    train: result.curves.train.slice(0, epochs),
    val: result.curves.val.slice(0, epochs),
    test: result.curves.test.slice(0, epochs),
    loss: result.curves.loss.slice(0, epochs),
  };
  const metrics: RunMetrics = {
    ...options.extra,
    config: { ...config, epochs, inputDim: data.inputDim, classes: data.classes, input },
    epochs,
    sizes: { train: data.train.count, val: data.val.count, test: data.test.count },
    accuracy: checkpoint.accuracy,
    curves,
    confusion: { labels: data.classNames, rows: 'true', columns: 'predicted', matrix: checkpoint.confusion },
    seconds: Math.round(result.seconds * 100) / 100,
  };
  const model = buildClassifierModel({
    params: checkpoint.params,
    input,
    labels: data.classNames,
    extra: {
      ...options.modelMetadata,
      training: {
        hidden: config.hidden,
        batch: config.batch,
        lr: config.lr,
        epochs,
        seed: config.seed,
        optimizer: 'Adam (PyTorch semantics: beta1 0.9, beta2 0.999, eps 1e-8)',
      },
      accuracy: checkpoint.accuracy,
    },
  });
  await writeFileAtomic(join(dir, RUN_FILES.model), model);
  await writeFileAtomic(join(dir, RUN_FILES.metrics), `${JSON.stringify(metrics, null, 1)}\n`);
  if (curves.val.length > 0) {
    const svg = learningCurveSvg(curves, { title: curveTitle(metrics) });
    await writeFileAtomic(join(dir, RUN_FILES.curveSvg), svg);
    await writeFileAtomic(join(dir, RUN_FILES.curvePng), await svgToPng(svg, { width: 1280 }));
  }
  return metrics;
}

/** "3072→300→6 MLP · 200 epochs · batch 32 · lr 0.001 · seed 0" */
export function curveTitle(metrics: Pick<RunMetrics, 'config' | 'epochs'>): string {
  const c = metrics.config;
  return `${c.inputDim}→${c.hidden}→${c.classes} MLP · ${metrics.epochs} epochs · batch ${c.batch} · lr ${c.lr} · seed ${c.seed}`;
}
