/**
 * What both trainers (`mlp-training-session.ts`, `mlp-native-session.ts`) check of their inputs,
 * and the packed head [b1 | w2 | b2] they both train as one tensor.
 */
import { ArgumentError } from '../errors.js';
import { headLength } from './mlp-graph-parts.js';
import type { MlpParams } from './mlp-layers.js';
import type { MlpTrainingModelOptions } from './mlp-training-model.js';

/** Refuses rows and labels of another size than the trainer was built for. */
export function checkRows(o: MlpTrainingModelOptions, x: Float32Array, labels: Int32Array): void {
  const { rowCount, inputDim } = o;
  if (x.length !== rowCount * inputDim || labels.length !== rowCount) {
    throw new ArgumentError(
      `Expected ${rowCount} rows of ${inputDim} values and ${rowCount} labels but received ${x.length} values and ${labels.length} labels`,
    );
  }
}

/** Refuses parameters of another network shape. */
export function checkNetwork(o: MlpTrainingModelOptions, params: MlpParams): void {
  const { inputDim, hidden, classes } = o;
  if (params.inputDim !== inputDim || params.hidden !== hidden || params.classes !== classes) {
    throw new ArgumentError(
      `Expected parameters of a ${inputDim}→${hidden}→${classes} network but received ${params.inputDim}→${params.hidden}→${params.classes}`,
    );
  }
}

/** Refuses row orders that are not `epochs` orders of the training rows. */
export function checkOrders(o: MlpTrainingModelOptions, epochs: number, orders: BigInt64Array): void {
  if (orders.length !== epochs * o.trainCount) {
    throw new ArgumentError(
      `Expected ${epochs} orders of ${o.trainCount} rows but received ${orders.length} indices`,
    );
  }
}

/** b1, w2 and b2 packed into one new tensor [b1 | w2 | b2]. */
export function packHead(params: MlpParams): Float32Array {
  const head = new Float32Array(headLength(params));
  head.set(params.b1, 0);
  head.set(params.w2, params.hidden);
  head.set(params.b2, params.hidden + params.w2.length);
  return head;
}

/** Copies of b1, w2 and b2 from a packed head. */
export function unpackHead(
  o: MlpTrainingModelOptions,
  head: Float32Array,
): [Float32Array, Float32Array, Float32Array] {
  const { hidden: H, classes: K } = o;
  return [head.slice(0, H), head.slice(H, H + K * H), head.slice(H + K * H)];
}
