/**
 * Names for AlexNet's tap points that do not depend on how a model was exported.
 *
 * Exporters name tensors differently: torchvision's `torch.onnx.export` writes
 * `/features/features.12/MaxPool_output_0`, the ONNX model zoo's `bvlcalexnet` (converted from
 * Caffe) writes `pool5_1`, facelab's own builder writes `maxpool_17`. What they share is the
 * order of operators, so the names come from walking the graph's nodes (ONNX stores them in
 * topological order):
 *
 * - `conv1`…`conv5`: the k-th `Conv`, after its ReLU (through any bias `Add`/`Mul`,
 *   `BatchNormalization` or `Identity` between them), as torchvision's `features` module
 *   numbers them;
 * - `norm1`, `norm2`: the `LRN` layers of Caffe's AlexNet, when present;
 * - `pool1`, `pool2`, `pool5`: each `MaxPool`, named after the conv it follows (so Caffe's and
 *   torchvision's names agree); `pool5` is 256 × 6 × 6 = 9216 values at 227 px;
 * - `avgpool`: torchvision's adaptive average pool (identity at 227 px);
 * - `fc6`, `fc7`, `fc8`: the fully connected layers (`Gemm`/`MatMul`) after their ReLU, fc8
 *   being the logits.
 */
import type { ModelSummary } from '../engine/model-surgery.js';
import { UserError } from '../errors.js';

/** The AlexNet tap points `alexnetLayers` can name. */
export const ALEXNET_LAYERS: readonly string[] = [
  'conv1',
  'norm1',
  'pool1',
  'conv2',
  'norm2',
  'pool2',
  'conv3',
  'conv4',
  'conv5',
  'pool5',
  'avgpool',
  'fc6',
  'fc7',
  'fc8',
];

const PASS_THROUGH = new Set(['Add', 'Mul', 'BatchNormalization', 'Identity']);

/**
 * Maps AlexNet layer names (`ALEXNET_LAYERS`) to the tensor names of one model. Throws a
 * `UserError` when the model does not have AlexNet's five convolutions and a pool after the fifth.
 *
 * @example
 * alexnetLayers(describeModel(bytes)).pool5; // '/features/features.12/MaxPool_output_0'
 */
export function alexnetLayers(model: ModelSummary): Record<string, string> {
  const layers: Record<string, string> = {};
  let convs = 0;
  let fcs = 0;
  // The latest conv or fc layer and the tensor its chain of pass-through ops has reached.
  let open: { name: string; tail: string } | undefined;
  for (const node of model.nodes) {
    const input = node.inputs[0] ?? '';
    const output = node.outputs[0] ?? '';
    const continues = open !== undefined && input === open.tail;
    switch (node.opType) {
      case 'Conv':
        convs++;
        open = { name: `conv${convs}`, tail: output };
        layers[open.name] = output;
        break;
      case 'Gemm':
      case 'MatMul':
        fcs++;
        open = { name: `fc${5 + fcs}`, tail: output };
        layers[open.name] = output;
        break;
      case 'Relu':
        if (open && continues) {
          layers[open.name] = output;
          open = undefined;
        }
        break;
      case 'LRN':
        layers[`norm${convs}`] = output;
        break;
      case 'MaxPool':
        layers[`pool${convs}`] = output;
        break;
      case 'AveragePool':
      case 'GlobalAveragePool':
        if (convs === 5 && fcs === 0) layers.avgpool = output;
        break;
      default:
        if (open && continues && PASS_THROUGH.has(node.opType)) open.tail = output;
    }
  }
  if (convs !== 5 || !layers.pool5) {
    throw new UserError(
      `the model does not look like AlexNet: found ${convs} Conv nodes${layers.pool5 ? '' : ' and no MaxPool after the fifth'} (expected 5 convolutions and pool5)`,
    );
  }
  return layers;
}

/**
 * Resolves a `--layer` value against an AlexNet model: an AlexNet layer name (`pool5`) or, for
 * anything else, a tensor name of the model itself. Throws a `UserError` listing the choices.
 */
export function resolveAlexnetLayer(model: ModelSummary, layer: string): string {
  const layers = alexnetLayers(model);
  const tensor = layers[layer];
  if (tensor !== undefined) return tensor;
  const produced = new Set(model.nodes.flatMap((n) => n.outputs));
  if (produced.has(layer)) return layer;
  throw new UserError(
    `--layer '${layer}' is neither an AlexNet layer of this model (${Object.keys(layers).join(', ')}) nor one of its tensors`,
  );
}
