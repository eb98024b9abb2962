/**
 * Finished runs of a grid search, kept on disk so that an interrupted search resumes where it
 * stopped: one file per (batch, hidden, lr), `<dir>/b<batch>-h<hidden>-lr<lr>.json`, written
 * atomically when the run ends. It holds what the sweep keeps of a run at every requested epoch
 * count (accuracies, loss, test confusion matrix) and the SHA-256 of the parameters there, not
 * the parameters themselves (megabytes per checkpoint): the chosen point is trained again for
 * its learning curve anyway, and that re-run is checked against the hash.
 *
 * A file is used only when it was made from the same data (fingerprint of every feature and
 * label), seed and ORT thread count, and holds every epoch count now asked for (a run to more
 * epochs serves a grid of fewer: shorter runs are prefixes). Anything else, including an
 * unreadable file left by a crash, is ignored and replaced when that run finishes again.
 */

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../data/atomic-file.js';
import type { MlpParams } from '../engine/mlp-layers.js';
import type { TrainingEngineKind } from '../engine/mlp-training-engine.js';
import type { FeatureSet } from './features.js';
import type { GridCheckpoint, GridTask, GridTaskResult } from './grid-task.js';

/** Bumped when the file layout or the meaning of its numbers changes. */
const STORE_VERSION = 1;

/** What every stored run must share with the search to be reused. */
export interface GridRunContext {
  /** `featureSetFingerprint` of the training data. */
  data: string;
  seed: number;
  /** ORT threads per run (a different count may sum in another order). */
  threads: number;
  /** The trainer (its Adam rounds differently); files written before it was recorded are 'ort'. */
  engine: TrainingEngineKind;
}

/** The content of one run's file. */
interface StoredRun extends GridRunContext {
  version: number;
  batch: number;
  hidden: number;
  lr: number;
  /** Epochs trained. */
  epochs: number;
  checkpoints: Omit<GridCheckpoint, 'params'>[];
  /** Seconds the run took. */
  seconds: number;
  /** ISO time the run finished. */
  finished: string;
}

/** Reads and writes the finished runs of one grid search folder. */
export class GridRunStore {
  /**
   * @param dir folder of the run files (created on the first save).
   * @param context what a stored run must share with this search.
   */
  constructor(
    readonly dir: string,
    private readonly context: GridRunContext,
  ) {}

  /** The file of a task's (batch, hidden, lr). */
  pathOf(task: Pick<GridTask, 'batch' | 'hidden' | 'lr'>): string {
    return join(this.dir, `b${task.batch}-h${task.hidden}-lr${task.lr}.json`);
  }

  /**
   * The stored result of `task`, with its id, when a usable one exists: same context and
   * configuration, and a checkpoint at every epoch count of the task.
   */
  async load(task: GridTask): Promise<GridTaskResult | undefined> {
    let stored: StoredRun;
    try {
      stored = JSON.parse(await readFile(this.pathOf(task), 'utf8')) as StoredRun;
    } catch {
      return undefined;
    }
    const { data, seed, threads, engine } = this.context;
    const matches =
      stored.version === STORE_VERSION &&
      stored.data === data &&
      stored.seed === seed &&
      stored.threads === threads &&
      (stored.engine ?? 'ort') === engine &&
      stored.batch === task.batch &&
      stored.hidden === task.hidden &&
      stored.lr === task.lr &&
      Array.isArray(stored.checkpoints);
    if (!matches) return undefined;
    const byEpochs = new Map(stored.checkpoints.map((c) => [c.epochs, c]));
    const checkpoints = task.checkpoints.map((epochs) => byEpochs.get(epochs));
    if (checkpoints.some((c) => c === undefined || !isCheckpoint(c))) return undefined;
    return {
      id: task.id,
      checkpoints: checkpoints as GridCheckpoint[],
      seconds: stored.seconds,
      reused: true,
    };
  }

  /** Writes a finished run atomically (parameters are kept only as their hash). */
  async save(task: GridTask, result: GridTaskResult): Promise<void> {
    const stored: StoredRun = {
      version: STORE_VERSION,
      ...this.context,
      batch: task.batch,
      hidden: task.hidden,
      lr: task.lr,
      epochs: task.epochs,
      checkpoints: result.checkpoints.map(({ params: _, ...rest }) => rest),
      seconds: result.seconds,
      finished: new Date().toISOString(),
    };
    await writeJsonAtomic(this.pathOf(task), stored);
  }
}

/**
 * SHA-256 of a feature set: shape, class names, and the bytes of every row and label in split
 * order. Two sets with the same fingerprint train to the same result.
 */
export function featureSetFingerprint(data: FeatureSet): string {
  const hash = createHash('sha256');
  const counts = [data.train.count, data.val.count, data.test.count];
  hash.update(JSON.stringify({ inputDim: data.inputDim, classes: data.classNames, counts }));
  for (const part of [data.train, data.val, data.test]) {
    hash.update(bytesOf(part.x));
    hash.update(bytesOf(part.labels));
  }
  return hash.digest('hex');
}

/** SHA-256 of a classifier's parameters (w1, b1, w2, b2 bytes in order), to compare runs bit for bit. */
export function paramsSha256(params: MlpParams): string {
  const hash = createHash('sha256');
  for (const array of [params.w1, params.b1, params.w2, params.b2]) hash.update(bytesOf(array));
  return hash.digest('hex');
}

function bytesOf(array: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function isCheckpoint(value: unknown): boolean {
  const c = value as GridCheckpoint;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.loss === 'number' &&
    typeof c.paramsSha256 === 'string' &&
    typeof c.accuracy?.val === 'number' &&
    typeof c.accuracy.train === 'number' &&
    typeof c.accuracy.test === 'number' &&
    Array.isArray(c.confusion)
  );
}
