/**
 * Reading and cutting existing ONNX models: list a model's inputs, outputs and nodes, and turn
 * any intermediate tensor into the model's output ("tapping" a layer) while dropping every node
 * and weight the tapped tensors do not depend on. Only `src/engine/` knows the ONNX protobuf;
 * callers see plain objects.
 */
import onnxProto from 'onnx-proto';
import { UserError } from '../errors.js';
import type { Dim, ElementType } from './onnx-builder.js';

const { onnx } = onnxProto;
type ModelProto = InstanceType<typeof onnx.ModelProto>;
type GraphProto = onnxProto.onnx.IGraphProto;
type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** A graph input or output: its name, element type and dims (undefined when not declared). */
export interface TensorInfo {
  name: string;
  /** Element type, or `other` for types facelab does not feed (float16, strings…). */
  type: ElementType | 'other';
  dims: Dim[] | undefined;
}

/** One operator node as the graph lists it (ONNX requires topological order). */
export interface NodeInfo {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
}

/** What a model holds, without its weights. */
export interface ModelSummary {
  /** Inputs fed at run time (initializers that old exporters also list as inputs are left out). */
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  nodes: NodeInfo[];
  /** Dims of each weight (initializer), by name. */
  initializers: Record<string, number[]>;
  /** Opset of the default (`ai.onnx`) domain. */
  opset: number;
}

/** Options of `tapModel`. */
export interface TapOptions {
  /** Tensors that become the model's outputs, in this order (graph outputs or intermediate values). */
  outputs: readonly string[];
  /**
   * Name given to the leading dimension of every input when it is a fixed number, so batches of
   * any size can be fed (exports often fix it at 1). `false` keeps the declared dims. Default 'batch'.
   */
  batchDim?: string | false;
  /** The model's file (or what it is), named in error messages. Default 'the model'. */
  source?: string;
}

const typeNames = new Map<number, ElementType>([
  [onnx.TensorProto.DataType.FLOAT, 'float32'],
  [onnx.TensorProto.DataType.INT64, 'int64'],
  [onnx.TensorProto.DataType.INT32, 'int32'],
  [onnx.TensorProto.DataType.UINT8, 'uint8'],
  [onnx.TensorProto.DataType.BOOL, 'bool'],
]);

/**
 * Lists the inputs, outputs, nodes and weight shapes of an ONNX model. `source` (the model's
 * file) is named in the `UserError` thrown for bytes that are not a usable ONNX model.
 */
export function describeModel(bytes: Uint8Array, source = DEFAULT_SOURCE): ModelSummary {
  const model = decode(bytes, source);
  const graph = model.graph!;
  const initializers: Record<string, number[]> = {};
  for (const init of graph.initializer ?? []) initializers[init.name ?? ''] = (init.dims ?? []).map(Number);
  return {
    inputs: (graph.input ?? []).filter((v) => !(v.name! in initializers)).map(tensorInfo),
    outputs: (graph.output ?? []).map(tensorInfo),
    nodes: (graph.node ?? []).map((n) => ({
      opType: n.opType ?? '',
      name: n.name ?? '',
      inputs: [...(n.input ?? [])],
      outputs: [...(n.output ?? [])],
    })),
    initializers,
    opset: defaultOpset(model),
  };
}

/**
 * Returns a copy of the model whose outputs are `options.outputs`, keeping only the nodes,
 * weights and inputs they depend on (tapping pool5 of AlexNet drops the 224 MB classifier).
 * Throws a `UserError` naming the tensor when one is not produced by the graph.
 *
 * @example
 * const bytes = tapModel(await readFile('alexnet.onnx'), { outputs: ['/features/features.12/MaxPool_output_0'] });
 */
export function tapModel(bytes: Uint8Array, options: TapOptions): Uint8Array {
  const source = options.source ?? DEFAULT_SOURCE;
  const model = decode(bytes, source);
  const graph = model.graph!;
  if (options.outputs.length === 0) throw new UserError('tapModel: no output tensors were asked for');
  const known = knownTypes(graph);
  const produced = new Set<string>([...(graph.input ?? []).map((v) => v.name!)]);
  for (const node of graph.node ?? []) for (const out of node.output ?? []) produced.add(out);
  for (const init of graph.initializer ?? []) produced.add(init.name!);
  for (const name of options.outputs) {
    if (!produced.has(name)) {
      const sample = [...produced].slice(0, 8).join(', ');
      throw new UserError(`${source} has no tensor named '${name}' (tensors include: ${sample}…)`);
    }
  }

  const needed = new Set(options.outputs);
  const keptNodes: typeof graph.node = [];
  const nodes = graph.node ?? [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    if (!(node.output ?? []).some((o) => needed.has(o))) continue;
    keptNodes.push(node);
    for (const input of node.input ?? []) if (input !== '') needed.add(input);
    for (const attr of node.attribute ?? []) {
      // Control-flow subgraphs may read outer values without listing them as node inputs.
      for (const sub of [attr.g, ...(attr.graphs ?? [])])
        if (sub) for (const name of subgraphReads(sub)) needed.add(name);
    }
  }
  keptNodes.reverse();

  const batchDim = options.batchDim ?? 'batch';
  const inputs = (graph.input ?? []).filter((v) => needed.has(v.name!));
  if (batchDim !== false) for (const input of inputs) relaxLeadingDim(input, batchDim);
  graph.node = keptNodes;
  graph.input = inputs;
  graph.initializer = (graph.initializer ?? []).filter((t) => needed.has(t.name!));
  // Declared intermediate shapes may pin the old batch size; ORT re-infers them.
  graph.valueInfo = [];
  graph.output = options.outputs.map((name) =>
    onnx.ValueInfoProto.create({
      name,
      type: onnx.TypeProto.create({
        tensorType: onnx.TypeProto.Tensor.create({
          elemType: known.get(name) ?? onnx.TensorProto.DataType.FLOAT,
        }),
      }),
    }),
  );
  return onnx.ModelProto.encode(model).finish();
}

/**
 * The values of one float32 weight (initializer) of a model, row-major, with its dims; for
 * inspecting weights and checking them in tests. Throws a `UserError`, naming `source` (the
 * model's file), when there is no such float32 weight.
 */
export function readInitializer(
  bytes: Uint8Array,
  name: string,
  source = DEFAULT_SOURCE,
): { data: Float32Array; dims: number[] } {
  const graph = decode(bytes, source).graph!;
  const init = (graph.initializer ?? []).find((t) => t.name === name);
  if (!init || init.dataType !== onnx.TensorProto.DataType.FLOAT) {
    throw new UserError(`${source} has no float32 weight named '${name}'`);
  }
  const dims = (init.dims ?? []).map(Number);
  const raw = init.rawData;
  // Copy: the raw bytes are a view into the model at an arbitrary (unaligned) offset.
  const data =
    raw && raw.length > 0
      ? new Float32Array(new Uint8Array(raw).buffer)
      : Float32Array.from(init.floatData ?? []);
  return { data, dims };
}

/** How errors name a model whose file the caller did not give. */
const DEFAULT_SOURCE = 'the model';

function decode(bytes: Uint8Array, source: string): ModelProto {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new UserError(
      `${source} is not an ONNX model (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (!model.graph) throw new UserError(`${source} is not an ONNX model (no graph)`);
  const external = (model.graph.initializer ?? []).find(
    (t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL,
  );
  if (external) {
    throw new UserError(
      `${source} keeps weight '${external.name}' in an external data file; re-export it as one .onnx file`,
    );
  }
  return model;
}

function defaultOpset(model: ModelProto): number {
  const entry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  return Number(entry?.version ?? 0);
}

function tensorInfo(value: ValueInfoProto): TensorInfo {
  const tensor = value.type?.tensorType;
  const type = typeNames.get(tensor?.elemType ?? -1) ?? 'other';
  const dims = tensor?.shape?.dim?.map((d): Dim => (d.dimParam ? d.dimParam : Number(d.dimValue ?? 0)));
  return { name: value.name ?? '', type, dims };
}

/** Element types declared anywhere in the graph, by tensor name. */
function knownTypes(graph: GraphProto): Map<string, number> {
  const types = new Map<string, number>();
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) {
    const elemType = v.type?.tensorType?.elemType;
    if (v.name && elemType) types.set(v.name, elemType);
  }
  for (const init of graph.initializer ?? [])
    if (init.name && init.dataType) types.set(init.name, init.dataType);
  return types;
}

function relaxLeadingDim(value: ValueInfoProto, name: string): void {
  const first = value.type?.tensorType?.shape?.dim?.[0];
  if (first && !first.dimParam) {
    // Deleting the own property makes protobufjs skip the field when encoding.
    delete first.dimValue;
    first.dimParam = name;
  }
}

/** Every value name a subgraph (and its nested subgraphs) reads. */
function subgraphReads(graph: GraphProto): string[] {
  const names: string[] = [];
  for (const node of graph.node ?? []) {
    names.push(...(node.input ?? []).filter((n) => n !== ''));
    for (const attr of node.attribute ?? []) {
      for (const sub of [attr.g, ...(attr.graphs ?? [])]) if (sub) names.push(...subgraphReads(sub));
    }
  }
  return names;
}
