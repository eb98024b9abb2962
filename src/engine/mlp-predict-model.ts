/**
 * The native trainer's (`mlp-native-session.ts`) ONNX graph: every row → its predicted class,
 * for accuracies and learning curves. The mini-batch steps themselves run in the native kernel.
 *
 * w1 is one tensor here: the row blocks of the all-in-ORT trainer only help its element-wise
 * Adam passes stay in cache.
 */
import { forward, headLength, paramViews } from './mlp-graph-parts.js';
import { GraphBuilder } from './onnx-builder.js';

/** The network the graph is built for. */
export interface MlpGraphShape {
  /** Input size D. */
  inputDim: number;
  /** Hidden units H. */
  hidden: number;
  /** Classes K. */
  classes: number;
}

/** Builds the predict graph (inputs x, w1 [H, D], head [b1 | w2 | b2]; output predictions [rows] int64). */
export function buildMlpPredictModel(o: MlpGraphShape): Uint8Array {
  const g = new GraphBuilder('mlp_predict');
  const x = g.input('x', 'float32', ['rows', o.inputDim]);
  const w1 = g.input('w1', 'float32', [o.hidden, o.inputDim]);
  const head = g.input('head', 'float32', [headLength(o)]);
  const { logits } = forward(g, x, paramViews(g, [w1], head, o));
  g.output(g.op('ArgMax', [logits], { axis: 1, keepdims: 0 }), 'int64', ['rows'], 'predictions');
  return g.toBytes();
}
