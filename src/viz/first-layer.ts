/**
 * The first layer of an exported classifier, read back from its model.onnx: weights, biases
 * and the ReLU activations they give on face crops. The crops are normalised exactly as the
 * trainer and the model's own graph normalise them (per image, min–max to [−1, 1]), so the
 * activations are the ones the network computed.
 */
import { readFile } from 'node:fs/promises';
import { normalizeImages } from '../data/normalize.js';
import { readInitializer } from '../engine/model-surgery.js';
import { UserError } from '../errors.js';

/** Names of the first layer's initializers in a facelab model (PyTorch `fc1`). */
const W1 = 'fc1.weight';
const B1 = 'fc1.bias';

/** The first layer: `w1` [hidden, inputDim] row-major (row u = unit u's input weights), `b1` [hidden]. */
export interface FirstLayer {
  hidden: number;
  inputDim: number;
  w1: Float32Array;
  b1: Float32Array;
}

/** Reads `fc1.weight` and `fc1.bias` of a facelab model file; a `UserError` naming the file otherwise. */
export async function readFirstLayer(modelPath: string): Promise<FirstLayer> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(modelPath);
  } catch (error) {
    throw new UserError(`cannot read the model ${modelPath} (${(error as Error).message})`);
  }
  let w1: ReturnType<typeof readInitializer>;
  let b1: ReturnType<typeof readInitializer>;
  try {
    w1 = readInitializer(bytes, W1);
    b1 = readInitializer(bytes, B1);
  } catch (error) {
    throw new UserError(`${modelPath} is not a facelab classifier: ${(error as Error).message}`);
  }
  const [hidden, inputDim] = w1.dims;
  if (
    w1.dims.length !== 2 ||
    hidden === undefined ||
    inputDim === undefined ||
    w1.data.length !== hidden * inputDim ||
    b1.data.length !== hidden
  ) {
    throw new UserError(
      `${modelPath}: unexpected first-layer shapes ${W1} [${w1.dims.join(', ')}], ${B1} [${b1.dims.join(', ')}]`,
    );
  }
  return { hidden, inputDim, w1: w1.data, b1: b1.data };
}

/** Input weights of unit `index` (a view of `w1`, `inputDim` values, HWC order for image models). */
export function unitWeights(layer: FirstLayer, index: number): Float32Array {
  return layer.w1.subarray(index * layer.inputDim, (index + 1) * layer.inputDim);
}

/**
 * ReLU(w1 · x + b1) of `count` crops (uint8 HWC, one after another), each min–max normalised
 * first. Returns `count × hidden` values, photo-major (photo p's unit u at `p * hidden + u`),
 * the layout `rankHiddenUnits` takes. Sums in float64, so within float32 rounding of ORT's.
 */
export function firstLayerActivations(images: Uint8Array, count: number, layer: FirstLayer): Float32Array {
  const { hidden, inputDim, w1, b1 } = layer;
  if (images.length !== count * inputDim) {
    throw new UserError(
      `the crops do not fit the model: ${count} crops of ${count > 0 ? images.length / count : 0} values, the model takes ${inputDim}`,
    );
  }
  const x = normalizeImages(images, { count });
  const out = new Float32Array(count * hidden);
  for (let p = 0; p < count; p++) {
    const row = x.subarray(p * inputDim, (p + 1) * inputDim);
    for (let u = 0; u < hidden; u++) {
      const w = u * inputDim;
      let z = b1[u]!;
      for (let i = 0; i < inputDim; i++) z += w1[w + i]! * row[i]!;
      out[p * hidden + u] = Math.max(z, 0);
    }
  }
  return out;
}

/** Per-pixel mean of `count` crops (uint8 HWC), rounded: the average face. */
export function meanImage(images: Uint8Array, count: number): Uint8Array {
  if (count === 0) return new Uint8Array(0);
  const size = images.length / count;
  const sums = new Float64Array(size);
  for (let p = 0; p < count; p++) for (let i = 0; i < size; i++) sums[i]! += images[p * size + i]!;
  return Uint8Array.from(sums, (s) => Math.round(s / count));
}
