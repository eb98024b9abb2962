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
  /** Hidden activations after ReLU: [rows, H]. */
  hidden: string;
  /** Logits, [rows, K]. */
  logits: string;
}

/**
 * Emits the forward pass of rows `x` [rows, D] and returns the hidden activations and the
 * logits, as two `Gemm(x, W, b, transB = 1)` nodes: the form `torch.onnx` exports for
 * `torch.nn.Linear`, which every ONNX reader maps onto its fully connected layer (OpenCV's DNN
 * refuses a Gemm whose constant weights are the A operand, and a bias reshaped with −1).
 */
export function emitForward(g: GraphBuilder, x: string, params: MlpParamNames): ForwardValues {
  const hidden = g.op('Relu', [g.op('Gemm', [x, params.w1, params.b1], { transB: 1 })]);
  const logits = g.op('Gemm', [hidden, params.w2, params.b2], { transB: 1 });
  return { hidden, logits };
}

/**
 * Emits the per-image min–max normalisation of `facelab`'s reference method on `x` [rows, D]
 * (raw pixel values): x' = 2 (x − min) / max(max − min, 1e-8) − 1 per row. Evaluated in the
 * same order as `normalizeImages` in float32, so the results are bit-identical.
 *
 * Only ops OpenCV's DNN (4.6) imports, at any batch size: the row minimum and maximum are max
 * pools over a [rows, 1, 1, D] view (its ReduceMin/ReduceMax work on a batch of one only); they
 * are spread over the row by a Gemm with a constant row of ones (exact: one product by 1 per
 * value) rather than by broadcasting, which it gets wrong for [rows, D] against [rows, 1]; and
 * the ε of max(r, ε) is a column made the same way (r · 0 + ε), since it takes Max only between
 * two computed tensors. (No Relu here: the first Relu of the model is the hidden layer's.)
 */
export function emitMinMaxNormalize(g: GraphBuilder, x: string, dim: number): string {
  const view = g.op('Reshape', [x, shapeConstant(g, [0, 1, 1, dim])]);
  const rowMax = (v: string): string =>
    g.op('Flatten', [g.op('MaxPool', [v], { kernel_shape: [1, dim] })], { axis: 1 });
  const hi = rowMax(view);
  const lo = g.op('Neg', [rowMax(g.op('Neg', [view]))]);
  const ones = g.constant(`${g.fresh('ones')}_row`, new Float32Array(dim).fill(1), [dim, 1]);
  const spread = (column: string): string => g.op('Gemm', [column, ones], { transB: 1 });
  const diff = g.op('Sub', [hi, lo]);
  const epsilon = g.op('Gemm', [diff, g.constant(`${g.fresh('zero')}_1x1`, [0], [1, 1]), g.scalar(1e-8)]);
  const range = g.op('Max', [diff, epsilon]);
  const scaled = g.op('Div', [g.op('Mul', [g.op('Sub', [x, spread(lo)]), g.scalar(2)]), spread(range)]);
  return g.op('Sub', [scaled, g.scalar(1)]);
}

/**
 * An int64 shape or axes tensor as an initializer with a generated name. Initializers rather
 * than `Constant` nodes with `value_ints`: OpenCV's ONNX importer (4.6) rejects those nodes, and
 * every other reader takes initializers.
 */
export function shapeConstant(g: GraphBuilder, values: number[]): string {
  // `fresh` reserves a unique stem; the initializer takes a name derived from it.
  return g.constantInt64(`${g.fresh('shape')}_i64`, values);
}
