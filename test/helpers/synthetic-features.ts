/** A small, seeded, learnable classification problem for trainer tests: Gaussian clusters. */
import { createRng } from '../../src/random.js';
import type { FeatureSet, LabelledRows } from '../../src/train/features.js';

/** Options of `syntheticFeatures`. */
export interface SyntheticOptions {
  inputDim?: number;
  classes?: number;
  sizes?: { train: number; val: number; test: number };
  /** Noise standard deviation around each class centre (centres are normal(0, 1)). Default 1.5. */
  noise?: number;
  seed?: number;
}

/** Rows drawn around one random centre per class, labels cycling through the classes. */
export function syntheticFeatures(options: SyntheticOptions = {}): FeatureSet {
  const inputDim = options.inputDim ?? 24;
  const classes = options.classes ?? 3;
  const sizes = options.sizes ?? { train: 30, val: 12, test: 12 };
  const noise = options.noise ?? 1.5;
  const rng = createRng(options.seed ?? 5);
  const centres = Array.from({ length: classes }, () => Array.from({ length: inputDim }, () => rng.normal()));
  const rows = (count: number): LabelledRows => {
    const x = new Float32Array(count * inputDim);
    const labels = new Int32Array(count);
    for (let r = 0; r < count; r++) {
      labels[r] = r % classes;
      for (let d = 0; d < inputDim; d++)
        x[r * inputDim + d] = centres[r % classes]![d]! + noise * rng.normal();
    }
    return { x, labels, count };
  };
  return {
    inputDim,
    classes,
    classNames: Array.from({ length: classes }, (_, i) => `class ${i}`),
    train: rows(sizes.train),
    val: rows(sizes.val),
    test: rows(sizes.test),
  };
}
