/**
 * Adam (Kingma & Ba) with PyTorch's semantics, as few full-size ONNX passes as we could make it.
 *
 * PyTorch (`torch.optim.Adam`, no weight decay, no amsgrad), at step t with gradient g:
 *
 *     m ← β1 m + (1 − β1) g
 *     v ← β2 v + (1 − β2) g²
 *     p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
 *
 * The element-wise passes over each parameter tensor dominate a small-batch step, so the graph
 * folds every scalar it can into something small or into a per-step scalar:
 *
 * - the gradient arrives already multiplied by (1 − β1) (the trainer scales the [batch, K]
 *   output error, which every gradient is linear in), so `m` needs one Mul and one Add;
 * - `v` is stored as ṽ = v (1 − β1)² / (1 − β2), so ṽ ← β2 ṽ + ĝ² with ĝ = (1 − β1) g needs no
 *   scaling of ĝ² (one Mul for ĝ², one Mul and one Add for the update);
 * - the denominator (√v / √bc2 + ε) / step_size = α_t √ṽ + β_t is one BatchNormalization
 *   (an affine map with run-time scale and shift, a single pass), with the per-step scalars α_t
 *   and β_t computed in float64 in JavaScript (`adamSchedule`) as PyTorch computes them in Python;
 * - then one Div and one Sub.
 *
 * That is 9 passes per tensor besides the gradient Gemm, against ~13 for the textbook form.
 */
import type { GraphBuilder } from './onnx-builder.js';

/** Adam's hyper-parameters; the defaults are PyTorch's. */
export interface AdamOptions {
  /** Learning rate. */
  lr: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  eps?: number;
}

/** β1, β2 and ε with defaults filled in. */
export function adamConstants(options: Omit<AdamOptions, 'lr'> = {}): {
  beta1: number;
  beta2: number;
  eps: number;
} {
  return { beta1: options.beta1 ?? 0.9, beta2: options.beta2 ?? 0.999, eps: options.eps ?? 1e-8 };
}

/**
 * The per-step scalars [α_t, β_t] of steps `firstStep` … `firstStep + steps − 1` (1-based, as
 * PyTorch counts), as float32 pairs: the denominator of step t is α_t √ṽ + β_t.
 */
export function adamSchedule(options: AdamOptions & { firstStep: number; steps: number }): Float32Array {
  const { beta1, beta2, eps } = adamConstants(options);
  const out = new Float32Array(options.steps * 2);
  // √v = √ṽ · √(1 − β2) / (1 − β1): undo the storage scaling of ṽ.
  const unscale = Math.sqrt(1 - beta2) / (1 - beta1);
  for (let i = 0; i < options.steps; i++) {
    const t = options.firstStep + i;
    const stepSize = options.lr / (1 - beta1 ** t);
    const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
    out[2 * i] = unscale / (bc2Sqrt * stepSize);
    out[2 * i + 1] = eps / stepSize;
  }
  return out;
}

/** Scale from PyTorch's second moment v to the stored ṽ. */
export function secondMomentScale(options: Omit<AdamOptions, 'lr'> = {}): number {
  const { beta1, beta2 } = adamConstants(options);
  return (1 - beta1) ** 2 / (1 - beta2);
}

/** Names of one parameter's Adam state inside a graph. */
export interface AdamState {
  param: string;
  /** First moment m (PyTorch's `exp_avg`). */
  m: string;
  /** Second moment stored as ṽ (see `secondMomentScale`). */
  v: string;
}

/** Inputs of one `emitAdamUpdate`. */
export interface AdamUpdateInputs {
  state: AdamState;
  /** The gradient times (1 − β1), same shape as the parameter. */
  scaledGrad: string;
  /** Dims of the parameter. */
  dims: readonly number[];
  /** α_t as a [1] tensor. */
  alpha: string;
  /** β_t as a [1] tensor. */
  shift: string;
  /** Shared constants of the graph (see `adamGraphConstants`). */
  constants: AdamGraphConstants;
}

/** Constants one graph shares between all its Adam updates. */
export interface AdamGraphConstants {
  beta1: string;
  beta2: string;
  /** [1] zeros and ones: the mean and variance inputs of BatchNormalization. */
  zero1: string;
  one1: string;
  /** [1, 1, −1]: the rank-3 view BatchNormalization needs. */
  flat3: string;
}

/** Adds the constants `emitAdamUpdate` uses to `g`. */
export function adamGraphConstants(
  g: GraphBuilder,
  options: Omit<AdamOptions, 'lr'> = {},
): AdamGraphConstants {
  const { beta1, beta2 } = adamConstants(options);
  return {
    beta1: g.scalar(beta1),
    beta2: g.scalar(beta2),
    zero1: g.op('Constant', [], { value_floats: { floats: [0] } }),
    one1: g.op('Constant', [], { value_floats: { floats: [1] } }),
    flat3: g.op('Constant', [], { value_ints: [1, 1, -1] }),
  };
}

/** Emits one Adam step of one parameter and returns the new state's names. */
export function emitAdamUpdate(g: GraphBuilder, inputs: AdamUpdateInputs): AdamState {
  const { state, scaledGrad, constants: c } = inputs;
  const m = g.op('Add', [g.op('Mul', [state.m, c.beta1]), scaledGrad]);
  const v = g.op('Add', [g.op('Mul', [state.v, c.beta2]), g.op('Mul', [scaledGrad, scaledGrad])]);
  const root = g.op('Reshape', [g.op('Sqrt', [v]), c.flat3]);
  const denominator = g.op('BatchNormalization', [root, inputs.alpha, inputs.shift, c.zero1, c.one1], {
    epsilon: { float: 0 },
  });
  const shape = g.op('Constant', [], { value_ints: [...inputs.dims] });
  const step = g.op('Div', [m, g.op('Reshape', [denominator, shape])]);
  return { param: g.op('Sub', [state.param, step]), m, v };
}
