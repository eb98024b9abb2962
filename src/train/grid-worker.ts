/**
 * Worker-thread entry of the parallel grid search: receives the data once, then runs the tasks
 * it is sent, one at a time, each with a single-threaded ORT session (`grid-task.ts`).
 *
 * Messages in:  { type: 'task', task }   |  { type: 'stop' }  |  { type: 'abort' }
 * Messages out: { type: 'progress', id, done } | { type: 'result', result } | { type: 'error', id, message }
 *
 * 'abort' stops the running task at its next chunk of epochs (it then replies 'error' with
 * `aborted`) and every task queued after it; the parent sends 'stop' next and the worker exits on
 * its own, never terminated inside an ORT run.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { TrainingEngineKind } from '../engine/mlp-training-engine.js';
import { StoppedError, UserError } from '../errors.js';
import type { FeatureSet } from './features.js';
import { type GridTask, type GridTaskResult, GridTaskRunner } from './grid-task.js';

/** What the parent passes as `workerData`. */
export interface GridWorkerData {
  data: FeatureSet;
  threads: number;
  engine: TrainingEngineKind;
}

/** Messages from the parent. */
export type GridWorkerRequest = { type: 'task'; task: GridTask } | { type: 'stop' } | { type: 'abort' };

/** Messages to the parent. */
export type GridWorkerReply =
  | { type: 'progress'; id: number; done: number }
  | { type: 'result'; result: GridTaskResult }
  | { type: 'error'; id: number; message: string; aborted?: boolean; user?: boolean };

if (parentPort) {
  const port = parentPort;
  const { data, threads, engine } = workerData as GridWorkerData;
  const runner = new GridTaskRunner(data, threads, engine, true);
  let queue = Promise.resolve();
  let aborted = false;
  const checkStop = (): void => {
    if (aborted) throw new StoppedError('aborted');
  };
  port.on('message', (message: GridWorkerRequest) => {
    // Handled at once, not queued behind the running task.
    if (message.type === 'abort') {
      aborted = true;
      return;
    }
    queue = queue.then(async () => {
      if (message.type === 'stop') {
        await runner.dispose();
        port.close();
        return;
      }
      const { task } = message;
      try {
        checkStop();
        const result = await runner.run(
          task,
          (done) => port.postMessage({ type: 'progress', id: task.id, done } satisfies GridWorkerReply),
          checkStop,
        );
        const buffers = result.checkpoints.flatMap((c) =>
          c.params ? [c.params.w1.buffer, c.params.b1.buffer, c.params.w2.buffer, c.params.b2.buffer] : [],
        );
        port.postMessage({ type: 'result', result } satisfies GridWorkerReply, buffers as ArrayBuffer[]);
      } catch (error) {
        port.postMessage({
          type: 'error',
          id: task.id,
          message: error instanceof Error ? error.message : String(error),
          ...(aborted ? { aborted: true } : {}),
          ...(error instanceof UserError ? { user: true } : {}),
        } satisfies GridWorkerReply);
      }
    });
  });
}
