/**
 * `facelab train --data DIR [--size 32] [--epochs 200] [--batch 32] [--hidden 300] [--lr 1e-3]
 * [--seed 0] [--threads N] --out DIR [--json]`: trains the one-hidden-layer classifier on a
 * prepared dataset and writes model.onnx, metrics.json and the learning curve to --out.
 * With `--json` the last stdout line is
 * `{"accuracy":{"train":…,"val":…,"test":…},"epochs":…,"seconds":…}` (seconds of training;
 * `wallSeconds` adds loading and writing).
 */
import { resolve } from 'node:path';
import { loadPrepared } from '../data/dataset.js';
import { TRAINING_ENGINES, type TrainingEngineChoice } from '../engine/mlp-training-engine.js';
import { InvalidOptionError } from '../errors.js';
import { lockOutputFolder } from '../pipeline/output-lock.js';
import { trainClassifier } from '../train/classifier-trainer.js';
import { featuresFromImages } from '../train/features.js';
import { RUN_FILES, writeRunOutputs } from '../train/run-outputs.js';
import {
  type FlagSpec,
  intFlag,
  numberFlag,
  optionalString,
  type ParsedArgs,
  parseCommand,
  requireString,
} from './args.js';
import type { Command } from './command.js';
import { printJson, roundSeconds, say } from './output.js';
import { progressPrinter } from './progress-bar.js';

/** Flags shared by `train` and `grid`. */
export const dataFlags: Record<string, FlagSpec> = {
  data: { type: 'string', help: "folder written by 'facelab prepare' (faces_<side>.npz, split.json)" },
  size: { type: 'string', help: 'crop side in pixels', default: '32' },
  out: { type: 'string', help: 'output folder' },
  seed: { type: 'string', help: 'seed of the initial weights and the shuffles', default: '0' },
  threads: {
    type: 'string',
    help: 'ORT threads per training session (the same seed and thread count give the same bits)',
    default: 'one per core',
  },
  engine: {
    type: 'string',
    value: 'NAME',
    help: "trainer: 'native' (the C++ training kernel built at install), 'ort' (all in ONNX Runtime), or 'auto' (native when built)",
    default: 'auto',
  },
};

/** The `--engine` flag's value, checked. */
export function engineFlag(values: ParsedArgs['values']): TrainingEngineChoice {
  const engine = optionalString(values, 'engine') ?? 'auto';
  if (!(TRAINING_ENGINES as readonly string[]).includes(engine)) {
    throw new InvalidOptionError('--engine', `one of ${TRAINING_ENGINES.join(', ')}`, engine);
  }
  return engine as TrainingEngineChoice;
}

const flags: Record<string, FlagSpec> = {
  ...dataFlags,
  epochs: { type: 'string', help: 'epochs', default: '200' },
  batch: { type: 'string', help: 'mini-batch size', default: '32' },
  hidden: { type: 'string', help: 'hidden units', default: '300' },
  lr: { type: 'string', help: 'Adam learning rate', default: '1e-3' },
};

const USAGE =
  '--data DIR [--size 32] [--epochs 200] [--batch 32] [--hidden 300] [--lr 1e-3] [--seed 0] [--threads N] [--engine auto|native|ort] --out DIR [--json]';
const DESCRIPTION = `Trains Linear(side·side·3 → hidden) → ReLU → Linear(hidden → actors) with softmax cross-entropy
and Adam (PyTorch semantics), weights from normal(0, 0.03) and a seeded shuffle per epoch, on the
training part; reports train/validation/test accuracy after every epoch. Writes model.onnx (raw
crops in, per-image min-max normalisation inside the graph, logits and probabilities out),
metrics.json and learning_curve.svg/.png. The same seed gives the same result.`;

/** The `train` command. */
export const command: Command = {
  name: 'train',
  summary: 'train the fully connected classifier on prepared crops (ONNX Runtime)',
  async run(argv) {
    const parsed = parseCommand({ name: 'train', usage: USAGE, description: DESCRIPTION, flags }, argv);
    if (!parsed) return 0;
    const { values, json } = parsed;
    const dataDir = requireString(values, 'data');
    const outDir = requireString(values, 'out');
    const side = intFlag(values, 'size', 32, 1, 4096);
    const epochs = intFlag(values, 'epochs', 200, 1, 1_000_000);
    const batch = intFlag(values, 'batch', 32, 1, 1_000_000);
    const hidden = intFlag(values, 'hidden', 300, 1, 1_000_000);
    const lr = numberFlag(values, 'lr', 1e-3);
    const seed = intFlag(values, 'seed', 0, 0, 0xffffffff);
    const threads = values.threads === undefined ? undefined : intFlag(values, 'threads', 1, 1, 1024);
    const engine = engineFlag(values);

    const lock = await lockOutputFolder(outDir);
    try {
      const started = Date.now();
      const data = featuresFromImages(await loadPrepared(dataDir, side));
      const result = await trainClassifier(data, {
        epochs,
        batch,
        hidden,
        lr,
        seed,
        ...(threads === undefined ? {} : { threads }),
        engine,
        onProgress: progressPrinter(),
      });
      await writeRunOutputs({
        dir: outDir,
        result,
        data,
        input: { kind: 'image', side },
        extra: { data: resolve(dataDir) },
      });
      const { accuracy } = result;
      say(
        `trained ${data.inputDim}→${hidden}→${data.classes} for ${epochs} epochs in ${result.seconds.toFixed(2)} s`,
        json,
      );
      say(
        `accuracy  train ${accuracy.train.toFixed(4)}  val ${accuracy.val.toFixed(4)}  test ${accuracy.test.toFixed(4)}`,
        json,
      );
      say(`wrote ${Object.values(RUN_FILES).join(', ')} to ${resolve(outDir)}`, json);
      if (json) {
        printJson({
          accuracy,
          epochs,
          seconds: Math.round(result.seconds * 100) / 100,
          wallSeconds: roundSeconds(Date.now() - started),
        });
      }
      return 0;
    } finally {
      await lock.release();
    }
  },
};
