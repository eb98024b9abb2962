/**
 * The row order of each epoch: a fresh uniform permutation of the training rows per epoch, all
 * drawn from one stream seeded by the run's seed. Epoch e's order depends only on the seed and
 * e, so a run of E epochs is exactly the first E epochs of any longer run with the same seed.
 */
import { createRng, deriveSeed, type Rng, shuffleInPlace } from '../random.js';

/** A seeded source of per-epoch row orders. */
export class EpochOrders {
  private readonly rng: Rng;
  private drawn = 0;

  /**
   * @param rows training rows N.
   * @param seed the run's seed (the stream is derived from it under the key 'shuffle').
   */
  constructor(
    private readonly rows: number,
    seed: number,
  ) {
    this.rng = createRng(deriveSeed(seed, 'shuffle'));
  }

  /** Epochs drawn so far. */
  get epochs(): number {
    return this.drawn;
  }

  /** The orders of the next `epochs` epochs, [epochs × rows] as int64 row indices. */
  next(epochs: number): BigInt64Array {
    const out = new BigInt64Array(epochs * this.rows);
    const order = new Int32Array(this.rows);
    for (let e = 0; e < epochs; e++) {
      for (let i = 0; i < this.rows; i++) order[i] = i;
      shuffleInPlace(order, this.rng);
      for (let i = 0; i < this.rows; i++) out[e * this.rows + i] = BigInt(order[i]!);
    }
    this.drawn += epochs;
    return out;
  }
}
