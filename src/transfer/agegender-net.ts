/**
 * face-api's age/gender network (`src/ageGenderNet/`, `src/xception/TinyXception.ts`) rebuilt as
 * an ONNX graph from the package's own `age_gender_model` weights, so it runs in ONNX Runtime with
 * no TensorFlow.js. A TinyXception (a 3 × 3 stride-2 conv, two reduction blocks, two residual
 * main blocks, an exit reduction block and a separable conv), a 7 × 7 average pool to 512
 * features, then an age regressor and a two-way gender classifier. Trained on face tasks other
 * than identity (age and gender): its features were never asked to tell people apart.
 *
 * Input `image`: uint8 [batch, 112, 112, 3] RGB; the graph subtracts face-api's mean RGB and
 * divides by 255, as `TinyXception.forwardInput` does. Taps (NCHW at 112 px): `entry` (after
 * conv_in, 32 × 56 × 56), `reduction0` (64 × 28 × 28), `reduction1`, `main0`, `main1`
 * (128 × 14 × 14), `exit_reduction` (256 × 7 × 7), `exit` (512 × 7 × 7, the extractor's output),
 * `features` (512, the pool), `age` (1) and `gender` (2 logits; face-api applies softmax).
 */
import { depthwiseToOihw, faceApiModelManifest, hwioToOihw, takeWeight } from '../detect/detector-weights.js';
import { GraphBuilder } from '../engine/onnx-builder.js';
import { type NamedWeight, readTfjsWeights } from './tfjs-weights.js';

/** Input side of the age/gender network in pixels. */
export const AGEGENDER_SIDE = 112;

/** face-api's mean RGB, subtracted before dividing by 255. */
const MEAN_RGB = [122.782, 117.001, 104.298];

/** Every tap point, shallow to deep. */
export const AGEGENDER_TAPS: readonly string[] = [
  'entry',
  'reduction0',
  'reduction1',
  'main0',
  'main1',
  'exit_reduction',
  'exit',
  'features',
  'age',
  'gender',
];

/**
 * The tap points `--layers all` tries: `entry` and `reduction0` (100 k and 50 k features) are
 * too wide for the head on a few hundred photos.
 */
export const AGEGENDER_LAYERS: readonly string[] = AGEGENDER_TAPS.slice(2);

/**
 * Reads face-api's age/gender weights and returns the network as ONNX model bytes; every name
 * in `AGEGENDER_TAPS` can be tapped.
 *
 * @example
 * const bytes = await buildAgeGenderNet();
 */
export async function buildAgeGenderNet(options: { manifest?: string } = {}): Promise<Uint8Array> {
  const manifest = options.manifest ?? faceApiModelManifest('age_gender_model');
  return ageGenderGraph(await readTfjsWeights(manifest), manifest).toBytes({
    producer: 'facelab (face-api weights)',
  });
}

/** Builds the graph from decoded weights; `source` names the weights in error messages. */
export function ageGenderGraph(weights: ReadonlyMap<string, NamedWeight>, source = 'weights'): GraphBuilder {
  const g = new GraphBuilder('age_gender_net');
  const take = (name: string, rank: number): NamedWeight => takeWeight(weights, name, rank, source);
  const bias = (name: string): string => g.constant(name, take(name, 1).data, [take(name, 1).shape[0]!]);
  const relu = (x: string): string => g.op('Relu', [x]);

  /** TF conv 'same' + bias. */
  const conv = (x: string, prefix: string, stride: number): string => {
    const f = hwioToOihw(take(`${prefix}/filters`, 4));
    return g.op('Conv', [x, g.constant(`${prefix}/filters`, f.data, f.dims), bias(`${prefix}/bias`)], {
      kernel_shape: f.dims.slice(2),
      strides: [stride, stride],
      auto_pad: 'SAME_UPPER',
    });
  };
  /** `tf.separableConv2d` (depthwise 3 × 3, then pointwise 1 × 1, stride 1, 'same') + bias. */
  const separable = (x: string, prefix: string): string => {
    const d = depthwiseToOihw(take(`${prefix}/depthwise_filter`, 4));
    const p = hwioToOihw(take(`${prefix}/pointwise_filter`, 4));
    const depthwise = g.op('Conv', [x, g.constant(`${prefix}/depthwise_filter`, d.data, d.dims)], {
      kernel_shape: d.dims.slice(2),
      group: d.dims[0]!,
      auto_pad: 'SAME_UPPER',
    });
    return g.op('Conv', [
      depthwise,
      g.constant(`${prefix}/pointwise_filter`, p.data, p.dims),
      bias(`${prefix}/bias`),
    ]);
  };
  const reduction = (x: string, prefix: string, activateInput: boolean): string => {
    let out = separable(activateInput ? relu(x) : x, `${prefix}/separable_conv0`);
    out = separable(relu(out), `${prefix}/separable_conv1`);
    // ONNX MaxPool pads with −∞ under SAME_UPPER, as TF's 'same' max pool ignores padding.
    out = g.op('MaxPool', [out], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' });
    return g.op('Add', [out, conv(x, `${prefix}/expansion_conv`, 2)]);
  };
  const main = (x: string, prefix: string): string => {
    let out = separable(relu(x), `${prefix}/separable_conv0`);
    out = separable(relu(out), `${prefix}/separable_conv1`);
    out = separable(relu(out), `${prefix}/separable_conv2`);
    return g.op('Add', [out, x]);
  };

  const image = g.input('image', 'uint8', ['batch', AGEGENDER_SIDE, AGEGENDER_SIDE, 3]);
  const pixels = g.op('Cast', [image], { to: 1 /* FLOAT */ });
  const normalized = g.op('Div', [
    g.op('Sub', [pixels, g.constant('mean_rgb', MEAN_RGB, [3])]),
    g.scalar(255),
  ]);
  let x = g.op('Transpose', [normalized], { perm: [0, 3, 1, 2] });
  x = g.named(relu(conv(x, 'entry_flow/conv_in', 2)), 'entry');
  x = g.named(reduction(x, 'entry_flow/reduction_block_0', false), 'reduction0');
  x = g.named(reduction(x, 'entry_flow/reduction_block_1', true), 'reduction1');
  x = g.named(main(x, 'middle_flow/main_block_0'), 'main0');
  x = g.named(main(x, 'middle_flow/main_block_1'), 'main1');
  x = g.named(reduction(x, 'exit_flow/reduction_block', true), 'exit_reduction');
  x = g.named(relu(separable(x, 'exit_flow/separable_conv')), 'exit');
  const pooled = g.op('AveragePool', [x], { kernel_shape: [7, 7], strides: [2, 2] });
  const features = g.named(g.op('Flatten', [pooled], { axis: 1 }), 'features');
  const fc = (name: string): string => {
    const w = take(`fc/${name}/weights`, 2);
    return g.op('Gemm', [
      features,
      g.constant(`fc/${name}/weights`, w.data, w.shape),
      bias(`fc/${name}/bias`),
    ]);
  };
  g.output(g.op('Flatten', [fc('age')], { axis: 1 }), 'float32', ['batch', 1], 'age');
  g.output(fc('gender'), 'float32', ['batch', 2], 'gender');
  return g;
}
