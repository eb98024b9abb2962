/**
 * The ONNX Runtime session wrapper — with `onnx-builder.ts`, the only code that knows ORT.
 * Callers pass and receive plain typed arrays with their dims.
 */
import { cpus } from 'node:os';
import * as ort from 'onnxruntime-node';

/** A tensor as plain data: a typed array and its dims (row-major). */
export interface TensorData {
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array;
  dims: readonly number[];
}

/** Options of `EngineSession.create`. */
export interface EngineSessionOptions {
  /** ORT intra-op threads; default: the machine's core count. */
  threads?: number;
  /**
   * Let ORT's idle threads spin; default false when `threads` is 1 or several sessions share
   * the cores, true otherwise. Spinning sessions sharing cores fight each other.
   */
  spinning?: boolean;
  /** Graph optimisation level; default 'all'. */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Write ORT's per-node profile (Chrome trace JSON) to `<profile>_<timestamp>.json` when
   * `endProfiling()` is called; default off. For benchmarks.
   */
  profile?: string;
}

/** An ONNX model loaded into ORT, ready to run many times. Call `dispose()` when done. */
export class EngineSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    /** Input names, in the model's order. */
    readonly inputNames: readonly string[],
    /** Output names, in the model's order. */
    readonly outputNames: readonly string[],
  ) {}

  /** Loads a model from bytes or a file path. */
  static async create(
    model: Uint8Array | string,
    options: EngineSessionOptions = {},
  ): Promise<EngineSession> {
    const threads = options.threads ?? defaultThreads();
    const spinning = options.spinning ?? threads > 1;
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: options.optimization ?? 'all',
      executionMode: 'sequential',
      extra: { session: { 'intra_op.allow_spinning': spinning ? '1' : '0' } },
      ...(options.profile === undefined ? {} : { enableProfiling: true, profileFilePrefix: options.profile }),
    };
    const session =
      typeof model === 'string'
        ? await ort.InferenceSession.create(model, sessionOptions)
        : await ort.InferenceSession.create(model, sessionOptions);
    return new EngineSession(session, session.inputNames, session.outputNames);
  }

  /** Runs the model; `fetches` limits the outputs computed (default: all). */
  async run(
    feeds: Record<string, TensorData>,
    fetches?: readonly string[],
  ): Promise<Record<string, TensorData>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, tensor] of Object.entries(feeds)) ortFeeds[name] = toOrt(tensor);
    const results = fetches
      ? await this.session.run(ortFeeds, [...fetches])
      : await this.session.run(ortFeeds);
    const out: Record<string, TensorData> = {};
    for (const [name, tensor] of Object.entries(results)) {
      out[name] = { data: tensor.data as TensorData['data'], dims: tensor.dims };
    }
    return out;
  }

  /**
   * Runs the model with the outputs named in `into` written into the caller's arrays (ORT
   * allocates nothing for them and JavaScript receives no copy); the outputs named in `fetches`
   * are returned as `run` returns them. For loops that run one model thousands of times.
   */
  async runInto(
    feeds: Record<string, TensorData>,
    into: Record<string, TensorData>,
    fetches: readonly string[] = [],
  ): Promise<Record<string, TensorData>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, tensor] of Object.entries(feeds)) ortFeeds[name] = toOrt(tensor);
    const ortFetches: Record<string, ort.Tensor | null> = {};
    for (const [name, tensor] of Object.entries(into)) ortFetches[name] = toOrt(tensor);
    for (const name of fetches) ortFetches[name] = null;
    const results = await this.session.run(ortFeeds, ortFetches);
    const out: Record<string, TensorData> = {};
    for (const name of fetches) {
      const tensor = results[name]!;
      out[name] = { data: tensor.data as TensorData['data'], dims: tensor.dims };
    }
    return out;
  }

  /** Stops profiling and writes the profile file (see `EngineSessionOptions.profile`). */
  endProfiling(): void {
    this.session.endProfiling();
  }

  /** Releases the native session. */
  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** The default ORT thread count: one per core. */
export function defaultThreads(): number {
  return Math.max(1, cpus().length);
}

function toOrt(tensor: TensorData): ort.Tensor {
  const dims = [...tensor.dims];
  const { data } = tensor;
  if (data instanceof Float32Array) return new ort.Tensor('float32', data, dims);
  if (data instanceof Int32Array) return new ort.Tensor('int32', data, dims);
  if (data instanceof BigInt64Array) return new ort.Tensor('int64', data, dims);
  return new ort.Tensor('uint8', data, dims);
}
