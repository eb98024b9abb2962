/**
 * The two graphs of the native trainer (`mlp-native-session.ts`), which runs one ORT call per
 * mini-batch and applies Adam itself in one fused pass (`native/fused_adam.cc`):
 *
 * - the gradient graph: rows `x` [b, D] and labels `y` [b] → the error at the hidden units'
 *   inputs [H, b] (the batch-mean cross-entropy's gradient there), from which the native kernel
 *   computes w1's gradient inside its Adam pass; the gradient of the packed head
 *   [b1 | w2 | b2]; and the summed loss;
 * - the predict graph: every row → its predicted class (for accuracies and learning curves).
 *
 * w1 is one tensor here: the row blocks of the all-in-ORT trainer only help its element-wise
 * Adam passes stay in cache, and the fused pass has none.
 */
import { emitGradients, forward, headLength, paramViews } from './mlp-graph-parts.js';
import { GraphBuilder } from './onnx-builder.js';

/** The network the graphs are built for. */
export interface MlpGraphShape {
  /** Input size D. */
  inputDim: number;
  /** Hidden units H. */
  hidden: number;
  /** Classes K. */
  classes: number;
}

/** Inputs w1 and head, declared on `g`, viewed as the forward pass needs them. */
function declareParams(g: GraphBuilder, o: MlpGraphShape): ReturnType<typeof paramViews> {
  const w1 = g.input('w1', 'float32', [o.hidden, o.inputDim]);
  const head = g.input('head', 'float32', [headLength(o)]);
  return paramViews(g, [w1], head, o);
}

/**
 * Builds the gradient graph: inputs x, y, w1, head; outputs `d_hidden` [H, batch], the error at
 * the hidden units' inputs, from which the native kernel computes w1's gradient (d_hidden · x)
 * inside its Adam pass; `grad_head`; `loss_sum`.
 */
export function buildMlpGradientModel(o: MlpGraphShape): Uint8Array {
  const g = new GraphBuilder('mlp_gradient');
  const x = g.input('x', 'float32', ['batch', o.inputDim]);
  const y = g.input('y', 'int64', ['batch']);
  const { lossSum, dPreT, gradHead } = emitGradients(g, x, y, declareParams(g, o), o, 1, false);
  g.output(dPreT, 'float32', [o.hidden, 'batch'], 'd_hidden');
  g.output(gradHead, 'float32', [headLength(o)], 'grad_head');
  g.output(lossSum, 'float32', [], 'loss_sum');
  return g.toBytes();
}

/** Builds the predict graph (inputs x, w1, head; output predictions [rows] int64). */
export function buildMlpPredictModel(o: MlpGraphShape): Uint8Array {
  const g = new GraphBuilder('mlp_predict');
  const x = g.input('x', 'float32', ['rows', o.inputDim]);
  const { logits } = forward(g, x, declareParams(g, o));
  g.output(g.op('ArgMax', [logits], { axis: 1, keepdims: 0 }), 'int64', ['rows'], 'predictions');
  return g.toBytes();
}
