/**
 * A TF.js *layers* model (the `modelTopology` of a Keras functional model, as
 * `tensorflowjs_converter` writes it) rebuilt as an ONNX graph, for the layer types the
 * ImageNet-lineage CNNs of `nsfwjs` use: InputLayer, ZeroPadding2D, Conv2D, DepthwiseConv2D,
 * BatchNormalization, ReLU, Activation, Add, Concatenate, MaxPooling2D, AveragePooling2D,
 * GlobalAveragePooling2D, Flatten, Dense, Dropout. Anything else is refused by name.
 *
 * The graph is NCHW; the input is the uint8 NHWC crop, cast, scaled by `inputScale` and
 * transposed inside the graph. Every layer's output gets the Keras layer's name (an Identity),
 * so any layer can be tapped by the name Keras gave it. Keras 'same' padding (the odd pixel at
 * the end) becomes explicit ONNX pads; ReLU6 is written relu(x) − relu(x − 6), exact for
 * x ≤ 12 and within an ulp above, because OpenCV's DNN takes Clip only with attributes, which
 * opset 17 no longer has.
 */
import { GraphBuilder } from '../engine/onnx-builder.js';
import { UserError } from '../errors.js';
import { hwioToOihw, type NamedWeight } from './tfjs-weights.js';

/** One layer of a Keras functional model's config. */
interface KerasLayer {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: [string, number, number, unknown][][];
}

/** Options of `kerasGraph`. */
export interface KerasGraphOptions {
  /** The `modelTopology` object of the TF.js model. */
  topology: unknown;
  /** Its decoded weights, by TF.js name (`<layer>/kernel`…). */
  weights: ReadonlyMap<string, NamedWeight>;
  /** Input side in pixels. */
  side: number;
  /** Factor applied to the 0–255 pixels before the first layer (e.g. 1/255). */
  inputScale: number;
  /** Layers after which nothing is built (the classifier of another task). Default: build all. */
  stopAfter?: string;
  /** Name of the graph input. Default 'image'. */
  inputName?: string;
  /** Names the weights in errors. */
  source: string;
}

/** Channels and spatial size of a value. */
interface Shape {
  c: number;
  h: number;
  w: number;
  /** True once flattened to [batch, c]. */
  flat?: boolean;
}

/**
 * Builds the ONNX graph of a Keras layers model; the graph's output is the last layer built,
 * named as that layer. Returns the builder and every layer's output shape ([c, h, w], or [c]
 * once flat), in model order.
 */
export function kerasGraph(options: KerasGraphOptions): {
  graph: GraphBuilder;
  layers: { name: string; shape: number[] }[];
} {
  const { weights, source, side } = options;
  const config = (options.topology as { model_config?: { config?: { layers?: KerasLayer[] } } })?.model_config
    ?.config;
  const layers = config?.layers;
  if (!Array.isArray(layers)) throw new UserError(`${source}: not a Keras functional model topology`);
  const g = new GraphBuilder('keras_model');
  const values = new Map<string, { value: string; shape: Shape }>();
  const built: { name: string; shape: number[] }[] = [];
  const take = (name: string): NamedWeight => {
    const w = weights.get(name);
    if (!w) throw new UserError(`${source}: missing weight '${name}'`);
    return w;
  };
  let last = '';
  for (const layer of layers) {
    const inputs = (layer.inbound_nodes[0] ?? []).map(([from]) => {
      const v = values.get(from);
      if (!v) throw new UserError(`${source}: layer '${layer.name}' reads '${from}', which is not built`);
      return v;
    });
    const x = inputs[0];
    let out: { value: string; shape: Shape };
    if (layer.class_name === 'InputLayer') {
      const image = g.input(options.inputName ?? 'image', 'uint8', ['batch', side, side, 3]);
      const scaled = g.op('Mul', [
        g.op('Cast', [image], { to: 1 /* FLOAT */ }),
        g.scalar(options.inputScale),
      ]);
      out = { value: g.op('Transpose', [scaled], { perm: [0, 3, 1, 2] }), shape: { c: 3, h: side, w: side } };
    } else if (!x) {
      throw new UserError(`${source}: layer '${layer.name}' has no input`);
    } else {
      out = emitLayer(g, layer, x, inputs, take, source);
    }
    const named = g.named(out.value, layer.name);
    values.set(layer.name, { value: named, shape: out.shape });
    built.push({
      name: layer.name,
      shape: out.shape.flat ? [out.shape.c] : [out.shape.c, out.shape.h, out.shape.w],
    });
    last = named;
    if (layer.name === options.stopAfter) break;
  }
  const lastShape = built[built.length - 1]!.shape;
  g.output(last, 'float32', ['batch', ...lastShape]);
  return { graph: g, layers: built };
}

function emitLayer(
  g: GraphBuilder,
  layer: KerasLayer,
  x: { value: string; shape: Shape },
  inputs: { value: string; shape: Shape }[],
  take: (name: string) => NamedWeight,
  source: string,
): { value: string; shape: Shape } {
  const cfg = layer.config;
  const { c, h, w } = x.shape;
  const name = layer.name;
  switch (layer.class_name) {
    case 'ZeroPadding2D': {
      const [[top, bottom], [left, right]] = cfg.padding as [[number, number], [number, number]];
      const pads = g.constantInt64(`${name}/pads`, [0, 0, top, left, 0, 0, bottom, right]);
      return { value: g.op('Pad', [x.value, pads]), shape: { c, h: h + top + bottom, w: w + left + right } };
    }
    case 'Conv2D':
    case 'DepthwiseConv2D': {
      const depthwise = layer.class_name === 'DepthwiseConv2D';
      const kernel = take(`${name}/${depthwise ? 'depthwise_kernel' : 'kernel'}`);
      const [kh, kw, cin, cout0] = kernel.shape as [number, number, number, number];
      const cout = depthwise ? cin * cout0 : cout0;
      const [sh, sw] = cfg.strides as [number, number];
      const dil = cfg.dilation_rate as [number, number];
      if (dil[0] !== 1 || dil[1] !== 1) throw new UserError(`${source}: '${name}' is dilated`);
      const wName = g.constant(
        `${name}/weight`,
        depthwise
          ? depthwiseToOnnx(kernel.data, kh, kw, cin, cout0)
          : hwioToOihw(kernel.data, kh, kw, cin, cout),
        depthwise ? [cout, 1, kh, kw] : [cout, cin, kh, kw],
      );
      const args = [x.value, wName];
      if (cfg.use_bias) args.push(g.constant(`${name}/b`, take(`${name}/bias`).data, [cout]));
      const [padH, outH] = samePads(h, kh, sh, cfg.padding as string);
      const [padW, outW] = samePads(w, kw, sw, cfg.padding as string);
      const y = g.op('Conv', args, {
        kernel_shape: [kh, kw],
        strides: [sh, sw],
        pads: [padH[0], padW[0], padH[1], padW[1]],
        ...(depthwise ? { group: cin } : {}),
      });
      return { value: activation(g, y, cfg.activation, source, name), shape: { c: cout, h: outH, w: outW } };
    }
    case 'BatchNormalization': {
      const axis = cfg.axis as number;
      if (axis !== -1 && axis !== 3) throw new UserError(`${source}: '${name}' normalises axis ${axis}`);
      const ones = new Float32Array(c).fill(1);
      const param = (key: string, fallback: Float32Array) =>
        g.constant(
          `${name}/${key}_c`,
          cfg[key === 'gamma' ? 'scale' : 'center'] === false ? fallback : take(`${name}/${key}`).data,
          [c],
        );
      const y = g.op(
        'BatchNormalization',
        [
          x.value,
          param('gamma', ones),
          param('beta', new Float32Array(c)),
          g.constant(`${name}/mean_c`, take(`${name}/moving_mean`).data, [c]),
          g.constant(`${name}/var_c`, take(`${name}/moving_variance`).data, [c]),
        ],
        { epsilon: { float: cfg.epsilon as number } },
      );
      return { value: y, shape: x.shape };
    }
    case 'ReLU': {
      if ((cfg.negative_slope as number) !== 0 || (cfg.threshold as number) !== 0)
        throw new UserError(`${source}: '${name}' is a leaky or thresholded ReLU`);
      const max = cfg.max_value as number | null;
      return { value: max == null ? g.op('Relu', [x.value]) : relu6(g, x.value, max), shape: x.shape };
    }
    case 'Activation':
      return { value: activation(g, x.value, cfg.activation, source, name), shape: x.shape };
    case 'Add':
      return { value: inputs.slice(1).reduce((a, b) => g.op('Add', [a, b.value]), x.value), shape: x.shape };
    case 'Concatenate': {
      if (cfg.axis !== -1 && cfg.axis !== 3)
        throw new UserError(`${source}: '${name}' concatenates axis ${cfg.axis}`);
      const channels = inputs.reduce((s, v) => s + v.shape.c, 0);
      return {
        value: g.op(
          'Concat',
          inputs.map((v) => v.value),
          { axis: 1 },
        ),
        shape: { c: channels, h, w },
      };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const [kh, kw] = cfg.pool_size as [number, number];
      const [sh, sw] = (cfg.strides as [number, number] | null) ?? [kh, kw];
      const [padH, outH] = samePads(h, kh, sh, cfg.padding as string);
      const [padW, outW] = samePads(w, kw, sw, cfg.padding as string);
      const op = layer.class_name === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool';
      // TF averages over the pixels inside the image only: count_include_pad 0 (ONNX's default).
      const y = g.op(op, [x.value], {
        kernel_shape: [kh, kw],
        strides: [sh, sw],
        pads: [padH[0], padW[0], padH[1], padW[1]],
      });
      return { value: y, shape: { c, h: outH, w: outW } };
    }
    case 'GlobalAveragePooling2D':
      return {
        value: g.op('Flatten', [g.op('GlobalAveragePool', [x.value])], { axis: 1 }),
        shape: { c, h: 1, w: 1, flat: true },
      };
    case 'Flatten': {
      if (x.shape.flat) return x;
      // Keras flattens NHWC: transpose back first so Dense weights line up.
      const nhwc = g.op('Transpose', [x.value], { perm: [0, 2, 3, 1] });
      return { value: g.op('Flatten', [nhwc], { axis: 1 }), shape: { c: c * h * w, h: 1, w: 1, flat: true } };
    }
    case 'Dense': {
      const kernel = take(`${name}/kernel`);
      const [cin, units] = kernel.shape as [number, number];
      if (cin !== c || !x.shape.flat) throw new UserError(`${source}: '${name}' expects ${cin} flat inputs`);
      const args = [
        x.value,
        g.constant(`${name}/weight`, transpose2d(kernel.data, cin, units), [units, cin]),
      ];
      if (cfg.use_bias) args.push(g.constant(`${name}/b`, take(`${name}/bias`).data, [units]));
      const y = g.op('Gemm', args, { transB: 1 });
      return {
        value: activation(g, y, cfg.activation, source, name),
        shape: { c: units, h: 1, w: 1, flat: true },
      };
    }
    case 'Dropout':
      return x;
    default:
      throw new UserError(
        `${source}: layer '${name}' is a ${layer.class_name}, which facelab cannot convert`,
      );
  }
}

function activation(g: GraphBuilder, x: string, name: unknown, source: string, layer: string): string {
  if (name === undefined || name === 'linear') return x;
  if (name === 'relu') return g.op('Relu', [x]);
  if (name === 'softmax') return g.op('Softmax', [x], { axis: 1 });
  if (name === 'sigmoid') return g.op('Sigmoid', [x]);
  throw new UserError(
    `${source}: layer '${layer}' has activation '${String(name)}', which facelab cannot convert`,
  );
}

/** min(max(x, 0), max) as relu(x) − relu(x − max) (see the module comment). */
function relu6(g: GraphBuilder, x: string, max: number): string {
  return g.op('Sub', [g.op('Relu', [x]), g.op('Relu', [g.op('Sub', [x, g.scalar(max)])])]);
}

/** [before, after] padding and output size of one axis for Keras 'valid' or 'same'. */
function samePads(size: number, k: number, s: number, padding: string): [[number, number], number] {
  if (padding === 'valid') return [[0, 0], Math.floor((size - k) / s) + 1];
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + k - size, 0);
  const before = Math.floor(total / 2);
  return [[before, total - before], out];
}

/** TF's depthwise [kh, kw, in, multiplier] to ONNX's grouped [in · multiplier, 1, kh, kw]. */
function depthwiseToOnnx(
  data: Float32Array,
  kh: number,
  kw: number,
  cin: number,
  mult: number,
): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let m = 0; m < mult; m++)
          out[((i * mult + m) * kh + y) * kw + x] = data[((y * kw + x) * cin + i) * mult + m]!;
  return out;
}

function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) out[k * rows + r] = data[r * cols + k]!;
  return out;
}
