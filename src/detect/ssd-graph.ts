/**
 * face-api's SSD-MobileNetV1 face detector (`ssd_mobilenetv1_model`) rebuilt as an ONNX graph
 * from the package's TF.js weights, following `src/ssdMobilenetv1/{mobileNetV1,predictionLayer,
 * boxPredictionLayer,pointwiseConvLayer,outputLayer}.ts`:
 *
 * - input normalised to −1…1 (`x / 127.5 − 1`);
 * - MobileNetV1: a 3 × 3 stride-2 conv, then 13 depthwise-separable blocks (3 × 3 depthwise
 *   conv + batch norm + ReLU6, 1 × 1 conv + bias + ReLU6; stride 2 at blocks 2, 4, 6 and 12),
 *   TF 'same' padding throughout (ONNX `SAME_UPPER`, so any input size works);
 * - eight extra pointwise/3 × 3 layers, and six box predictors (on block 11, block 13 and the
 *   extra layers 1, 3, 5, 7) whose outputs are flattened in TF's NHWC order and concatenated:
 *   5,118 anchors at 512 × 512.
 *
 * The batch norm of each depthwise conv is folded into its weights (a difference of float32
 * rounding only). Box decoding against the anchors and NMS are done outside the graph
 * (`ssd-decode.ts`), as face-api does them in JavaScript.
 *
 * As a transfer-learning backbone: every block's output has a stable name (`SSD_LAYERS`), the
 * input is an NHWC batch of any size, and `tapModel` cuts the graph at any of them.
 */
import { type ElementType, GraphBuilder } from '../engine/onnx-builder.js';
import { type NamedWeight, readTfjsWeights } from '../transfer/tfjs-weights.js';
import { depthwiseToOihw, faceApiModelManifest, hwioToOihw, takeWeight } from './detector-weights.js';

/** Side face-api resizes photos to before running the SSD. */
export const SSD_SIDE = 512;

/** Name of the SSD's input: `[batch, height, width, 3]` RGB in 0…255 (float32 or uint8, see `SsdGraphOptions.input`). */
export const SSD_INPUT = 'image';

/** Output: box encodings `float32 [batch, anchors, 4]` (ty, tx, th, tw against each anchor). */
export const SSD_BOX_ENCODINGS = 'box_encodings';

/** Output: face scores `float32 [batch, anchors]` (sigmoid of the face class). */
export const SSD_SCORES = 'scores';

/** Depthwise strides of MobileNetV1 blocks 1…13 (face-api's `getStridesForLayerIdx`). */
const BLOCK_STRIDES = [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1];

/** Feature maps the six box predictors read, in face-api's concatenation order. */
const PREDICTOR_INPUTS = ['conv11', 'conv13', 'prediction1', 'prediction3', 'prediction5', 'prediction7'];

/**
 * Tensors of the SSD that can be tapped by name, input to output: the normalised input (NCHW),
 * MobileNetV1's stem `conv0` and blocks `conv1` … `conv13` (channels 32, 64, 128, 128, 256, 256,
 * 512 × 6, 1024, 1024; strides 2 … 32: `conv11` is 1/16 of the input, `conv13` 1/32), the extra
 * layers `prediction0` … `prediction7`, and the two outputs. All feature maps are NCHW.
 */
export const SSD_LAYERS: readonly string[] = [
  'normalized',
  ...Array.from({ length: 14 }, (_, i) => `conv${i}`),
  ...Array.from({ length: 8 }, (_, i) => `prediction${i}`),
  SSD_BOX_ENCODINGS,
  SSD_SCORES,
];

/** face-api's batch-norm epsilon (the float32 value of 0.001). */
const BATCH_NORM_EPSILON = 0.0010000000474974513;

/** Options of `buildSsdGraph`. */
export interface SsdGraphOptions {
  /** TF.js weights manifest. Default: face-api's `ssd_mobilenetv1_model` (`faceApiModelManifest`). */
  manifest?: string;
  /**
   * Element type of the input: 'float32' (default; what detection feeds, since resized pixels
   * are fractional) or 'uint8' (photos or crops as stored, e.g. as a transfer backbone).
   */
  input?: 'float32' | 'uint8';
}

/**
 * Reads face-api's SSD weights and returns the detector as ONNX model bytes: input `image`
 * `[batch, height, width, 3]`, outputs `box_encodings` and `scores`; every name in `SSD_LAYERS`
 * can be tapped.
 *
 * @example
 * const backbone = tapModel(await buildSsdGraph({ input: 'uint8' }), { outputs: ['conv13'] });
 */
export async function buildSsdGraph(options: SsdGraphOptions = {}): Promise<Uint8Array> {
  const manifest = options.manifest ?? faceApiModelManifest('ssd_mobilenetv1_model');
  const weights = await readTfjsWeights(manifest);
  return ssdGraph(weights, options.input ?? 'float32', manifest).toBytes({
    producer: 'facelab (face-api weights)',
  });
}

/** The SSD's anchors (`Output/extra_dim`): `[anchors × 4]` as ymin, xmin, ymax, xmax in 0…1. */
export async function readSsdAnchors(
  manifest = faceApiModelManifest('ssd_mobilenetv1_model'),
): Promise<Float32Array> {
  const anchors = takeWeight(await readTfjsWeights(manifest), 'Output/extra_dim', 3, manifest);
  return anchors.data;
}

/** Builds the SSD graph from decoded weights; `source` names the weights in error messages. */
export function ssdGraph(
  weights: ReadonlyMap<string, NamedWeight>,
  input: ElementType = 'float32',
  source = 'weights',
): GraphBuilder {
  const g = new GraphBuilder('ssd_mobilenetv1');
  const take = (name: string, rank: number): NamedWeight => takeWeight(weights, name, rank, source);
  const zero = g.scalar(0);
  const six = g.scalar(6);
  const relu6 = (x: string): string => g.op('Clip', [x, zero, six]);

  /** conv (TF 'same') + bias + ReLU6: face-api's `pointwiseConvLayer`, whatever the kernel size. */
  const convBias = (x: string, prefix: string, stride: number): string => {
    const filters = hwioToOihw(take(`${prefix}/weights`, 4));
    const w = g.constant(`${prefix}/weights`, filters.data, filters.dims);
    const b = g.constant(`${prefix}/bias`, take(`${prefix}/convolution_bn_offset`, 1).data, [
      filters.dims[0]!,
    ]);
    const k = filters.dims.slice(2);
    return relu6(
      g.op('Conv', [x, w, b], { kernel_shape: k, strides: [stride, stride], auto_pad: 'SAME_UPPER' }),
    );
  };

  /** Depthwise 3 × 3 conv with its batch norm folded in, + ReLU6. */
  const depthwise = (x: string, block: number, stride: number): string => {
    const prefix = `MobilenetV1/Conv2d_${block}_depthwise`;
    const filters = depthwiseToOihw(take(`${prefix}/depthwise_weights`, 4));
    const channels = filters.dims[0]!;
    const gamma = take(`${prefix}/BatchNorm/gamma`, 1).data;
    const beta = take(`${prefix}/BatchNorm/beta`, 1).data;
    const mean = take(`${prefix}/BatchNorm/moving_mean`, 1).data;
    const variance = take(`${prefix}/BatchNorm/moving_variance`, 1).data;
    const bias = new Float32Array(channels);
    const perChannel = filters.data.length / channels;
    for (let c = 0; c < channels; c++) {
      const scale = gamma[c]! / Math.sqrt(variance[c]! + BATCH_NORM_EPSILON);
      for (let k = 0; k < perChannel; k++) filters.data[c * perChannel + k]! *= scale;
      bias[c] = beta[c]! - mean[c]! * scale;
    }
    const w = g.constant(`${prefix}/weights`, filters.data, filters.dims);
    const b = g.constant(`${prefix}/bias`, bias, [channels]);
    return relu6(
      g.op('Conv', [x, w, b], {
        kernel_shape: filters.dims.slice(2),
        strides: [stride, stride],
        group: channels,
        auto_pad: 'SAME_UPPER',
      }),
    );
  };

  const image = g.input(SSD_INPUT, input, ['batch', 'height', 'width', 3]);
  const pixels = input === 'float32' ? image : g.op('Cast', [image], { to: 1 /* FLOAT */ });
  const scaled = g.op('Sub', [g.op('Div', [pixels, g.scalar(127.5)]), g.scalar(1)]);
  let x = g.named(g.op('Transpose', [scaled], { perm: [0, 3, 1, 2] }), 'normalized');

  x = g.named(convBias(x, 'MobilenetV1/Conv2d_0_pointwise', 2), 'conv0');
  for (const [i, stride] of BLOCK_STRIDES.entries()) {
    const block = i + 1;
    x = depthwise(x, block, stride);
    x = g.named(convBias(x, `MobilenetV1/Conv2d_${block}_pointwise`, 1), `conv${block}`);
  }
  for (let k = 0; k < 8; k++)
    x = g.named(convBias(x, `Prediction/Conv2d_${k}_pointwise`, k % 2 === 1 ? 2 : 1), `prediction${k}`);

  const encodings: string[] = [];
  const classes: string[] = [];
  const flatten = (y: string, size: number, name: string): string =>
    // [b, anchors·size, h, w] → NHWC → [b, h·w·anchors, size], TF's order.
    g.op('Reshape', [g.op('Transpose', [y], { perm: [0, 2, 3, 1] }), g.constantInt64(name, [0, -1, size])]);
  for (const [p, feature] of PREDICTOR_INPUTS.entries()) {
    const predictor = (kind: string): string => {
      const prefix = `Prediction/BoxPredictor_${p}/${kind}`;
      const filters = hwioToOihw(take(`${prefix}/weights`, 4));
      const w = g.constant(`${prefix}/weights`, filters.data, filters.dims);
      const b = g.constant(`${prefix}/biases`, take(`${prefix}/biases`, 1).data, [filters.dims[0]!]);
      return g.op('Conv', [feature, w, b], { kernel_shape: [1, 1] });
    };
    encodings.push(flatten(predictor('BoxEncodingPredictor'), 4, `box_predictor_${p}/encoding_shape`));
    classes.push(flatten(predictor('ClassPredictor'), 3, `box_predictor_${p}/class_shape`));
  }
  const boxEncodings = g.op('Concat', encodings, { axis: 1 });
  const classLogits = g.op('Concat', classes, { axis: 1 });
  // Class 1 is "face" (class 0 is background); face-api takes its sigmoid.
  const faceLogit = g.op('Slice', [
    classLogits,
    g.constantInt64('face_class_start', [1]),
    g.constantInt64('face_class_end', [2]),
    g.constantInt64('face_class_axis', [2]),
  ]);
  const scores = g.op('Reshape', [g.op('Sigmoid', [faceLogit]), g.constantInt64('scores_shape', [0, -1])]);
  g.output(boxEncodings, 'float32', ['batch', 'anchors', 4], SSD_BOX_ENCODINGS);
  g.output(scores, 'float32', ['batch', 'anchors'], SSD_SCORES);
  return g;
}
