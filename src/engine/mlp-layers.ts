/**
 * The one-hidden-layer classifier as ONNX nodes: Linear(D→H) → ReLU → Linear(H→K), with
 * PyTorch's parameter layout (`w1` [H, D], `w2` [K, H]) so weights map one to one onto
 * `torch.nn.Linear`. Shared by the training graph (forward pass, per-epoch evaluation) and the
 * exported inference model.
 */
import type { GraphBuilder } from './onnx-builder.js';

/** Value names of the four parameter tensors inside one graph. */
export interface MlpParamNames {
  /** First layer weights, [H, D]. */
  w1: string;
  /** First layer bias, [H]. */
  b1: string;
  /** Second layer weights, [K, H]. */
  w2: string;
  /** Second layer bias, [K]. */
  b2: string;
}

/** Plain parameter values of the classifier (row-major, PyTorch layout). */
export interface MlpParams {
  /** Input size D. */
  inputDim: number;
  /** Hidden units H. */
  hidden: number;
  /** Classes K. */
  classes: number;
  /** [H, D]. */
  w1: Float32Array;
  /** [H]. */
  b1: Float32Array;
  /** [K, H]. */
  w2: Float32Array;
  /** [K]. */
  b2: Float32Array;
}

/** Dims of each parameter tensor. */
export function paramDims(
  p: Pick<MlpParams, 'inputDim' | 'hidden' | 'classes'>,
): Record<keyof MlpParamNames, number[]> {
  return {
    w1: [p.hidden, p.inputDim],
    b1: [p.hidden],
    w2: [p.classes, p.hidden],
    b2: [p.classes],
  };
}

/** Intermediate values of one forward pass. */
export interface ForwardValues {
  /** Hidden activations after ReLU, transposed: [H, rows]. */
  hiddenT: string;
  /** Logits, [rows, K]. */
  logits: string;
}

/**
 * Emits the forward pass of rows `x` [rows, D] and returns the (transposed) hidden activations
 * and the logits. The first layer is computed as w1 · xᵀ so that the large weight matrix is the
 * Gemm's A operand, read in place, while the small batch is the packed B operand (about 5% faster
 * per training step than x · w1ᵀ, which repacks all of w1 on every call). Training and the
 * exported model use this same formulation, so they compute the same bits.
 */
export function emitForward(g: GraphBuilder, x: string, params: MlpParamNames): ForwardValues {
  const b1 = g.op('Reshape', [params.b1, g.op('Constant', [], { value_ints: [-1, 1] })]);
  const hiddenT = g.op('Relu', [g.op('Gemm', [params.w1, x, b1], { transB: 1 })]);
  const logits = g.op('Gemm', [hiddenT, params.w2, params.b2], { transA: 1, transB: 1 });
  return { hiddenT, logits };
}

/**
 * Emits the per-image min–max normalisation of `facelab`'s reference method on `x` [rows, D]
 * (raw pixel values): x' = 2 (x − min) / max(max − min, 1e-8) − 1 per row. Evaluated in the
 * same order as `normalizeImages` in float32, so the results are bit-identical.
 */
export function emitMinMaxNormalize(g: GraphBuilder, x: string): string {
  // Opset 17: ReduceMin/ReduceMax take their axes as an attribute (an input from opset 18).
  const lo = g.op('ReduceMin', [x], { axes: [1], keepdims: 1 });
  const hi = g.op('ReduceMax', [x], { axes: [1], keepdims: 1 });
  const range = g.op('Max', [g.op('Sub', [hi, lo]), g.scalar(1e-8)]);
  const scaled = g.op('Div', [g.op('Mul', [g.op('Sub', [x, lo]), g.scalar(2)]), range]);
  return g.op('Sub', [scaled, g.scalar(1)]);
}
