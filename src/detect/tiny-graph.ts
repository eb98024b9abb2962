/**
 * face-api's tiny face detector (`tiny_face_detector_model`, a Tiny-YOLOv2 with depthwise-
 * separable convs) rebuilt as an ONNX graph from the package's TF.js weights, following
 * `src/tinyYolov2/{TinyYolov2Base.runMobilenet,depthwiseSeparableConv,leaky}.ts` with the
 * tiny detector's config (`isFirstLayerConv2d`, filters 16 … 512, no conv6/conv7):
 *
 * - input: subtract face-api's mean RGB, divide by 255;
 * - `conv0`: 3 × 3 'valid' conv + bias, leaky ReLU (α 0.1); 2 × 2 stride-2 max-pool ('same');
 * - `conv1` … `conv5`: zero-pad 1, 3 × 3 depthwise + 1 × 1 pointwise conv + bias, leaky ReLU;
 *   a 2 × 2 max-pool after each (stride 2, but stride 1 after `conv5`);
 * - `conv8`: 1 × 1 conv to 5 anchors × (x, y, w, h, score) per cell.
 *
 * face-api writes the leaky ReLU as `relu(x − 0.1x) + 0.1x`; ONNX's `LeakyRelu` is the same
 * function up to float32 rounding. Box decoding and NMS are in `tiny-decode.ts`.
 */
import { GraphBuilder } from '../engine/onnx-builder.js';
import { type NamedWeight, readTfjsWeights } from '../transfer/tfjs-weights.js';
import { depthwiseToOihw, faceApiModelManifest, hwioToOihw, takeWeight } from './detector-weights.js';

/** Name of the tiny detector's input: `float32 [batch, height, width, 3]` RGB in 0…255. */
export const TINY_INPUT = 'image';

/** Output: `float32 [batch, cells, cells, anchors × 5]` (NHWC, as face-api reads it). */
export const TINY_OUTPUT = 'grid';

/** Mean RGB face-api's tiny face detector subtracts (`tinyFaceDetector/const.ts`). */
export const TINY_MEAN_RGB: readonly number[] = [117.001, 114.697, 97.404];

/** Tensors of the tiny detector that can be tapped by name (feature maps NCHW). */
export const TINY_LAYERS: readonly string[] = [
  'normalized',
  ...Array.from({ length: 6 }, (_, i) => `conv${i}`),
  TINY_OUTPUT,
];

/** Options of `buildTinyGraph`. */
export interface TinyGraphOptions {
  /** TF.js weights manifest. Default: face-api's `tiny_face_detector_model`. */
  manifest?: string;
}

/** Reads face-api's tiny detector weights and returns the network as ONNX model bytes (input `image`, output `grid`). */
export async function buildTinyGraph(options: TinyGraphOptions = {}): Promise<Uint8Array> {
  const manifest = options.manifest ?? faceApiModelManifest('tiny_face_detector_model');
  return tinyGraph(await readTfjsWeights(manifest), manifest).toBytes({
    producer: 'facelab (face-api weights)',
  });
}

/** Builds the tiny detector's graph from decoded weights; `source` names the weights in error messages. */
export function tinyGraph(weights: ReadonlyMap<string, NamedWeight>, source = 'weights'): GraphBuilder {
  const g = new GraphBuilder('tiny_face_detector');
  const take = (name: string, rank: number): NamedWeight => takeWeight(weights, name, rank, source);
  const leaky = (x: string): string => g.op('LeakyRelu', [x], { alpha: 0.1 });
  const conv = (
    x: string,
    prefix: string,
    filterName: string,
    pads: number[],
    group = false,
    bias = true,
  ): string => {
    const filters = group ? depthwiseToOihw(take(filterName, 4)) : hwioToOihw(take(filterName, 4));
    const inputs = [x, g.constant(filterName, filters.data, filters.dims)];
    if (bias) inputs.push(g.constant(`${prefix}/bias`, take(`${prefix}/bias`, 1).data, [filters.dims[0]!]));
    return g.op('Conv', inputs, {
      kernel_shape: filters.dims.slice(2),
      pads,
      ...(group ? { group: filters.dims[0]! } : {}),
    });
  };
  const maxPool = (x: string, stride: number): string =>
    g.op('MaxPool', [x], { kernel_shape: [2, 2], strides: [stride, stride], auto_pad: 'SAME_UPPER' });

  const image = g.input(TINY_INPUT, 'float32', ['batch', 'height', 'width', 3]);
  const centred = g.op('Sub', [image, g.constant('mean_rgb', [...TINY_MEAN_RGB], [3])]);
  const scaled = g.op('Div', [centred, g.scalar(255)]);
  let x = g.named(g.op('Transpose', [scaled], { perm: [0, 3, 1, 2] }), 'normalized');
  x = g.named(leaky(conv(x, 'conv0', 'conv0/filters', [0, 0, 0, 0])), 'conv0');
  x = maxPool(x, 2);
  for (let i = 1; i <= 5; i++) {
    const depthwise = conv(x, `conv${i}`, `conv${i}/depthwise_filter`, [1, 1, 1, 1], true, false);
    x = g.named(leaky(conv(depthwise, `conv${i}`, `conv${i}/pointwise_filter`, [0, 0, 0, 0])), `conv${i}`);
    x = maxPool(x, i === 5 ? 1 : 2);
  }
  const out = conv(x, 'conv8', 'conv8/filters', [0, 0, 0, 0]);
  g.output(
    g.op('Transpose', [out], { perm: [0, 2, 3, 1] }),
    'float32',
    ['batch', 'cells', 'cells', 25],
    TINY_OUTPUT,
  );
  return g;
}
