/**
 * Runs grid tasks on a pool of worker threads (or, with one worker, in this thread), handing the
 * next task in the queue to whichever worker is free.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { TrainingEngineKind } from '../engine/mlp-training-engine.js';
import { FacelabError, UserError } from '../errors.js';
import type { OnProgress } from '../progress.js';
import { type FeatureSet, stackFeatureSet } from './features.js';
import { type GridTask, type GridTaskResult, GridTaskRunner } from './grid-task.js';
import type { GridWorkerData, GridWorkerReply, GridWorkerRequest } from './grid-worker.js';

/** Options of `runTasks`. */
export interface PoolOptions {
  data: FeatureSet;
  /** Tasks in the order to start them. */
  tasks: readonly GridTask[];
  /** Parallel workers; 1 runs every task in this thread. */
  workers: number;
  /** ORT threads per task. */
  threads: number;
  /** The trainer every task uses (resolved in the main thread). */
  engine: TrainingEngineKind;
  /** Called once per finished task, in completion order. */
  onResult: (result: GridTaskResult) => void;
  /** Progress in epochs trained over all tasks (task 'grid'). */
  onProgress?: OnProgress;
  /**
   * Stops the search: no task starts after it fires, running tasks stop at their next chunk of
   * epochs (at most 20), and `runTasks` rejects with the signal's reason once every worker has
   * exited. Tasks reported through `onResult` (before or while stopping) stay done.
   */
  signal?: AbortSignal;
}

/**
 * Starts a grid worker: the script next to this file with this file's extension. From the
 * TypeScript sources (tests, `tsx`), a worker does not inherit the parent's loader hooks, so a
 * small bootstrap registers tsx in the worker before importing the `.ts` script.
 */
/**
 * Starts a worker that owns its own stacked copy of the rows, moved to it rather than cloned
 * (a clone would hold a second, serialised copy while the worker starts: at 530 people the rows
 * are ~650 MB).
 */
function startWorker(options: Omit<GridWorkerData, 'data'> & { data: FeatureSet }): Worker {
  const data = stackFeatureSet(options.data);
  const workerData: GridWorkerData = { ...options, data };
  const transferList = [data.train.x.buffer as ArrayBuffer, data.train.labels.buffer as ArrayBuffer];
  const ext = extname(fileURLToPath(import.meta.url));
  const script = new URL(`./grid-worker${ext}`, import.meta.url);
  if (ext !== '.ts') return new Worker(script, { workerData, transferList });
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const bootstrap = `import(${api}).then((tsx) => { tsx.register(); return import(${JSON.stringify(script.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData, transferList });
}

/** Runs every task; rejects on the first failure or on abort (and stops the workers). */
export async function runTasks(options: PoolOptions): Promise<void> {
  const { tasks, onProgress, signal } = options;
  signal?.throwIfAborted();
  const total = tasks.reduce((sum, t) => sum + t.epochs, 0);
  const doneByTask = new Map<number, number>();
  let done = 0;
  const advance = (id: number, epochs: number): void => {
    done += epochs - (doneByTask.get(id) ?? 0);
    doneByTask.set(id, epochs);
    onProgress?.({
      kind: 'advance',
      task: 'grid',
      done,
      total,
      detail: `${doneByTask.size}/${tasks.length} runs`,
    });
  };
  onProgress?.({ kind: 'start', task: 'grid', total });
  if (options.workers <= 1) {
    const runner = new GridTaskRunner(options.data, options.threads, options.engine);
    const checkStop = (): void => signal?.throwIfAborted();
    try {
      for (const task of tasks) {
        checkStop();
        options.onResult(await runner.run(task, (epochs) => advance(task.id, epochs), checkStop));
      }
    } finally {
      await runner.dispose();
    }
  } else if (tasks.length > 0) {
    await runOnWorkers(options, advance);
  }
  onProgress?.({ kind: 'done', task: 'grid' });
}

/**
 * Hands tasks to the workers until the queue is empty, then tells each to stop and waits for it
 * to exit by itself. On abort or failure no task is handed out any more, running tasks stop at
 * their next chunk of epochs, and results that still arrive are kept. Workers are never
 * terminated from outside: terminating one inside an ORT run aborts the whole process.
 */
async function runOnWorkers(
  options: PoolOptions,
  advance: (id: number, epochs: number) => void,
): Promise<void> {
  const queue = [...options.tasks];
  const { signal } = options;
  const workerData = { data: options.data, threads: options.threads, engine: options.engine };
  const pool = Array.from({ length: Math.min(options.workers, queue.length) }, () => startWorker(workerData));
  const exited = pool.map((worker) => new Promise<number>((resolve) => worker.once('exit', resolve)));
  let failure: { error: unknown } | undefined;
  const stopAll = (error: unknown): void => {
    if (failure) return;
    failure = { error };
    queue.length = 0;
    for (const worker of pool) worker.postMessage({ type: 'abort' } satisfies GridWorkerRequest);
  };
  const onAbort = (): void => stopAll(signal!.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const next = (worker: Worker): void => {
    const task = queue.shift();
    worker.postMessage((task ? { type: 'task', task } : { type: 'stop' }) satisfies GridWorkerRequest);
  };
  try {
    for (const worker of pool) {
      worker.on('message', (reply: GridWorkerReply) => {
        if (reply.type === 'progress') return advance(reply.id, reply.done);
        if (reply.type === 'error') {
          if (!reply.aborted) {
            // The worker's error crosses the thread as text: keep whether it was the user's.
            const message = `grid run ${describe(options.tasks, reply.id)} failed: ${reply.message}`;
            stopAll(reply.user ? new UserError(message) : new FacelabError(message));
          }
        } else {
          try {
            options.onResult(reply.result);
          } catch (error) {
            stopAll(error);
          }
        }
        next(worker);
      });
      worker.on('error', stopAll);
      worker.once('exit', (code) => {
        if (code !== 0) stopAll(new FacelabError(`a grid worker exited with code ${code}`));
      });
      next(worker);
    }
    await Promise.all(exited);
    if (failure) throw failure.error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

function describe(tasks: readonly GridTask[], id: number): string {
  const t = tasks.find((task) => task.id === id);
  return t ? `(batch ${t.batch}, hidden ${t.hidden}, lr ${t.lr})` : `#${id}`;
}
