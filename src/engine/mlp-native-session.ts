/**
 * The native trainer. Per mini-batch, one ORT run (`mlp-gradient-model.ts`) computes the forward
 * pass, the loss, the head's gradient and the error at the hidden units' inputs [H, b]; then the
 * native kernel (`native/fused_adam.cc`) computes w1's gradient inside its Adam pass
 * (`gradAdamStep`) and applies Adam to the head (`adamStep`). Why w1's gradient is not an ORT
 * output: a [300 × 3072] output costs ~0.7 ms per step in onnxruntime-node's copy to JavaScript,
 * and the fused pass is faster than ORT's Gemm + that copy + a separate Adam pass at every batch
 * size of the grid (measured per step, 300 × 3072, one thread: 6.6 against 7.0 ms at batch 128,
 * the closest).
 *
 * Why not the all-in-ORT loop (`mlp-training-session.ts`): there Adam is ~9 element-wise ORT
 * passes over every parameter per step, which at batch 32 cost about 3× the matrix products.
 * Results are deterministic for the same inputs and thread count.
 */
import { ArgumentError } from '../errors.js';
import { adamConstants } from './adam-update.js';
import { buildMlpGradientModel, buildMlpPredictModel } from './mlp-gradient-model.js';
import { headLength } from './mlp-graph-parts.js';
import type { MlpParams } from './mlp-layers.js';
import { checkNetwork, checkOrders, checkRows, packHead, unpackHead } from './mlp-state.js';
import type {
  EpochChunk,
  EpochChunkResult,
  MlpTrainingEngine,
  MlpTrainingEngineOptions,
  TrainingState,
} from './mlp-training-engine.js';
import type { MlpTrainingModelOptions } from './mlp-training-model.js';
import type { NativeKernel } from './native-kernel.js';
import { defaultThreads, EngineSession, type TensorData } from './session.js';

/** Default rows per predict call (see `predictRows`). */
const EVAL_ROWS = 4096;

/** Rows fed once: all of x, the labels as int64. */
interface Data {
  x: Float32Array;
  y: BigInt64Array;
}

/** See the file comment. Call `dispose()` when done. */
export class NativeMlpTrainingSession implements MlpTrainingEngine {
  readonly kind = 'native';
  private data: Data | undefined;
  /** The batch's rows and labels, and what ORT writes: the hidden error, the head's gradient. */
  private readonly xBatch: Float32Array;
  private readonly yBatch: BigInt64Array;
  private readonly dHidden: Float32Array;
  private readonly gradHead: Float32Array;

  private constructor(
    private readonly kernel: NativeKernel,
    private readonly gradient: EngineSession,
    private readonly predict: EngineSession,
    private readonly threads: number,
    private readonly evalRows: number,
    readonly options: MlpTrainingModelOptions,
  ) {
    const { batch, inputDim, hidden } = options;
    this.xBatch = new Float32Array(batch * inputDim);
    this.yBatch = new BigInt64Array(batch);
    this.dHidden = new Float32Array(hidden * batch);
    this.gradHead = new Float32Array(headLength(options));
  }

  /** Builds and loads the gradient and predict graphs. */
  static async create(
    kernel: NativeKernel,
    options: MlpTrainingEngineOptions,
  ): Promise<NativeMlpTrainingSession> {
    const { threads = defaultThreads(), profile, spinning, engine: _engine, evalRows, ...model } = options;
    // Spinning ORT threads would compete with the kernel's helper thread between runs.
    const sessionOptions = {
      threads,
      spinning: spinning ?? false,
      ...(profile === undefined ? {} : { profile }),
    };
    const gradient = await EngineSession.create(buildMlpGradientModel(model), sessionOptions);
    const predict = await EngineSession.create(buildMlpPredictModel(model), sessionOptions);
    return new NativeMlpTrainingSession(kernel, gradient, predict, threads, evalRows ?? EVAL_ROWS, model);
  }

  setData(x: Float32Array, labels: Int32Array): void {
    checkRows(this.options, x, labels);
    this.data = { x, y: BigInt64Array.from(labels, (v) => BigInt(v)) };
  }

  initialState(params: MlpParams): TrainingState {
    checkNetwork(this.options, params);
    const head = packHead(params);
    const w1 = params.w1.slice();
    const zeros = (): Float32Array[] => [new Float32Array(w1.length), new Float32Array(head.length)];
    return { tensors: [w1, head, ...zeros(), ...zeros()], steps: 0 };
  }

  params(state: TrainingState): MlpParams {
    const { inputDim, hidden, classes } = this.options;
    const [w1, b1, w2, b2] = this.unpack(state, 0);
    return { inputDim, hidden, classes, w1: w1!, b1: b1!, w2: w2!, b2: b2! };
  }

  moments(state: TrainingState): { m: Float32Array[]; v: Float32Array[] } {
    return { m: this.unpack(state, 2), v: this.unpack(state, 4) };
  }

  /** Copies of w1, b1, w2, b2 from the w1 and head tensors at `offset`. */
  private unpack(state: TrainingState, offset: number): Float32Array[] {
    return [state.tensors[offset]!.slice(), ...unpackHead(this.options, state.tensors[offset + 1]!)];
  }

  async run(chunk: EpochChunk): Promise<EpochChunkResult> {
    const data = this.data;
    if (!data) throw new ArgumentError('NativeMlpTrainingSession.run: call setData first');
    const { trainCount: N, batch: B, inputDim: D, hidden: H, rowCount } = this.options;
    const epochs = chunk.evaluate.length;
    checkOrders(this.options, epochs, chunk.orders);
    const { beta1, beta2, eps } = adamConstants(this.options.adam ?? {});
    // The caller's state stays valid: train copies of it.
    const [w1, head, mW1, mHead, vW1, vHead] = chunk.state.tensors.map((t) => t.slice()) as Float32Array[];
    const params = { w1: { data: w1!, dims: [H, D] }, head: { data: head!, dims: [head!.length] } };
    const gradHead = { data: this.gradHead, dims: [this.gradHead.length] };
    const loss = new Float32Array(epochs);
    const predictions = new BigInt64Array(epochs * rowCount).fill(-1n);
    let step = chunk.state.steps;
    for (let e = 0; e < epochs; e++) {
      let lossSum = 0;
      for (let start = 0; start < N; start += B) {
        const rows = Math.min(B, N - start);
        this.gather(data, chunk.orders, e * N + start, rows);
        const x = rows === B ? this.xBatch : this.xBatch.subarray(0, rows * D);
        const dHidden = rows === B ? this.dHidden : this.dHidden.subarray(0, H * rows);
        const batch: Record<string, TensorData> = {
          x: { data: x, dims: [rows, D] },
          y: { data: rows === B ? this.yBatch : this.yBatch.subarray(0, rows), dims: [rows] },
          ...params,
        };
        const into = { d_hidden: { data: dHidden, dims: [H, rows] }, grad_head: gradHead };
        const out = await this.gradient.runInto(batch, into, ['loss_sum']);
        lossSum += (out.loss_sum!.data as Float32Array)[0]!;
        step++;
        // PyTorch's per-step scalars, in float64 as Python computes them.
        const stepSize = chunk.lr / (1 - beta1 ** step);
        const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
        const adam = [stepSize, bc2Sqrt, beta1, beta2, eps] as const;
        this.kernel.gradAdamStep(w1!, mW1!, vW1!, dHidden, x, rows, D, ...adam, this.threads);
        this.kernel.adamStep(head!, mHead!, vHead!, this.gradHead, ...adam, 1);
      }
      loss[e] = lossSum / N;
      if (chunk.evaluate[e])
        await this.predictRows(data, params, predictions.subarray(e * rowCount, (e + 1) * rowCount));
    }
    return { state: { tensors: [w1!, head!, mW1!, mHead!, vW1!, vHead!], steps: step }, loss, predictions };
  }

  /**
   * Predicts every row into `into`, `evalRows` at a time: the hidden layer of all rows at once
   * would make ORT's memory arena hold [H × rows] floats per session (~64 MB at 53,000 rows).
   */
  private async predictRows(
    data: Data,
    params: Record<'w1' | 'head', TensorData>,
    into: BigInt64Array,
  ): Promise<void> {
    const D = this.options.inputDim;
    const rows = into.length;
    for (let first = 0; first < rows; first += this.evalRows) {
      const count = Math.min(this.evalRows, rows - first);
      const x = { data: data.x.subarray(first * D, (first + count) * D), dims: [count, D] };
      const out = await this.predict.run({ x, ...params });
      into.set(out.predictions!.data as BigInt64Array, first);
    }
  }

  /** Copies `rows` training rows, in the order's entries from `from`, into the batch arrays. */
  private gather(data: Data, orders: BigInt64Array, from: number, rows: number): void {
    const D = this.options.inputDim;
    for (let r = 0; r < rows; r++) {
      const row = Number(orders[from + r]!);
      this.xBatch.set(data.x.subarray(row * D, (row + 1) * D), r * D);
      this.yBatch[r] = data.y[row]!;
    }
  }

  endProfiling(): void {
    this.gradient.endProfiling();
  }

  async dispose(): Promise<void> {
    await this.gradient.dispose();
    await this.predict.dispose();
  }
}
