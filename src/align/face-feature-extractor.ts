/**
 * The dense-block feature extractor that `@vladmandic/face-api` shares between its 68-point
 * landmark net and its expression net (`src/faceFeatureExtractor/FaceFeatureExtractor.ts`,
 * `denseBlock.ts`), as ONNX nodes added to a caller's graph.
 *
 * It follows face-api exactly: subtract the RGB mean, divide by 255; four dense blocks of four
 * convolutions each (dense0 opens with a plain 3 × 3 stride-2 conv, every other conv is a
 * depthwise-separable 3 × 3 conv, TF 'same' padding, the first of each block with stride 2);
 * inside a block conv k sees the ReLU of the sum of the outputs of convs 0…k−1 and the block
 * outputs the ReLU of the sum of all four; then a 7 × 7 stride-2 'valid' average pool, so a
 * 112 px face gives 256 features.
 */
import type { GraphBuilder } from '../engine/onnx-builder.js';
import { UserError } from '../errors.js';
import { hwioToOihw, type NamedWeight } from '../transfer/tfjs-weights.js';

/** Input side of the extractor in pixels (face-api's `toBatchTensor(112)`). */
export const FEATURE_SIDE = 112;

/** Per-channel RGB mean face-api subtracts before dividing by 255. */
export const FEATURE_MEAN_RGB: readonly number[] = [122.782, 117.001, 104.298];

/** Number of features the extractor outputs per face. */
export const FEATURE_CHANNELS = 256;

/**
 * The dense blocks in order with their output channels and side (for a 112 px input). Each
 * block's output is tapped in the graph as `prefix + name` (`float32 [batch, channels, side, side]`).
 */
export const DENSE_BLOCKS: readonly (readonly [name: string, channels: number, side: number])[] = [
  ['dense0', 32, 56],
  ['dense1', 64, 28],
  ['dense2', 128, 14],
  ['dense3', 256, 7],
];

/** Tap names (without prefix) of the dense block outputs, input to output. */
export const DENSE_BLOCK_TAPS: readonly string[] = DENSE_BLOCKS.map(([name]) => name);

/** Tap name (without prefix) of the extractor's output, `float32 [batch, 256]`. */
export const FEATURES_TAP = 'features';

/**
 * Adds face-api's feature extractor to `g` and returns the name of its output, the
 * `float32 [batch, 256]` features (tapped as `prefix + 'features'`).
 *
 * @param g the graph to add to.
 * @param input a `float32 [batch, 112, 112, 3]` value: RGB 0–255, HWC, as face-api's
 *   `NetInput.toBatchTensor(112)` makes it (not yet normalised).
 * @param weights face-api's weights by their manifest names (`dense0/conv0/filters`, …), as
 *   `readTfjsWeights` returns them; a landmark or expression manifest both fit.
 * @param prefix prepended to every name this adds to `g` (constants and taps), so two
 *   extractors can live in one graph. Weights are looked up under face-api's names. Default ''.
 * @param source names the weights in error messages. Default 'weights'.
 * @example
 * const g = new GraphBuilder('expressions');
 * const x = g.input('image', 'float32', ['batch', 112, 112, 3]);
 * const features = faceFeatureExtractor(g, x, await readTfjsWeights(manifest));
 */
export function faceFeatureExtractor(
  g: GraphBuilder,
  input: string,
  weights: ReadonlyMap<string, NamedWeight>,
  prefix = '',
  source = 'weights',
): string {
  const take = (name: string, shape: readonly number[]): NamedWeight => {
    const w = weights.get(name);
    if (!w || w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i]))
      throw new UserError(
        `${source}: missing or misshapen weight '${name}' (expected shape [${shape}], found ${w ? `[${w.shape}]` : 'none'})`,
      );
    return w;
  };
  const sameConv = (side: number, kernel: number, stride: number, extra = {}) => {
    // TF 'same': out = ceil(side / stride), the odd padding pixel at the end.
    const out = Math.ceil(side / stride);
    const total = Math.max((out - 1) * stride + kernel - side, 0);
    const before = Math.floor(total / 2);
    const pads = [before, before, total - before, total - before];
    return { attributes: { kernel_shape: [kernel, kernel], strides: [stride, stride], pads, ...extra }, out };
  };
  const constant = (name: string, data: Float32Array, dims: number[]): string =>
    g.constant(`${prefix}${name}`, data, dims);

  /** A plain 3 × 3 conv + bias (dense0/conv0). */
  const conv = (x: string, side: number, name: string, cin: number, cout: number, stride: number) => {
    const filters = take(`${name}/filters`, [3, 3, cin, cout]);
    const bias = take(`${name}/bias`, [cout]);
    const w = constant(`${name}/filters`, hwioToOihw(filters.data, 3, 3, cin, cout), [cout, cin, 3, 3]);
    const b = constant(`${name}/bias`, bias.data, [cout]);
    const { attributes, out } = sameConv(side, 3, stride);
    return { value: g.op('Conv', [x, w, b], attributes), side: out };
  };
  /** tf.separableConv2d + bias: a depthwise 3 × 3 conv, then a pointwise 1 × 1 conv. */
  const separable = (x: string, side: number, name: string, cin: number, cout: number, stride: number) => {
    const depthwise = take(`${name}/depthwise_filter`, [3, 3, cin, 1]);
    const pointwise = take(`${name}/pointwise_filter`, [1, 1, cin, cout]);
    const bias = take(`${name}/bias`, [cout]);
    // [kh, kw, C, 1] read as HWIO with in = C, out = 1 is laid out as ONNX's [C, 1, kh, kw].
    const dw = constant(`${name}/depthwise_filter`, hwioToOihw(depthwise.data, 3, 3, cin, 1), [cin, 1, 3, 3]);
    const pw = constant(`${name}/pointwise_filter`, hwioToOihw(pointwise.data, 1, 1, cin, cout), [
      cout,
      cin,
      1,
      1,
    ]);
    const b = constant(`${name}/bias`, bias.data, [cout]);
    const { attributes, out } = sameConv(side, 3, stride, { group: cin });
    const spatial = g.op('Conv', [x, dw], attributes);
    return { value: g.op('Conv', [spatial, pw, b], { kernel_shape: [1, 1] }), side: out };
  };

  const centred = g.op('Sub', [input, g.constant(`${prefix}mean_rgb`, [...FEATURE_MEAN_RGB], [3])]);
  // face-api divides by 255 after subtracting the mean; keep the division for identical rounding.
  const scaled = g.op('Div', [centred, g.scalar(255)]);
  let x = g.op('Transpose', [scaled], { perm: [0, 3, 1, 2] });
  let side = FEATURE_SIDE;
  let channels = 3;
  for (const [index, [block, cout]] of DENSE_BLOCKS.entries()) {
    const first =
      index === 0
        ? conv(x, side, `${block}/conv0`, channels, cout, 2)
        : separable(x, side, `${block}/conv0`, channels, cout, 2);
    side = first.side;
    const outputs = [g.op('Relu', [first.value])];
    for (let k = 1; k < 4; k++) {
      const inner = k === 1 ? outputs[0]! : g.op('Relu', [sum(g, outputs)]);
      outputs.push(separable(inner, side, `${block}/conv${k}`, cout, cout, 1).value);
    }
    x = g.named(g.op('Relu', [sum(g, outputs)]), `${prefix}${block}`);
    channels = cout;
  }
  const pooled = g.op('AveragePool', [x], { kernel_shape: [7, 7], strides: [2, 2] });
  return g.named(g.op('Flatten', [pooled]), `${prefix}${FEATURES_TAP}`);
}

/** The sum of values, added in face-api's order: out1 + (out2 + (out3 + out4)). */
function sum(g: GraphBuilder, values: readonly string[]): string {
  let total = values[values.length - 1]!;
  for (let i = values.length - 2; i >= 0; i--) total = g.op('Add', [values[i]!, total]);
  return total;
}
