/**
 * face-api's 68-point landmark net (`face_landmark_68_model`: `FaceLandmark68Net.ts` on
 * `FaceProcessor.ts`) rebuilt as an ONNX graph from the package's own TF.js weight files: the
 * dense-block feature extractor, then a fully connected layer 256 → 136. The 136 outputs are
 * x, y pairs of the 68 iBUG points as fractions of the 112 px padded square the net saw;
 * `landmarks.ts` cuts that square out of a photo and maps them back.
 */
import { dirname, join } from 'node:path';
import { GraphBuilder } from '../engine/onnx-builder.js';
import { UserError } from '../errors.js';
import { faceApiManifestPath } from '../transfer/face-net.js';
import { type NamedWeight, readTfjsWeights } from '../transfer/tfjs-weights.js';
import { FEATURE_CHANNELS, FEATURE_SIDE, faceFeatureExtractor } from './face-feature-extractor.js';

/** Name of the model's input: `float32 [batch, 112, 112, 3]`, RGB 0–255 (face-api's batch tensor). */
export const LANDMARK_INPUT = 'image';

/** Name of the model's output: `float32 [batch, 136]`, x0, y0, x1, y1, … in units of the square. */
export const LANDMARK_OUTPUT = 'landmarks';

/** Number of landmarks per face. */
export const LANDMARK_COUNT = 68;

/** The landmark weights manifest shipped in the installed `@vladmandic/face-api` package. */
export function landmarkManifestPath(): string {
  return join(dirname(faceApiManifestPath()), 'face_landmark_68_model-weights_manifest.json');
}

/** Options of `buildLandmarkNet`. */
export interface LandmarkNetOptions {
  /** TF.js weights manifest to read. Default: face-api's `face_landmark_68_model` (`landmarkManifestPath()`). */
  manifest?: string;
}

/**
 * Reads face-api's landmark weights and returns the network as ONNX model bytes (input
 * `image`, output `landmarks`; the dense blocks can be tapped as `dense0` … `dense3`, the
 * 256 features as `features`).
 *
 * @example
 * const session = await EngineSession.create(await buildLandmarkNet());
 */
export async function buildLandmarkNet(options: LandmarkNetOptions = {}): Promise<Uint8Array> {
  const manifest = options.manifest ?? landmarkManifestPath();
  return landmarkNetGraph(await readTfjsWeights(manifest), manifest).toBytes({
    producer: 'facelab (face-api weights)',
  });
}

/** Builds the graph from decoded weights; `source` names the weights in error messages. */
export function landmarkNetGraph(
  weights: ReadonlyMap<string, NamedWeight>,
  source = 'weights',
): GraphBuilder {
  const g = new GraphBuilder('face_landmark_68_net');
  const image = g.input(LANDMARK_INPUT, 'float32', ['batch', FEATURE_SIDE, FEATURE_SIDE, 3]);
  const features = faceFeatureExtractor(g, image, weights, '', source);
  const outputs = LANDMARK_COUNT * 2;
  const fcWeights = weights.get('fc/weights');
  const fcBias = weights.get('fc/bias');
  if (fcWeights?.shape.join() !== `${FEATURE_CHANNELS},${outputs}` || fcBias?.shape.join() !== `${outputs}`)
    throw new UserError(
      `${source}: missing or misshapen weight 'fc/weights' [${FEATURE_CHANNELS}, ${outputs}] or 'fc/bias' [${outputs}]`,
    );
  const product = g.op('MatMul', [features, g.constant('fc/weights', fcWeights.data, fcWeights.shape)]);
  const landmarks = g.op('Add', [product, g.constant('fc/bias', fcBias.data, fcBias.shape)]);
  g.output(landmarks, 'float32', ['batch', outputs], LANDMARK_OUTPUT);
  return g;
}
