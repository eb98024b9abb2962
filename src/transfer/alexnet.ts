/**
 * AlexNet in torchvision's layout (`torchvision.models.alexnet`), built with facelab's graph
 * builder from seeded random weights. Pretrained weights cannot be downloaded here, so this
 * model exists to exercise the whole feature path (export layout, tapping, batching) and to
 * time it; its features mean nothing for accuracy. Users supply pretrained weights as an ONNX
 * file exported from torchvision (see the README).
 *
 * Layout (input 3 × 227 × 227): Conv 64@11×11 s4 p2, ReLU, MaxPool 3 s2, Conv 192@5×5 p2, ReLU,
 * MaxPool 3 s2, Conv 384@3×3 p1, ReLU, Conv 256@3×3 p1, ReLU, Conv 256@3×3 p1, ReLU,
 * MaxPool 3 s2 (pool5: 256 × 6 × 6 = 9216), AdaptiveAvgPool(6), Flatten, then
 * Linear 9216→4096, ReLU, Linear 4096→4096, ReLU, Linear 4096→classes (dropout is inert at
 * inference and left out, as `torch.onnx.export` does).
 */
import { GraphBuilder } from '../engine/onnx-builder.js';
import { InvalidOptionError } from '../errors.js';
import { createRng, type Rng } from '../random.js';

/** Name of the model's input: `float32 [batch, 3, side, side]`. */
export const ALEXNET_INPUT = 'input';

/** Input side AlexNet is used at here (pool5 comes out 6 × 6). */
export const ALEXNET_SIDE = 227;

/** Options of `buildAlexNet`. */
export interface AlexNetOptions {
  /** Seed of the random weights (required: every random step takes an explicit seed). */
  seed: number;
  /** Input side in pixels; pool5's side must divide into 6 × 6 for the average pool. Default 227. */
  side?: number;
  /**
   * Include the average pool and classifier (the full `alexnet()`); false builds only
   * `alexnet().features`, whose output is pool5. Default true.
   */
  classifier?: boolean;
  /** Classifier outputs. Default 1000. */
  classes?: number;
}

/**
 * Returns a randomly initialised AlexNet (torchvision layout) as ONNX model bytes. Weights and
 * biases are uniform in ±1/√fan_in, PyTorch's default initialisation for these layers.
 *
 * @example
 * const bytes = buildAlexNet({ seed: 1 }); // input 'input' [batch,3,227,227], output 'logits'
 */
export function buildAlexNet(options: AlexNetOptions): Uint8Array {
  const side = options.side ?? ALEXNET_SIDE;
  const classes = options.classes ?? 1000;
  if (!Number.isInteger(side) || side < 63)
    throw new InvalidOptionError('side', 'an integer of at least 63', side);
  const rng = createRng(options.seed);
  const g = new GraphBuilder('alexnet');
  let x = g.input(ALEXNET_INPUT, 'float32', ['batch', 3, side, side]);
  let size = side;
  let channels = 3;
  const conv = (index: number, out: number, kernel: number, stride: number, pad: number): void => {
    const fanIn = channels * kernel * kernel;
    const w = g.constant(`features.${index}.weight`, uniform(rng, out * fanIn, fanIn), [
      out,
      channels,
      kernel,
      kernel,
    ]);
    const b = g.constant(`features.${index}.bias`, uniform(rng, out, fanIn), [out]);
    x = g.op('Conv', [x, w, b], {
      kernel_shape: [kernel, kernel],
      strides: [stride, stride],
      pads: [pad, pad, pad, pad],
    });
    x = g.op('Relu', [x]);
    size = Math.floor((size + 2 * pad - kernel) / stride) + 1;
    channels = out;
  };
  const pool = (): void => {
    x = g.op('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2] });
    size = Math.floor((size - 3) / 2) + 1;
  };
  conv(0, 64, 11, 4, 2);
  pool();
  conv(3, 192, 5, 1, 2);
  pool();
  conv(6, 384, 3, 1, 1);
  conv(8, 256, 3, 1, 1);
  conv(10, 256, 3, 1, 1);
  pool();
  if (options.classifier === false) {
    g.output(x, 'float32', ['batch', 256, size, size], 'features');
    return g.toBytes({ producer: 'facelab (random AlexNet)' });
  }
  if (size % 6 !== 0) {
    throw new InvalidOptionError(
      'side',
      `a side whose pool5 divides into 6 × 6 (pool5 is ${size} × ${size})`,
      side,
    );
  }
  // AdaptiveAvgPool2d(6) on a multiple of 6 is a plain average pool (kernel 1 at 227 px).
  const k = size / 6;
  x = g.op('AveragePool', [x], { kernel_shape: [k, k], strides: [k, k] });
  x = g.op('Flatten', [x]);
  let width = 256 * 36;
  for (const [index, out] of [
    [1, 4096],
    [4, 4096],
    [6, classes],
  ] as const) {
    const w = g.constant(`classifier.${index}.weight`, uniform(rng, out * width, width), [out, width]);
    const b = g.constant(`classifier.${index}.bias`, uniform(rng, out, width), [out]);
    x = g.op('Gemm', [x, w, b], { transB: 1 });
    if (index !== 6) x = g.op('Relu', [x]);
    width = out;
  }
  g.output(x, 'float32', ['batch', classes], 'logits');
  return g.toBytes({ producer: 'facelab (random AlexNet)' });
}

function uniform(rng: Rng, count: number, fanIn: number): Float32Array {
  const bound = 1 / Math.sqrt(fanIn);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (2 * rng.next() - 1) * bound;
  return out;
}
