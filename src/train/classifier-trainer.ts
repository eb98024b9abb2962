/**
 * Trains the one-hidden-layer classifier on a `FeatureSet` with one of the engine's trainers.
 *
 *   seeded init (`init.ts`) → for each chunk of epochs: seeded row orders (`epoch-orders.ts`)
 *   → the trainer (`mlp-training-engine.ts`) → accuracies from the predicted labels
 *
 * Chunks end at every checkpoint (whose parameters are kept) and every `chunkEpochs` epochs (for
 * progress). A trainer is built for one batch size and network shape and can run several
 * learning rates and seeds with it.
 */
import type { MlpParams } from '../engine/mlp-layers.js';
import {
  createMlpTrainingEngine,
  type MlpTrainingEngine,
  type TrainingEngineChoice,
} from '../engine/mlp-training-engine.js';
import { InvalidOptionError } from '../errors.js';
import type { OnProgress } from '../progress.js';
import { positiveInteger } from '../validate.js';
import { EpochOrders } from './epoch-orders.js';
import { type FeatureSet, stackedRows } from './features.js';
import { initialParams } from './init.js';
import { type Accuracy, accuracyOf, confusionMatrix } from './metrics.js';

/** What one trainer is built for. */
export interface TrainerSetup {
  /** Hidden units H. Default 300. */
  hidden?: number;
  /** Mini-batch size. Default 32. */
  batch?: number;
  /** ORT intra-op threads. Default: one per core. */
  threads?: number;
  /**
   * Let idle ORT threads spin between operators. Default: the trainer's choice (the ORT trainer
   * spins when `threads` > 1; the native one never: its kernel's thread needs the core). Turn it
   * off when several sessions share the cores (parallel grid runs), or their threads fight.
   */
  spinning?: boolean;
  /**
   * Trainer: 'native' (the C++ training kernel built at install: forward, gradients and Adam,
   * an epoch per call), 'ort' (all in ONNX Runtime) or 'auto' (native when built). Default 'auto'.
   */
  engine?: TrainingEngineChoice;
}

/** One training run. */
export interface RunOptions {
  /** Adam learning rate. Default 1e-3. */
  lr?: number;
  /** Epochs. Default 200. */
  epochs?: number;
  /** Seed of the initial weights and of the shuffles. Default 0. */
  seed?: number;
  /**
   * Evaluate train/validation/test accuracy after every epoch (learning curves). When false,
   * only at checkpoints and at the end, which saves a forward pass over every row per epoch.
   * Default true.
   */
  curves?: boolean;
  /** Epoch counts (≤ epochs) at which to keep accuracies and parameters. The end is always one. */
  checkpoints?: readonly number[];
  /** Longest chunk of epochs per call of the trainer (how often progress is reported). Default 20. */
  chunkEpochs?: number;
  onProgress?: OnProgress;
  /** Task name of the progress events. Default 'train'. */
  task?: string;
}

/** The state of a run at one epoch count. */
export interface Checkpoint {
  epochs: number;
  accuracy: Accuracy;
  /** Mean training loss of the last epoch. */
  loss: number;
  /** Test confusion matrix, `[true][predicted]`. */
  confusion: number[][];
  params: MlpParams;
}

/** Per-epoch history; index 0 is after epoch 1. */
export interface Curves {
  train: number[];
  val: number[];
  test: number[];
  /** Mean training cross-entropy of each epoch. */
  loss: number[];
}

/** What a run returns. */
export interface RunResult {
  config: {
    hidden: number;
    batch: number;
    lr: number;
    epochs: number;
    seed: number;
    threads: number | 'auto';
  };
  /** Per-epoch accuracies (empty when `curves` was false) and losses. */
  curves: Curves;
  /** Checkpoints in epoch order; the last is the end of the run. */
  checkpoints: Checkpoint[];
  /** Accuracy at the end. */
  accuracy: Accuracy;
  /** Wall-clock seconds of the run (data and session set-up excluded). */
  seconds: number;
}

/** A training session for one batch size and network shape. Call `dispose()` when done. */
export class ClassifierTrainer {
  private constructor(
    private readonly data: FeatureSet,
    private readonly session: MlpTrainingEngine,
    private readonly setup: Required<Omit<TrainerSetup, 'threads' | 'spinning' | 'engine'>> & {
      threads: number | 'auto';
    },
  ) {}

  /** Builds the training graph for `data` and loads it. */
  static async create(data: FeatureSet, setup: TrainerSetup = {}): Promise<ClassifierTrainer> {
    const hidden = positiveInteger('hidden', setup.hidden ?? 300);
    const batch = positiveInteger('batch', setup.batch ?? 32);
    if (setup.threads !== undefined) positiveInteger('threads', setup.threads);
    if (data.train.count === 0) throw new InvalidOptionError('data.train', 'at least one training row', 0);
    const rowCount = data.train.count + data.val.count + data.test.count;
    const session = await createMlpTrainingEngine({
      inputDim: data.inputDim,
      hidden,
      classes: data.classes,
      trainCount: data.train.count,
      rowCount,
      batch,
      ...(setup.threads === undefined ? {} : { threads: setup.threads }),
      ...(setup.spinning === undefined ? {} : { spinning: setup.spinning }),
      ...(setup.engine === undefined ? {} : { engine: setup.engine }),
    });
    // Stacked once per feature set, not per trainer: a grid keeps a trainer per batch × hidden.
    const { x, labels } = stackedRows(data);
    session.setData(x, labels);
    return new ClassifierTrainer(data, session, { hidden, batch, threads: setup.threads ?? 'auto' });
  }

  /** Trains from a fresh seeded initialisation. */
  async run(options: RunOptions = {}): Promise<RunResult> {
    const lr = options.lr ?? 1e-3;
    if (!(lr > 0) || !Number.isFinite(lr)) throw new InvalidOptionError('lr', 'a positive number', lr);
    const epochs = positiveInteger('epochs', options.epochs ?? 200);
    const seed = options.seed ?? 0;
    if (!Number.isSafeInteger(seed)) throw new InvalidOptionError('seed', 'an integer', seed);
    const curves = options.curves ?? true;
    const chunkEpochs = positiveInteger('chunkEpochs', options.chunkEpochs ?? 20);
    const checkpoints = new Set([...(options.checkpoints ?? []), epochs]);
    for (const c of checkpoints) {
      if (!Number.isInteger(c) || c < 1 || c > epochs) {
        throw new InvalidOptionError('checkpoints', `epoch counts from 1 to ${epochs}`, c);
      }
    }
    const task = options.task ?? 'train';
    const { data, session } = this;
    const { train, val, test } = data;
    const started = performance.now();
    const orders = new EpochOrders(train.count, seed);
    let state = session.initialState(
      initialParams({ inputDim: data.inputDim, hidden: this.setup.hidden, classes: data.classes, seed }),
    );
    const history: Curves = { train: [], val: [], test: [], loss: [] };
    const kept: Checkpoint[] = [];
    const rows = train.count + val.count + test.count;
    options.onProgress?.({ kind: 'start', task, total: epochs });
    let done = 0;
    while (done < epochs) {
      const nextStop = Math.min(...[...checkpoints].filter((c) => c > done));
      const end = Math.min(nextStop, done + chunkEpochs);
      const count = end - done;
      const evaluate = Array.from(
        { length: count },
        (_, i) => curves || (i === count - 1 && checkpoints.has(end)),
      );
      const result = await session.run({ state, orders: orders.next(count), evaluate, lr });
      state = result.state;
      for (let i = 0; i < count; i++) {
        history.loss.push(result.loss[i]!);
        if (!evaluate[i]) continue;
        const predicted = result.predictions.subarray(i * rows, (i + 1) * rows);
        const accuracy = accuracies(predicted, data);
        if (curves) {
          history.train.push(accuracy.train);
          history.val.push(accuracy.val);
          history.test.push(accuracy.test);
        }
        if (i === count - 1 && checkpoints.has(end)) {
          kept.push({
            epochs: end,
            accuracy,
            loss: result.loss[i]!,
            confusion: confusionMatrix(predicted, test.labels, data.classes, train.count + val.count),
            params: session.params(state),
          });
        }
      }
      done = end;
      const last = kept.at(-1);
      options.onProgress?.({
        kind: 'advance',
        task,
        done,
        total: epochs,
        detail: `loss ${history.loss.at(-1)!.toFixed(4)}${curves && history.val.length ? ` val ${history.val.at(-1)!.toFixed(3)}` : last?.epochs === done ? ` val ${last.accuracy.val.toFixed(3)}` : ''}`,
      });
    }
    options.onProgress?.({ kind: 'done', task });
    return {
      config: {
        hidden: this.setup.hidden,
        batch: this.setup.batch,
        lr,
        epochs,
        seed,
        threads: this.setup.threads,
      },
      curves: history,
      checkpoints: kept,
      accuracy: kept.at(-1)!.accuracy,
      seconds: (performance.now() - started) / 1000,
    };
  }

  /** Releases the trainer's ORT sessions. */
  async dispose(): Promise<void> {
    await this.session.dispose();
  }
}

/**
 * Trains once: builds a trainer, runs it, disposes it.
 *
 * @example
 * const result = await trainClassifier(featuresFromImages(dataset), { epochs: 200, hidden: 300 });
 */
export async function trainClassifier(
  data: FeatureSet,
  options: TrainerSetup & RunOptions = {},
): Promise<RunResult> {
  const trainer = await ClassifierTrainer.create(data, options);
  try {
    return await trainer.run(options);
  } finally {
    await trainer.dispose();
  }
}

function accuracies(predicted: BigInt64Array, data: FeatureSet): Accuracy {
  return {
    train: accuracyOf(predicted, data.train.labels, 0),
    val: accuracyOf(predicted, data.val.labels, data.train.count),
    test: accuracyOf(predicted, data.test.labels, data.train.count + data.val.count),
  };
}
