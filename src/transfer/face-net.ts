/**
 * The face-recognition network of `@vladmandic/face-api` (dlib's ResNet-34-like net: 150 × 150
 * RGB in, 128-d descriptor out, 99.38 % on LFW), rebuilt as an ONNX graph from the package's
 * own TF.js weight files so it runs in ONNX Runtime with no TensorFlow.js.
 *
 * The layer order, paddings and shortcut rules follow face-api's
 * `src/faceRecognitionNet/{FaceRecognitionNet,convLayer,residualLayer,scaleLayer}.ts`:
 * every conv is conv + bias, then a per-channel scale layer (× weights + biases); the stem is a
 * 7 × 7 stride-2 'valid' conv and a 3 × 3 stride-2 max-pool; residual blocks are two 3 × 3
 * convs with an identity shortcut; down-sampling blocks use a stride-2 'valid' first conv, a
 * 2 × 2 average-pooled shortcut zero-padded to the new channel count, and pad the conv branch
 * with one zero row and column when it comes out smaller than the shortcut.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GraphBuilder } from '../engine/onnx-builder.js';
import { FileFormatError, UserError } from '../errors.js';
import { hwioToOihw, type NamedWeight, readTfjsWeights } from './tfjs-weights.js';

/** Input side of the face network in pixels. */
export const FACE_SIDE = 150;

/** Per-channel RGB mean face-api subtracts before dividing by 255. */
export const FACE_MEAN_RGB: readonly number[] = [122.782, 117.001, 104.298];

/** Name of the model's input: `uint8 [batch, 150, 150, 3]` RGB, as crops are stored. */
export const FACE_INPUT = 'image';

/** Name of the model's output: the `float32 [batch, 128]` descriptor. */
export const FACE_OUTPUT = 'descriptor';

/** Residual stages in face-api's order: name, output channels, whether it down-samples. */
const BLOCKS: readonly (readonly [name: string, channels: number, down: boolean])[] = [
  ['conv32_1', 32, false],
  ['conv32_2', 32, false],
  ['conv32_3', 32, false],
  ['conv64_down', 64, true],
  ['conv64_1', 64, false],
  ['conv64_2', 64, false],
  ['conv64_3', 64, false],
  ['conv128_down', 128, true],
  ['conv128_1', 128, false],
  ['conv128_2', 128, false],
  ['conv256_down', 256, true],
  ['conv256_1', 256, false],
  ['conv256_2', 256, false],
  ['conv256_down_out', 256, true],
];

/**
 * Tensors of the face model that can be tapped by name, input to output: the normalised input,
 * the stem conv and pool, each residual block (face-api's parameter names), the 256-d average
 * pool and the 128-d descriptor.
 */
export const FACE_LAYERS: readonly string[] = [
  'normalized',
  'conv32_down',
  'pool',
  ...BLOCKS.map(([name]) => name),
  'avgpool',
  FACE_OUTPUT,
];

/** The face-api weights manifest shipped in the installed `@vladmandic/face-api` package. */
export function faceApiManifestPath(): string {
  const require = createRequire(import.meta.url);
  let root: string;
  try {
    root = dirname(require.resolve('@vladmandic/face-api/package.json'));
  } catch {
    throw new UserError(
      'the face backbone needs the npm package @vladmandic/face-api (npm install @vladmandic/face-api)',
    );
  }
  return join(root, 'model', 'face_recognition_model-weights_manifest.json');
}

/** Options of `buildFaceNet`. */
export interface FaceNetOptions {
  /** TF.js weights manifest to read. Default: face-api's `face_recognition_model` (`faceApiManifestPath()`). */
  manifest?: string;
}

/**
 * Reads face-api's recognition weights and returns the network as ONNX model bytes
 * (input `image`, output `descriptor`; every name of `FACE_LAYERS` can be tapped).
 *
 * @example
 * const session = await EngineSession.create(await buildFaceNet());
 */
export async function buildFaceNet(options: FaceNetOptions = {}): Promise<Uint8Array> {
  const manifest = options.manifest ?? faceApiManifestPath();
  return faceNetGraph(await readTfjsWeights(manifest), manifest).toBytes({
    producer: 'facelab (face-api weights)',
  });
}

/** Builds the graph from decoded weights; `source` names the weights in error messages. */
export function faceNetGraph(weights: ReadonlyMap<string, NamedWeight>, source = 'weights'): GraphBuilder {
  const g = new GraphBuilder('face_recognition_net');
  const take = (name: string, rank: number): NamedWeight => {
    const w = weights.get(name);
    if (!w || w.shape.length !== rank)
      throw new UserError(`${source}: missing or misshapen weight '${name}'`);
    return w;
  };
  const perChannel = (name: string, c: number): string => {
    const w = take(name, 1);
    if (w.data.length !== c)
      throw new UserError(`${source}: '${name}' has ${w.data.length} values, expected ${c}`);
    // Rank 3, not [1, c, 1, 1]: OpenCV reads a constant shaped like the whole (1 × 1) tensor as a
    // same-shape operand and then refuses batches of more than one.
    return g.constant(name, w.data, [c, 1, 1]);
  };
  /** conv + bias, scale layer, optional ReLU; tracks the spatial side. */
  const convLayer = (
    x: string,
    side: number,
    prefix: string,
    stride: number,
    relu: boolean,
    same: boolean,
  ) => {
    const filters = take(`${prefix}/conv/filters`, 4);
    const [kh, kw, cin, cout] = filters.shape as [number, number, number, number];
    const w = g.constant(`${prefix}/conv/filters`, hwioToOihw(filters.data, kh, kw, cin, cout), [
      cout,
      cin,
      kh,
      kw,
    ]);
    const b = g.constant(`${prefix}/conv/bias`, take(`${prefix}/conv/bias`, 1).data, [cout]);
    // TF 'same': total padding so that out = ceil(side / stride), the odd pixel at the end.
    const outSide = same ? Math.ceil(side / stride) : Math.floor((side - kh) / stride) + 1;
    const total = same ? Math.max((outSide - 1) * stride + kh - side, 0) : 0;
    const before = Math.floor(total / 2);
    const pads = [before, before, total - before, total - before];
    let y = g.op('Conv', [x, w, b], { kernel_shape: [kh, kw], strides: [stride, stride], pads });
    y = g.op('Mul', [y, perChannel(`${prefix}/scale/weights`, cout)]);
    y = g.op('Add', [y, perChannel(`${prefix}/scale/biases`, cout)]);
    return { value: relu ? g.op('Relu', [y]) : y, side: outSide, channels: cout };
  };

  const image = g.input(FACE_INPUT, 'uint8', ['batch', FACE_SIDE, FACE_SIDE, 3]);
  const pixels = g.op('Cast', [image], { to: 1 /* FLOAT */ });
  const centred = g.op('Sub', [pixels, g.constant('mean_rgb', [...FACE_MEAN_RGB], [3])]);
  // face-api divides by 255 after subtracting the mean; keep the division for identical rounding.
  const scaled = g.op('Div', [centred, g.scalar(255)]);
  let x = g.named(g.op('Transpose', [scaled], { perm: [0, 3, 1, 2] }), 'normalized');

  const stem = convLayer(x, FACE_SIDE, 'conv32_down', 2, true, false);
  x = g.named(stem.value, 'conv32_down');
  let side = Math.floor((stem.side - 3) / 2) + 1;
  let channels = stem.channels;
  x = g.named(g.op('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2] }), 'pool');

  for (const [name, outChannels, down] of BLOCKS) {
    const first = convLayer(x, side, `${name}/conv1`, down ? 2 : 1, true, !down);
    let branch = convLayer(first.value, first.side, `${name}/conv2`, 1, false, true).value;
    let shortcut = x;
    if (down) {
      shortcut = g.op('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2] });
      const pooledSide = Math.floor((side - 2) / 2) + 1;
      if (first.side !== pooledSide) {
        if (pooledSide - first.side !== 1)
          throw new FileFormatError(
            source,
            `the layers do not fit together: side ${first.side} against ${pooledSide} at ${name}`,
          );
        branch = g.op('Pad', [branch, g.constantInt64(`${name}/pad_hw`, [0, 0, 0, 0, 0, 0, 1, 1])]);
      }
      if (outChannels !== channels) {
        const extra = outChannels - channels;
        shortcut = g.op('Pad', [
          shortcut,
          g.constantInt64(`${name}/pad_channels`, [0, 0, 0, 0, 0, extra, 0, 0]),
        ]);
      }
      side = pooledSide;
    }
    x = g.named(g.op('Relu', [g.op('Add', [branch, shortcut])]), name);
    channels = outChannels;
  }

  const pooled = g.named(g.op('Flatten', [g.op('GlobalAveragePool', [x])]), 'avgpool');
  const fc = take('fc', 2);
  const descriptor = g.op('MatMul', [pooled, g.constant('fc', fc.data, fc.shape)]);
  g.output(descriptor, 'float32', ['batch', 128], FACE_OUTPUT);
  return g;
}
