/**
 * One task of a grid search: train one (batch, hidden, lr) configuration once, to the largest
 * requested epoch count, keeping accuracies and parameters at every requested count. A run of E
 * epochs is exactly the first E epochs of a longer run with the same seed, so one run serves
 * every epoch count of the grid. Runs in a worker thread or in the main thread alike.
 */
import { type Checkpoint, ClassifierTrainer } from './classifier-trainer.js';
import type { FeatureSet } from './features.js';

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

/** A finished task. */
export interface GridTaskResult {
  id: number;
  checkpoints: Checkpoint[];
  seconds: number;
}

/**
 * Keeps one trainer (ORT session) per (batch, hidden) so the learning rates of a pair share it.
 * Call `dispose()` when done.
 */
export class GridTaskRunner {
  private readonly trainers = new Map<string, ClassifierTrainer>();

  /**
   * @param threads ORT threads per session.
   * @param shared whether other runs share the cores at the same time: their sessions must not
   *   spin (measured: 2 workers × 2 spinning threads took 32 s on a grid that 2 × 2 quiet threads
   *   did in 18 s, and 2 × 1 thread in 17 s).
   */
  constructor(
    private readonly data: FeatureSet,
    private readonly threads: number | undefined,
    private readonly shared = false,
  ) {}

  /** Runs one task; `onEpochs` hears of every chunk of epochs finished. */
  async run(task: GridTask, onEpochs?: (done: number) => void): Promise<GridTaskResult> {
    const key = `${task.batch}/${task.hidden}`;
    let trainer = this.trainers.get(key);
    if (!trainer) {
      trainer = await ClassifierTrainer.create(this.data, {
        batch: task.batch,
        hidden: task.hidden,
        ...(this.threads === undefined ? {} : { threads: this.threads }),
        ...(this.shared ? { spinning: false } : {}),
      });
      this.trainers.set(key, trainer);
    }
    const result = await trainer.run({
      lr: task.lr,
      epochs: task.epochs,
      seed: task.seed,
      curves: false,
      checkpoints: task.checkpoints,
      ...(onEpochs ? { onProgress: (e) => (e.kind === 'advance' ? onEpochs(e.done) : undefined) } : {}),
    });
    return { id: task.id, checkpoints: result.checkpoints, seconds: result.seconds };
  }

  /** Releases every session. */
  async dispose(): Promise<void> {
    for (const trainer of this.trainers.values()) await trainer.dispose();
    this.trainers.clear();
  }
}
