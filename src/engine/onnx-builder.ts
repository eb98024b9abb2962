/**
 * A small ONNX graph builder on the `onnx-proto` definitions. Algorithm code describes a
 * graph as named values and operators; `toBytes()` yields a standard `.onnx` model that ONNX
 * Runtime (or Python, C#, a browser) loads.
 *
 * @example
 * const g = new GraphBuilder('mlp');
 * const x = g.input('x', 'float32', ['batch', 4]);
 * const w = g.constant('w', new Float32Array(8), [4, 2]);
 * g.output(g.op('MatMul', [x, w]), 'float32', ['batch', 2], 'y');
 * const bytes = g.toBytes();
 */
import onnxProto from 'onnx-proto';
import { ArgumentError } from '../errors.js';
import { FACELAB_VERSION } from '../version.js';

const { onnx } = onnxProto;

/** Element types the builder can declare. */
export type ElementType = 'float32' | 'int64' | 'int32' | 'uint8' | 'bool';

/** A tensor dimension: a fixed size, or a name for a size known only at run time. */
export type Dim = number | string;

/**
 * Attribute values accepted by `op`. A plain number is an INT attribute when it is an integer,
 * else FLOAT; write `{ float: 1 }` for a float attribute whose value happens to be whole.
 */
export type AttributeValue =
  | number
  | string
  | number[]
  | Float32Array
  | { float: number }
  | { floats: number[] }
  | { graph: GraphBuilder };

const elementCodes: Record<ElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  uint8: onnx.TensorProto.DataType.UINT8,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** Default opset of the `ai.onnx` domain: 17 (supported by every recent ORT and PyTorch). */
export const DEFAULT_OPSET = 17;

/** Options of `toBytes`. */
export interface ModelOptions {
  /** `ai.onnx` opset version; default `DEFAULT_OPSET`. */
  opset?: number;
  /** Key/value strings stored in the model's `metadata_props` (e.g. actor names). */
  metadata?: Record<string, string>;
  /** Producer name stored in the model; default 'facelab'. */
  producer?: string;
}

/** Builds one ONNX graph. Names are unique within the graph; `op` invents output names. */
export class GraphBuilder {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly used = new Set<string>();
  private counter = 0;

  /**
   * @param name the graph's name.
   * @param valuePrefix prefix of every generated value name; give each subgraph (Loop/If body)
   *   its own, since ONNX forbids a subgraph value to reuse a name of its enclosing graphs. Default ''.
   */
  constructor(
    readonly name: string,
    private readonly valuePrefix = '',
  ) {}

  /** Declares a graph input and returns its name. */
  input(name: string, type: ElementType, dims: Dim[]): string {
    this.claim(name);
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** Declares `value` as a graph output (renamed to `name` through Identity if given). */
  output(value: string, type: ElementType, dims: Dim[], name = value): string {
    let out = value;
    if (name !== value) {
      this.claim(name);
      this.nodes.push(
        onnx.NodeProto.create({
          opType: 'Identity',
          input: [value],
          output: [name],
          name: `${name}_identity`,
        }),
      );
      out = name;
    }
    this.outputs.push(valueInfo(out, type, dims));
    return out;
  }

  /**
   * Gives `value` a chosen, stable name (through an Identity node, which ORT optimises away) so
   * tools can tap that layer by name later; returns `name`.
   */
  named(value: string, name: string): string {
    this.claim(name);
    this.nodes.push(
      onnx.NodeProto.create({ opType: 'Identity', input: [value], output: [name], name: `${name}_identity` }),
    );
    return name;
  }

  /** Adds a float32 constant (initializer) and returns its name. */
  constant(name: string, values: Float32Array | number[], dims: number[]): string {
    this.claim(name);
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    checkSize(name, data.length, dims);
    this.initializers.push(
      onnx.TensorProto.create({
        name,
        dims,
        dataType: onnx.TensorProto.DataType.FLOAT,
        rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      }),
    );
    return name;
  }

  /** Adds an int64 constant (shapes, axes, indices) and returns its name. */
  constantInt64(name: string, values: number[], dims: number[] = [values.length]): string {
    this.claim(name);
    checkSize(name, values.length, dims);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push(
      onnx.TensorProto.create({
        name,
        dims,
        dataType: onnx.TensorProto.DataType.INT64,
        rawData: new Uint8Array(data.buffer),
      }),
    );
    return name;
  }

  /** A scalar float32 constant with a generated name. */
  scalar(value: number): string {
    // `fresh` reserves the name and `constant` claims it again: release it in between.
    const name = this.fresh('c');
    this.used.delete(name);
    return this.constant(name, [value], []);
  }

  /**
   * Adds one operator node and returns the names of its outputs (`outputs` of them, default 1).
   * Empty strings in `inputs` mark omitted optional inputs, as ONNX does.
   */
  ops(
    opType: string,
    inputs: string[],
    attributes: Record<string, AttributeValue> = {},
    outputs = 1,
    domain = '',
  ): string[] {
    const outNames = Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        domain,
        input: inputs,
        output: outNames,
        name: `${outNames[0]}_node`,
        attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
      }),
    );
    return outNames;
  }

  /** Adds one single-output operator node and returns the output's name. */
  op(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}): string {
    return this.ops(opType, inputs, attributes, 1)[0]!;
  }

  /** A new unique value name with the given prefix. */
  fresh(prefix: string): string {
    let name: string;
    do name = `${this.valuePrefix}${prefix}_${this.counter++}`;
    while (this.used.has(name));
    this.used.add(name);
    return name;
  }

  /** The graph as an ONNX `GraphProto` (used for subgraphs and by `toBytes`). */
  toGraph(): InstanceType<typeof onnx.GraphProto> {
    return onnx.GraphProto.create({
      name: this.name,
      node: this.nodes,
      input: this.inputs,
      output: this.outputs,
      initializer: this.initializers,
    });
  }

  /** Serialises the graph as a complete ONNX model. */
  toBytes(options: ModelOptions = {}): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: options.producer ?? 'facelab',
      producerVersion: FACELAB_VERSION,
      opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: options.opset ?? DEFAULT_OPSET })],
      graph: this.toGraph(),
      metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) =>
        onnx.StringStringEntryProto.create({ key, value }),
      ),
    });
    return onnx.ModelProto.encode(model).finish();
  }

  private claim(name: string): void {
    if (this.used.has(name))
      throw new ArgumentError(`GraphBuilder: the name '${name}' is already used in graph '${this.name}'`);
    this.used.add(name);
  }
}

function checkSize(name: string, length: number, dims: number[]): void {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (expected !== length)
    throw new ArgumentError(
      `GraphBuilder: constant '${name}' has ${length} values but dims [${dims}] need ${expected}`,
    );
}

function valueInfo(name: string, type: ElementType, dims: Dim[]): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: elementCodes[type],
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) =>
            typeof d === 'number'
              ? onnx.TensorShapeProto.Dimension.create({ dimValue: d })
              : onnx.TensorShapeProto.Dimension.create({ dimParam: d }),
          ),
        }),
      }),
    }),
  });
}

function attribute(name: string, value: AttributeValue): InstanceType<typeof onnx.AttributeProto> {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') {
    return Number.isInteger(value)
      ? onnx.AttributeProto.create({ name, type: T.INT, i: value })
      : onnx.AttributeProto.create({ name, type: T.FLOAT, f: value });
  }
  if (typeof value === 'string')
    return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(value) });
  if (Array.isArray(value)) return onnx.AttributeProto.create({ name, type: T.INTS, ints: value });
  if (value instanceof Float32Array)
    return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: Array.from(value) });
  if ('float' in value) return onnx.AttributeProto.create({ name, type: T.FLOAT, f: value.float });
  if ('floats' in value) return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: value.floats });
  return onnx.AttributeProto.create({ name, type: T.GRAPH, g: value.graph.toGraph() });
}
