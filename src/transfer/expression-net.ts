/**
 * The facial-expression network of `@vladmandic/face-api` (`src/faceExpressionNet/`: its
 * dense-block feature extractor and one fully connected layer to seven expressions — neutral,
 * happy, sad, angry, fearful, disgusted, surprised), rebuilt as an ONNX graph from the package's
 * own `face_expression_model` weights, so it runs in ONNX Runtime with no TensorFlow.js. Trained
 * on a face task other than identity: a backbone whose features were never asked to tell people
 * apart.
 *
 * Input `image`: uint8 [batch, 112, 112, 3] RGB. Taps: `dense0`…`dense3` (the dense blocks),
 * `features` (256, after the 7 × 7 average pool) and `expressions` (the 7 logits; face-api
 * applies softmax to them).
 */
import { join } from 'node:path';
import { FEATURE_SIDE, FEATURES_TAP, faceFeatureExtractor } from '../align/face-feature-extractor.js';
import { GraphBuilder } from '../engine/onnx-builder.js';
import { UserError } from '../errors.js';
import { faceApiManifestPath } from './face-net.js';
import { readTfjsWeights } from './tfjs-weights.js';

/** Input side of the expression network in pixels. */
export const EXPRESSION_SIDE = FEATURE_SIDE;

/** Every tap point, shallow to deep. */
export const EXPRESSION_TAPS: readonly string[] = [
  'dense0',
  'dense1',
  'dense2',
  'dense3',
  FEATURES_TAP,
  'expressions',
];

/**
 * The tap points `--layers all` tries: dense0 and dense1 (100 k and 50 k features) are too wide
 * for the head on a few hundred photos.
 */
export const EXPRESSION_LAYERS: readonly string[] = EXPRESSION_TAPS.slice(2);

/** The package's expression weights manifest. */
export function expressionManifestPath(): string {
  return join(faceApiManifestPath(), '..', 'face_expression_model-weights_manifest.json');
}

/**
 * Reads face-api's expression weights and returns the network as ONNX model bytes.
 *
 * @example
 * const bytes = await buildExpressionNet();
 */
export async function buildExpressionNet(options: { manifest?: string } = {}): Promise<Uint8Array> {
  const manifest = options.manifest ?? expressionManifestPath();
  const weights = await readTfjsWeights(manifest);
  const g = new GraphBuilder('face_expression_net');
  const image = g.input('image', 'uint8', ['batch', EXPRESSION_SIDE, EXPRESSION_SIDE, 3]);
  const features = faceFeatureExtractor(
    g,
    g.op('Cast', [image], { to: 1 /* FLOAT */ }),
    weights,
    '',
    manifest,
  );
  const fc = weights.get('fc/weights');
  const bias = weights.get('fc/bias');
  if (!fc || !bias || fc.shape[0] !== 256)
    throw new UserError(`${manifest}: missing or misshapen 'fc' weights`);
  const logits = g.op('Gemm', [
    features,
    g.constant('fc/weights', fc.data, fc.shape),
    g.constant('fc/bias', bias.data, bias.shape),
  ]);
  g.output(logits, 'float32', ['batch', fc.shape[1]!], 'expressions');
  return g.toBytes({ producer: 'facelab (face-api weights)' });
}
