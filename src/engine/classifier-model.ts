/**
 * The exported, self-contained classifier (`model.onnx`): the trained weights as initializers
 * and two outputs, `logits` and `probabilities` (softmax), for a batch of inputs. Two kinds of
 * input:
 *
 * - `image`: raw face crops, float32 [batch, side, side, 3] (RGB, 0–255, rows top to bottom),
 *   normalised inside the graph exactly as training normalised them (per image, min–max to
 *   [−1, 1]), so a caller needs nothing but the crop;
 * - `features`: feature vectors [batch, D] fed to the head as they are (transfer learning,
 *   where a backbone computed the features).
 *
 * `metadata_props` holds one entry, `facelab`, a JSON string with the class names (in output
 * order), the input description and the preprocessing, so the file alone says how to use it.
 */

import { ArgumentError } from '../errors.js';
import { emitForward, emitMinMaxNormalize, type MlpParams, paramDims } from './mlp-layers.js';
import { GraphBuilder } from './onnx-builder.js';

/** What the exported model takes. */
export type ClassifierInput = { kind: 'image'; side: number } | { kind: 'features' };

/** Options of `buildClassifierModel`. */
export interface ClassifierModelOptions {
  params: MlpParams;
  input: ClassifierInput;
  /** Class names in label order (e.g. actor names); length = classes. */
  labels: readonly string[];
  /** More JSON-serialisable fields for the `facelab` metadata entry (hyper-parameters, accuracy…). */
  extra?: Record<string, unknown>;
}

/** The `facelab` metadata entry of an exported model. */
export interface ClassifierMetadata {
  format: 'facelab-classifier/1';
  labels: string[];
  input:
    | {
        name: 'image';
        kind: 'image';
        shape: ['batch', number, number, 3];
        range: [0, 255];
        layout: 'NHWC RGB';
      }
    | { name: 'features'; kind: 'features'; shape: ['batch', number] };
  preprocessing: string;
  outputs: ['logits', 'probabilities'];
  [key: string]: unknown;
}

/** Metadata key under which the JSON description is stored. */
export const METADATA_KEY = 'facelab';

/** Builds the classifier model and returns its bytes. */
export function buildClassifierModel(options: ClassifierModelOptions): Uint8Array {
  const { params, input, labels } = options;
  const { inputDim: D, classes: K } = params;
  if (labels.length !== K) throw new ArgumentError(`Expected ${K} labels but received ${labels.length}`);
  const g = new GraphBuilder('facelab_classifier');
  let rows: string;
  let metadataInput: ClassifierMetadata['input'];
  let preprocessing: string;
  if (input.kind === 'image') {
    if (input.side * input.side * 3 !== D) {
      throw new ArgumentError(
        `Expected side² × 3 = ${D} for a ${D}-input network but received side ${input.side}`,
      );
    }
    const image = g.input('image', 'float32', ['batch', input.side, input.side, 3]);
    const flat = g.op('Flatten', [image], { axis: 1 });
    rows = emitMinMaxNormalize(g, flat, D);
    metadataInput = {
      name: 'image',
      kind: 'image',
      shape: ['batch', input.side, input.side, 3],
      range: [0, 255],
      layout: 'NHWC RGB',
    };
    preprocessing =
      'per image, inside the graph: x = 2 (x - min) / max(max - min, 1e-8) - 1 over all pixels and channels';
  } else {
    rows = g.input('features', 'float32', ['batch', D]);
    metadataInput = { name: 'features', kind: 'features', shape: ['batch', D] };
    preprocessing = 'none: features are fed to the head as they are';
  }
  const dims = paramDims(params);
  const names = {
    w1: g.constant('fc1.weight', params.w1, dims.w1),
    b1: g.constant('fc1.bias', params.b1, dims.b1),
    w2: g.constant('fc2.weight', params.w2, dims.w2),
    b2: g.constant('fc2.bias', params.b2, dims.b2),
  };
  const { logits } = emitForward(g, rows, names);
  g.output(logits, 'float32', ['batch', K], 'logits');
  g.output(g.op('Softmax', [logits], { axis: 1 }), 'float32', ['batch', K], 'probabilities');
  const metadata: ClassifierMetadata = {
    ...options.extra,
    format: 'facelab-classifier/1',
    labels: [...labels],
    input: metadataInput,
    preprocessing,
    outputs: ['logits', 'probabilities'],
  };
  return g.toBytes({ metadata: { [METADATA_KEY]: JSON.stringify(metadata) } });
}
