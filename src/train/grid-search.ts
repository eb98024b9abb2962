/**
 * Grid search over epochs × batch × hidden × learning rate, fast by design:
 *
 * - every (batch, hidden, lr) is trained once, to the largest epoch count, with accuracies and
 *   parameters kept at each requested count (a shorter run is a prefix of a longer one with the
 *   same seed), so the reference's 81 points are 27 runs and 200 epochs of training instead of
 *   320 per triple;
 * - independent runs go to worker threads, one per core, each with a one-thread ORT session
 *   (no thread pool handoffs, no spinning threads fighting for the cores);
 * - accuracy is computed only at the requested epoch counts, not after every epoch.
 *
 * - with `runsDir`, every finished run is stored there and a search over the same data, seed
 *   and thread count loads finished runs instead of training them (`grid-run-store.ts`), so an
 *   interrupted search resumes where it stopped, with the same result.
 *
 * The point chosen is the best by validation accuracy (ties: higher mean of train and
 * validation, then the earlier point in grid order), whatever order the runs finish in.
 * `select: 'test'` reproduces the reference study's rule (best test accuracy), which is
 * optimistic: the test set then takes part in the choice.
 */
import { availableParallelism } from 'node:os';
import {
  resolveTrainingEngine,
  type TrainingEngineChoice,
  type TrainingEngineKind,
} from '../engine/mlp-training-engine.js';
import { InvalidOptionError } from '../errors.js';
import type { OnProgress } from '../progress.js';
import { positiveInteger } from '../validate.js';
import type { FeatureSet } from './features.js';
import { runTasks } from './grid-pool.js';
import { featureSetFingerprint, GridRunStore } from './grid-run-store.js';
import type { GridCheckpoint, GridTask, GridTaskResult } from './grid-task.js';
import type { Accuracy } from './metrics.js';

/** The reference study's grid. */
export const REFERENCE_GRID = {
  epochs: [20, 100, 200],
  batch: [32, 64, 128],
  hidden: [100, 200, 300],
  lr: [1e-4, 1e-3, 1e-2],
} as const;

/** How the grid point is chosen. */
export type GridSelection = 'val' | 'test';

/** Options of `gridSearch`. */
export interface GridOptions {
  /** Epoch counts. Default 20, 100, 200. */
  epochs?: readonly number[];
  /** Mini-batch sizes. Default 32, 64, 128. */
  batch?: readonly number[];
  /** Hidden units. Default 100, 200, 300. */
  hidden?: readonly number[];
  /** Learning rates. Default 1e-4, 1e-3, 1e-2. */
  lr?: readonly number[];
  /** Seed of every run (initial weights and shuffles). Default 0. */
  seed?: number;
  /** Selection rule. Default 'val'. */
  select?: GridSelection;
  /** Runs in parallel, each in a worker thread. Default: one per core (at most one per run); 1 runs in this thread. */
  workers?: number;
  /** ORT threads per run. Default 1 with several workers, else one per core. */
  threads?: number;
  /** Trainer: 'auto' (native when built), 'native' or 'ort'. Default 'auto'. */
  engine?: TrainingEngineChoice;
  /**
   * Folder of finished runs (see `grid-run-store.ts`): each run is stored there when it ends,
   * and usable stored runs are loaded instead of trained. Default: none, nothing is stored.
   */
  runsDir?: string;
  /** Stops the search (runs finished so far stay stored); the search rejects with its reason. */
  signal?: AbortSignal;
  onProgress?: OnProgress;
}

/** One grid point's result. */
export interface GridPoint {
  epochs: number;
  batch: number;
  hidden: number;
  lr: number;
  accuracy: Accuracy;
  /** Mean training loss of the last epoch. */
  loss: number;
}

/** What `gridSearch` returns. */
export interface GridResult {
  /** Every point, in grid order (epochs, then batch, hidden, lr, as given). */
  points: GridPoint[];
  /** The chosen point. */
  best: GridPoint;
  /**
   * The chosen point's accuracies, test confusion matrix and parameter hash; its parameters
   * unless its run was loaded from `runsDir` (then re-train it: runs are reproducible).
   */
  bestCheckpoint: GridCheckpoint;
  select: GridSelection;
  seed: number;
  /** Training runs of the grid (one per batch × hidden × lr). */
  runs: number;
  /** Runs loaded from `runsDir` instead of trained. */
  reusedRuns: number;
  workers: number;
  threads: number;
  /** The trainer the runs used. */
  engine: TrainingEngineKind;
  /** Wall-clock seconds of the search. */
  seconds: number;
  /** Sum of the runs' own seconds (training time as if run one after another), loaded runs included. */
  runSeconds: number;
}

/** Runs the grid search. */
export async function gridSearch(data: FeatureSet, options: GridOptions = {}): Promise<GridResult> {
  const grid = {
    epochs: checkList('epochs', options.epochs ?? REFERENCE_GRID.epochs, true),
    batch: checkList('batch', options.batch ?? REFERENCE_GRID.batch, true),
    hidden: checkList('hidden', options.hidden ?? REFERENCE_GRID.hidden, true),
    lr: checkList('lr', options.lr ?? REFERENCE_GRID.lr, false),
  };
  const seed = options.seed ?? 0;
  const select = options.select ?? 'val';
  if (select !== 'val' && select !== 'test')
    throw new InvalidOptionError('select', "'val' or 'test'", select);
  const maxEpochs = Math.max(...grid.epochs);
  const checkpoints = [...new Set(grid.epochs)].sort((a, b) => a - b);
  const tasks: GridTask[] = [];
  for (const batch of grid.batch) {
    for (const hidden of grid.hidden) {
      for (const lr of grid.lr)
        tasks.push({ id: tasks.length, batch, hidden, lr, epochs: maxEpochs, checkpoints, seed });
    }
  }
  if (options.workers !== undefined) positiveInteger('workers', options.workers);
  const workers = Math.min(tasks.length, options.workers ?? availableParallelism());
  const threads = options.threads ?? (workers > 1 ? 1 : availableParallelism());
  const engine = resolveTrainingEngine(options.engine);

  // Longest runs first, so the last ones to finish are short: cost ~ hidden × (Gemm work, fixed
  // per epoch, + Adam work per step).
  const steps = (t: GridTask): number => Math.ceil(data.train.count / t.batch);
  const order = [...tasks].sort(
    (a, b) => b.hidden * (7 + steps(b)) - a.hidden * (7 + steps(a)) || a.id - b.id,
  );

  const started = performance.now();
  let best: { point: GridPoint; index: number; checkpoint: GridCheckpoint } | undefined;
  const points = new Map<number, GridPoint>();
  const indexOf = (p: Omit<GridPoint, 'accuracy' | 'loss'>): number =>
    ((grid.epochs.indexOf(p.epochs) * grid.batch.length + grid.batch.indexOf(p.batch)) * grid.hidden.length +
      grid.hidden.indexOf(p.hidden)) *
      grid.lr.length +
    grid.lr.indexOf(p.lr);
  let runSeconds = 0;
  const onResult = (result: GridTaskResult): void => {
    runSeconds += result.seconds;
    const task = tasks[result.id]!;
    for (const checkpoint of result.checkpoints) {
      if (!grid.epochs.includes(checkpoint.epochs)) continue;
      const point: GridPoint = {
        epochs: checkpoint.epochs,
        batch: task.batch,
        hidden: task.hidden,
        lr: task.lr,
        accuracy: checkpoint.accuracy,
        loss: checkpoint.loss,
      };
      const index = indexOf(point);
      points.set(index, point);
      if (!best || isBetter(point, index, best.point, best.index, select))
        best = { point, index, checkpoint };
    }
  };

  const store = options.runsDir
    ? new GridRunStore(options.runsDir, { data: featureSetFingerprint(data), seed, threads, engine })
    : undefined;
  const toRun: GridTask[] = [];
  for (const task of order) {
    const stored = await store?.load(task);
    if (stored) onResult(stored);
    else toRun.push(task);
  }
  const reusedRuns = tasks.length - toRun.length;
  // Each run is stored as it finishes; a failed write fails the search, but only after the
  // other runs finished so far are stored too.
  const saves: Promise<void>[] = [];
  let stopped: { reason: unknown } | undefined;
  try {
    await runTasks({
      data,
      tasks: toRun,
      workers: Math.max(1, Math.min(workers, toRun.length)),
      threads,
      engine,
      onResult: (result) => {
        onResult(result);
        if (store) saves.push(store.save(tasks[result.id]!, result));
      },
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (reason) {
    stopped = { reason };
  }
  const unsaved = (await Promise.allSettled(saves)).find((s) => s.status === 'rejected');
  if (stopped) throw stopped.reason;
  if (unsaved) throw unsaved.reason;
  const all = [...points.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
  return {
    points: all,
    best: best!.point,
    bestCheckpoint: best!.checkpoint,
    select,
    seed,
    runs: tasks.length,
    reusedRuns,
    workers,
    threads,
    engine,
    seconds: (performance.now() - started) / 1000,
    runSeconds,
  };
}

/**
 * Whether point `a` beats point `b` under the rule: by validation accuracy, then the mean of
 * train and validation; or (rule 'test') by test accuracy, then validation, then that mean.
 * Remaining ties go to the earlier point in grid order, so the choice never depends on timing.
 */
export function isBetter(
  a: GridPoint,
  aIndex: number,
  b: GridPoint,
  bIndex: number,
  select: GridSelection,
): boolean {
  const keys = (p: GridPoint): number[] =>
    select === 'val'
      ? [p.accuracy.val, (p.accuracy.train + p.accuracy.val) / 2]
      : [p.accuracy.test, p.accuracy.val, (p.accuracy.train + p.accuracy.val) / 2];
  const ka = keys(a);
  const kb = keys(b);
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! > kb[i]!;
  return aIndex < bIndex;
}

function checkList(name: string, values: readonly number[], integer: boolean): number[] {
  const ok =
    values.length > 0 &&
    values.every((v) => (integer ? Number.isInteger(v) && v >= 1 : Number.isFinite(v) && v > 0));
  if (!ok || new Set(values).size !== values.length) {
    throw new InvalidOptionError(
      name,
      `distinct ${integer ? 'positive integers' : 'positive numbers'}`,
      values.join(','),
    );
  }
  return [...values];
}
