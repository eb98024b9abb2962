/**
 * Initial parameters of the classifier, as the reference method draws them: every weight from
 * normal(0, 0.03), every bias 0, from a generator seeded explicitly.
 */
import type { MlpParams } from '../engine/mlp-layers.js';
import { createRng, deriveSeed } from '../random.js';

/** Options of `initialParams`. */
export interface InitOptions {
  inputDim: number;
  hidden: number;
  classes: number;
  /** Seed of the draw (the run's seed; the stream is derived from it under the key 'init'). */
  seed: number;
  /** Standard deviation of the weights. Default 0.03. */
  std?: number;
}

/** Draws w1 then w2 row by row from one seeded stream; biases are zero. */
export function initialParams(options: InitOptions): MlpParams {
  const { inputDim, hidden, classes } = options;
  const std = options.std ?? 0.03;
  const rng = createRng(deriveSeed(options.seed, 'init'));
  const draw = (n: number): Float32Array => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = rng.normal() * std;
    return out;
  };
  const w1 = draw(hidden * inputDim);
  const w2 = draw(classes * hidden);
  return { inputDim, hidden, classes, w1, b1: new Float32Array(hidden), w2, b2: new Float32Array(classes) };
}
