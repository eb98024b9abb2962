/**
 * A plain TypeScript (float64) reference of the method the ONNX graphs implement, written
 * from PyTorch's definitions and sharing no code with src/: Linear → ReLU → Linear, softmax
 * cross-entropy averaged over the batch, and `torch.optim.Adam` (1.13 single-tensor path):
 *
 *   m = β1 m + (1 − β1) g;  v = β2 v + (1 − β2) g²
 *   p −= lr / (1 − β1^t) · m / (√v / √(1 − β2^t) + ε)
 */

/** Parameters in PyTorch layout: w1 [H, D], b1 [H], w2 [K, H], b2 [K]. */
export interface RefParams {
  w1: Float64Array;
  b1: Float64Array;
  w2: Float64Array;
  b2: Float64Array;
}

/** Sizes of the network. */
export interface RefShape {
  inputDim: number;
  hidden: number;
  classes: number;
}

const KEYS = ['w1', 'b1', 'w2', 'b2'] as const;

/** Copies parameters (float32 or float64) into float64. */
export function toRef(p: {
  w1: ArrayLike<number>;
  b1: ArrayLike<number>;
  w2: ArrayLike<number>;
  b2: ArrayLike<number>;
}): RefParams {
  return {
    w1: Float64Array.from(p.w1),
    b1: Float64Array.from(p.b1),
    w2: Float64Array.from(p.w2),
    b2: Float64Array.from(p.b2),
  };
}

/** Logits of rows `x` [n, D]. Also returns the hidden activations. */
export function refForward(
  s: RefShape,
  p: RefParams,
  x: ArrayLike<number>,
  n: number,
): { hidden: Float64Array; logits: Float64Array } {
  const { inputDim: D, hidden: H, classes: K } = s;
  const hidden = new Float64Array(n * H);
  const logits = new Float64Array(n * K);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < H; j++) {
      let z = p.b1[j]!;
      for (let d = 0; d < D; d++) z += x[r * D + d]! * p.w1[j * D + d]!;
      hidden[r * H + j] = Math.max(z, 0);
    }
    for (let k = 0; k < K; k++) {
      let z = p.b2[k]!;
      for (let j = 0; j < H; j++) z += hidden[r * H + j]! * p.w2[k * H + j]!;
      logits[r * K + k] = z;
    }
  }
  return { hidden, logits };
}

/** Class with the largest logit of each row (first one on ties, as torch.argmax). */
export function refPredict(s: RefShape, p: RefParams, x: ArrayLike<number>, n: number): number[] {
  const { logits } = refForward(s, p, x, n);
  const out: number[] = [];
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let k = 1; k < s.classes; k++)
      if (logits[r * s.classes + k]! > logits[r * s.classes + best]!) best = k;
    out.push(best);
  }
  return out;
}

/** Gradients of the batch-mean cross-entropy and the loss itself. */
export function refGradients(
  s: RefShape,
  p: RefParams,
  x: ArrayLike<number>,
  labels: ArrayLike<number>,
  rows: readonly number[],
): { grads: RefParams; loss: number } {
  const { inputDim: D, hidden: H, classes: K } = s;
  const n = rows.length;
  const xb = new Float64Array(n * D);
  rows.forEach((row, r) => {
    for (let d = 0; d < D; d++) xb[r * D + d] = x[row * D + d]!;
  });
  const { hidden, logits } = refForward(s, p, xb, n);
  const grads: RefParams = {
    w1: new Float64Array(H * D),
    b1: new Float64Array(H),
    w2: new Float64Array(K * H),
    b2: new Float64Array(K),
  };
  let loss = 0;
  for (let r = 0; r < n; r++) {
    const z = logits.subarray(r * K, r * K + K);
    const max = Math.max(...z);
    const sum = z.reduce((a, v) => a + Math.exp(v - max), 0);
    const label = labels[rows[r]!]!;
    loss += -(z[label]! - max - Math.log(sum));
    const dz = Array.from(z, (v, k) => (Math.exp(v - max) / sum - (k === label ? 1 : 0)) / n);
    const dh = new Float64Array(H);
    for (let k = 0; k < K; k++) {
      grads.b2[k]! += dz[k]!;
      for (let j = 0; j < H; j++) {
        grads.w2[k * H + j]! += dz[k]! * hidden[r * H + j]!;
        dh[j]! += dz[k]! * p.w2[k * H + j]!;
      }
    }
    for (let j = 0; j < H; j++) {
      if (hidden[r * H + j]! <= 0) continue;
      grads.b1[j]! += dh[j]!;
      for (let d = 0; d < D; d++) grads.w1[j * D + d]! += dh[j]! * xb[r * D + d]!;
    }
  }
  return { grads, loss: loss / n };
}

/** Adam state of the reference. */
export interface RefAdam {
  m: RefParams;
  v: RefParams;
  step: number;
}

/** Fresh Adam state (zeros, step 0). */
export function refAdamState(p: RefParams): RefAdam {
  const zeros = (): RefParams => ({
    w1: new Float64Array(p.w1.length),
    b1: new Float64Array(p.b1.length),
    w2: new Float64Array(p.w2.length),
    b2: new Float64Array(p.b2.length),
  });
  return { m: zeros(), v: zeros(), step: 0 };
}

/** One Adam step in place. */
export function refAdamStep(
  p: RefParams,
  grads: RefParams,
  state: RefAdam,
  lr: number,
  beta1 = 0.9,
  beta2 = 0.999,
  eps = 1e-8,
): void {
  state.step++;
  const t = state.step;
  const stepSize = lr / (1 - beta1 ** t);
  const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
  for (const key of KEYS) {
    const param = p[key];
    const g = grads[key];
    const m = state.m[key];
    const v = state.v[key];
    for (let i = 0; i < param.length; i++) {
      m[i] = beta1 * m[i]! + (1 - beta1) * g[i]!;
      v[i] = beta2 * v[i]! + (1 - beta2) * g[i]! * g[i]!;
      param[i]! -= (stepSize * m[i]!) / (Math.sqrt(v[i]!) / bc2Sqrt + eps);
    }
  }
}

/** Trains epochs with the given row orders (one per epoch); returns per-epoch mean losses. */
export function refTrain(
  s: RefShape,
  p: RefParams,
  state: RefAdam,
  x: ArrayLike<number>,
  labels: ArrayLike<number>,
  orders: readonly (readonly number[])[],
  batch: number,
  lr: number,
): number[] {
  const losses: number[] = [];
  for (const order of orders) {
    let total = 0;
    for (let start = 0; start < order.length; start += batch) {
      const rows = order.slice(start, start + batch);
      const { grads, loss } = refGradients(s, p, x, labels, rows);
      total += loss * rows.length;
      refAdamStep(p, grads, state, lr);
    }
    losses.push(total / order.length);
  }
  return losses;
}

/** Largest absolute difference between two arrays and where it is. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; at: number } {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let max = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= max)) {
      max = d;
      at = i;
    }
  }
  return { max, at };
}
