/**
 * One portable file for a transfer-learning model: an image backbone cut at the tapped layer
 * and the trained head joined into one ONNX graph that takes the photo crop — float32
 * `[batch, side, side, 3]`, RGB 0–255, the same input as the raw-pixel model — and gives
 * `logits` and `probabilities`. Python, C#, OpenCV or a browser need nothing else.
 *
 * The crop is turned into the backbone's input inside the graph: for a float NCHW backbone, a
 * transpose and a 1 × 1 convolution that computes `preprocessImages`' per-channel affine map
 * (and channel order); for a backbone that takes the uint8 crop and casts it itself, its Casts
 * to float read the float crop directly. The tapped tensor is flattened and fed to the head's
 * two Linear layers, whose weights are copied from the head's own `model.onnx`.
 */
import onnxProto from 'onnx-proto';
import { FileFormatError } from '../errors.js';
import { FACELAB_VERSION } from '../version.js';
import { type ClassifierMetadata, METADATA_KEY } from './classifier-model.js';
import { emitForward } from './mlp-layers.js';
import { readModelMetadata } from './model-metadata.js';
import { describeModel, readInitializer, tapModel } from './model-surgery.js';
import { GraphBuilder } from './onnx-builder.js';

const { onnx } = onnxProto;

/**
 * How the crop becomes the backbone's input: `bytes` for a model that takes the uint8 NHWC crop;
 * `affine` for a float32 NCHW model fed `x[source[c]] · scale[c] + shift[c]` in channel `c`.
 */
export type CropToInput =
  | { kind: 'bytes' }
  | { kind: 'affine'; source: readonly number[]; scale: readonly number[]; shift: readonly number[] };

/** Options of `buildCombinedModel`. */
export interface CombinedModelOptions {
  /** The backbone's ONNX bytes (one image input). */
  backbone: Uint8Array;
  /** Tensor of the backbone the head was trained on. */
  tensor: string;
  /** Crop side the backbone takes, in pixels. */
  side: number;
  /** How a crop becomes the backbone's input. */
  input: CropToInput;
  /** The head's `model.onnx` (features in; `fc1.*`, `fc2.*` weights, `facelab` metadata). */
  head: Uint8Array;
  /** More fields for the `facelab` metadata (the head's own fields are kept). */
  extra?: Record<string, unknown>;
  /** The backbone's file or what it is, named in errors. Default 'the backbone'. */
  source?: string;
}

/**
 * Joins backbone and head into one model taking crops; returns its bytes. The `facelab`
 * metadata is the head's, with `input` describing the crop and a `preprocessing` sentence.
 * Throws an `Error` when the backbone's uint8 input is read by anything but a Cast to float.
 *
 * @example
 * const bytes = buildCombinedModel({ backbone, tensor: 'avgpool', side: 150, input: { kind: 'bytes' }, head });
 */
export function buildCombinedModel(options: CombinedModelOptions): Uint8Array {
  const source = options.source ?? 'the backbone';
  const { side, tensor } = options;
  const tapped = onnx.ModelProto.decode(tapModel(options.backbone, { outputs: [tensor], source }));
  const graph = tapped.graph!;
  const backboneInput = describeModel(options.backbone, source).inputs[0];
  if (!backboneInput) throw new FileFormatError(source, 'no image input');

  const pre = new GraphBuilder('preprocess', 'facelab_pre/');
  const image = pre.input('image', 'float32', ['batch', side, side, 3]);
  let nodes = graph.node ?? [];
  if (options.input.kind === 'bytes') {
    nodes = nodes.map((node) => {
      if (!(node.input ?? []).includes(backboneInput.name)) return node;
      const to = node.attribute?.find((a) => a.name === 'to');
      if (node.opType !== 'Cast' || Number(to?.i) !== onnx.TensorProto.DataType.FLOAT) {
        throw new FileFormatError(source, `its uint8 input feeds a ${node.opType}, not a Cast to float`);
      }
      return onnx.NodeProto.create({
        opType: 'Identity',
        input: [image],
        output: [...(node.output ?? [])],
        name: node.name ?? '',
      });
    });
  } else {
    const { source: from, scale, shift } = options.input;
    // Output channel c reads input channel from[c] only: the affine map as a 1 × 1 convolution.
    const weights = new Float32Array(9);
    for (let c = 0; c < 3; c++) weights[c * 3 + from[c]!] = scale[c]!;
    const nchw = pre.op('Transpose', [image], { perm: [0, 3, 1, 2] });
    const w = pre.constant('facelab_pre/weight', weights, [3, 3, 1, 1]);
    const b = pre.constant('facelab_pre/bias', [...shift], [3]);
    const fed = pre.op('Conv', [nchw, w, b], { kernel_shape: [1, 1] });
    nodes = nodes.map((node) =>
      onnx.NodeProto.create({
        ...node,
        input: (node.input ?? []).map((name) => (name === backboneInput.name ? fed : name)),
      }),
    );
  }

  const headModel = options.head;
  const take = (name: string) => readInitializer(headModel, name, 'the head');
  const w1 = take('fc1.weight');
  const w2 = take('fc2.weight');
  const [hidden, dim] = w1.dims as [number, number];
  const classes = w2.dims[0]!;
  const post = new GraphBuilder('head', 'facelab_head/');
  const names = {
    w1: post.constant('facelab_head/fc1.weight', w1.data, w1.dims),
    b1: post.constant('facelab_head/fc1.bias', take('fc1.bias').data, [hidden]),
    w2: post.constant('facelab_head/fc2.weight', w2.data, w2.dims),
    b2: post.constant('facelab_head/fc2.bias', take('fc2.bias').data, [classes]),
  };
  const features = post.op('Flatten', [tensor], { axis: 1 });
  const { logits } = emitForward(post, features, names);
  post.output(logits, 'float32', ['batch', classes], 'logits');
  post.output(post.op('Softmax', [logits], { axis: 1 }), 'float32', ['batch', classes], 'probabilities');

  const preGraph = pre.toGraph();
  const postGraph = post.toGraph();
  const combined = onnx.GraphProto.create({
    name: 'facelab_transfer_classifier',
    node: [...preGraph.node, ...nodes, ...postGraph.node],
    input: preGraph.input,
    output: postGraph.output,
    initializer: [...preGraph.initializer, ...(graph.initializer ?? []), ...postGraph.initializer],
  });
  const headMeta = JSON.parse(readModelMetadata(headModel, 'the head')[METADATA_KEY] ?? '{}') as Record<
    string,
    unknown
  >;
  const metadata: ClassifierMetadata = {
    ...headMeta,
    ...options.extra,
    format: 'facelab-classifier/1',
    labels: (headMeta.labels as string[] | undefined) ?? [],
    input: {
      name: 'image',
      kind: 'image',
      shape: ['batch', side, side, 3],
      range: [0, 255],
      layout: 'NHWC RGB',
    },
    preprocessing: `inside the graph: the backbone's own input preparation, its tensor '${tensor}' (${dim} features) flattened into the head`,
    outputs: ['logits', 'probabilities'],
  };
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'facelab',
    producerVersion: FACELAB_VERSION,
    opsetImport: tapped.opsetImport,
    graph: combined,
    metadataProps: [
      onnx.StringStringEntryProto.create({ key: METADATA_KEY, value: JSON.stringify(metadata) }),
    ],
  });
  return onnx.ModelProto.encode(model).finish();
}
