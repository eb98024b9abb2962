/**
 * One task of a grid search: train one (batch, hidden, lr) configuration once, to the largest
 * requested epoch count, keeping accuracies and parameters at every requested count. A run of E
 * epochs is exactly the first E epochs of a longer run with the same seed, so one run serves
 * every epoch count of the grid. Runs in a worker thread or in the main thread alike.
 */
import type { MlpParams } from '../engine/mlp-layers.js';
import type { TrainingEngineKind } from '../engine/mlp-training-engine.js';
import { type Checkpoint, ClassifierTrainer } from './classifier-trainer.js';
import type { FeatureSet } from './features.js';
import { paramsSha256 } from './grid-run-store.js';

/** A (batch, hidden, lr) configuration trained to `epochs` with checkpoints. */
export interface GridTask {
  id: number;
  batch: number;
  hidden: number;
  lr: number;
  /** The largest epoch count of the grid. */
  epochs: number;
  /** Every epoch count of the grid. */
  checkpoints: number[];
  seed: number;
}

/**
 * A run's state at one epoch count of the grid. `params` is there when the run was trained in
 * this search, absent when it was loaded from a stored run (`grid-run-store.ts`); its hash is
 * always there.
 */
export interface GridCheckpoint extends Omit<Checkpoint, 'params'> {
  params?: MlpParams;
  /** SHA-256 of the parameters (`paramsSha256`). */
  paramsSha256: string;
}

/** A finished task. */
export interface GridTaskResult {
  id: number;
  /** One per epoch count of the task, in increasing order. */
  checkpoints: GridCheckpoint[];
  seconds: number;
  /** True when loaded from a stored run instead of trained. */
  reused?: boolean;
}

/**
 * Keeps the trainer of the last (batch, hidden) so consecutive learning rates of a pair share
 * it; another pair replaces it (building one takes milliseconds, and keeping all nine would hold
 * nine sets of ORT sessions and their memory arenas). Call `dispose()` when done.
 */
export class GridTaskRunner {
  private current: { key: string; trainer: ClassifierTrainer } | undefined;

  /**
   * @param threads ORT threads per session.
   * @param engine the trainer (resolved once by the search, so workers agree).
   * @param shared whether other runs share the cores at the same time: their sessions must not
   *   spin (measured: 2 workers × 2 spinning threads took 32 s on a grid that 2 × 2 quiet threads
   *   did in 18 s, and 2 × 1 thread in 17 s).
   */
  constructor(
    private readonly data: FeatureSet,
    private readonly threads: number | undefined,
    private readonly engine: TrainingEngineKind,
    private readonly shared = false,
  ) {}

  /**
   * Runs one task; `onEpochs` hears of every chunk of epochs finished. `checkStop` is called
   * between chunks (at most 20 epochs apart) and stops the task by throwing: an ORT run is never
   * cut off in the middle (terminating a thread inside one aborts the whole process).
   */
  async run(
    task: GridTask,
    onEpochs?: (done: number) => void,
    checkStop?: () => void,
  ): Promise<GridTaskResult> {
    const key = `${task.batch}/${task.hidden}`;
    if (this.current?.key !== key) {
      await this.dispose();
      const trainer = await ClassifierTrainer.create(this.data, {
        batch: task.batch,
        hidden: task.hidden,
        ...(this.threads === undefined ? {} : { threads: this.threads }),
        ...(this.shared ? { spinning: false } : {}),
        engine: this.engine,
      });
      this.current = { key, trainer };
    }
    const result = await this.current!.trainer.run({
      lr: task.lr,
      epochs: task.epochs,
      seed: task.seed,
      curves: false,
      checkpoints: task.checkpoints,
      onProgress: (e) => {
        if (e.kind === 'advance') onEpochs?.(e.done);
        // Only while work remains: a finished run is kept.
        if (e.kind === 'start' || (e.kind === 'advance' && e.done < e.total)) checkStop?.();
      },
    });
    // Hashed here, in the worker, so the main thread stays free.
    const checkpoints = result.checkpoints.map((c) => ({ ...c, paramsSha256: paramsSha256(c.params) }));
    return { id: task.id, checkpoints, seconds: result.seconds };
  }

  /** Releases the trainer's sessions. */
  async dispose(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    await current?.trainer.dispose();
  }
}
