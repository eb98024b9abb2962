/**
 * The native trainer: every epoch is one call of the native kernel (`native/mlp_epoch.cc`):
 * per mini-batch the forward pass, the loss, the gradients and an exact Adam step, with w1's
 * gradient computed inside its Adam pass and never stored. ONNX Runtime predicts the rows for
 * the accuracies and learning curves (`mlp-predict-model.ts`).
 *
 * Why not ORT for the mini-batches too (as the trainer did until 2026-12): one ORT run per step
 * cost ~0.2–0.3 ms beyond its matrix product, its two-thread forward ran no faster than one
 * thread, and a [300 × 3072] gradient output costs ~0.7 ms in onnxruntime-node's copy to
 * JavaScript. Why not the all-in-ORT loop (`mlp-training-session.ts`): there Adam is ~9
 * element-wise ORT passes over every parameter per step, which at batch 32 cost about 3× the
 * matrix products. Results are deterministic for the same inputs and thread count.
 */
import { ArgumentError } from '../errors.js';
import { adamConstants } from './adam-update.js';
import type { MlpParams } from './mlp-layers.js';
import { buildMlpPredictModel } from './mlp-predict-model.js';
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

/** Rows set once: all of x and the labels. */
interface Data {
  x: Float32Array;
  labels: Int32Array;
}

/** See the file comment. Call `dispose()` when done. */
export class NativeMlpTrainingSession implements MlpTrainingEngine {
  readonly kind = 'native';
  private data: Data | undefined;

  private constructor(
    private readonly kernel: NativeKernel,
    private readonly predict: EngineSession,
    private readonly threads: number,
    private readonly evalRows: number,
    readonly options: MlpTrainingModelOptions,
  ) {}

  /** Builds and loads the predict graph. */
  static async create(
    kernel: NativeKernel,
    options: MlpTrainingEngineOptions,
  ): Promise<NativeMlpTrainingSession> {
    const { threads = defaultThreads(), profile, spinning, engine: _engine, evalRows, ...model } = options;
    // Spinning ORT threads would compete with the kernel's helper thread between predictions.
    const sessionOptions = {
      threads,
      spinning: spinning ?? false,
      ...(profile === undefined ? {} : { profile }),
    };
    const predict = await EngineSession.create(buildMlpPredictModel(model), sessionOptions);
    return new NativeMlpTrainingSession(kernel, predict, threads, evalRows ?? EVAL_ROWS, model);
  }

  setData(x: Float32Array, labels: Int32Array): void {
    checkRows(this.options, x, labels);
    this.data = { x, labels };
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
    const { trainCount: N, batch, inputDim: D, hidden: H, classes, rowCount } = this.options;
    const epochs = chunk.evaluate.length;
    checkOrders(this.options, epochs, chunk.orders);
    const { beta1, beta2, eps } = adamConstants(this.options.adam ?? {});
    // The caller's state stays valid: train copies of it.
    const [w1, head, mW1, mHead, vW1, vHead] = chunk.state.tensors.map((t) => t.slice()) as Float32Array[];
    const params = { w1: { data: w1!, dims: [H, D] }, head: { data: head!, dims: [head!.length] } };
    const orders = Int32Array.from(chunk.orders, Number);
    const loss = new Float32Array(epochs);
    const predictions = new BigInt64Array(epochs * rowCount).fill(-1n);
    let steps = chunk.state.steps;
    for (let e = 0; e < epochs; e++) {
      const lossSum = this.kernel.trainEpoch(
        w1!,
        head!,
        mW1!,
        vW1!,
        mHead!,
        vHead!,
        data.x,
        data.labels,
        orders.subarray(e * N, (e + 1) * N),
        batch,
        D,
        classes,
        chunk.lr,
        beta1,
        beta2,
        eps,
        steps,
        this.threads,
      );
      steps += Math.ceil(N / batch);
      loss[e] = lossSum / N;
      // The epoch ran synchronously: let the event loop handle messages (a stop, progress).
      await new Promise((resolve) => setImmediate(resolve));
      if (chunk.evaluate[e])
        await this.predictRows(data, params, predictions.subarray(e * rowCount, (e + 1) * rowCount));
    }
    return { state: { tensors: [w1!, head!, mW1!, mHead!, vW1!, vHead!], steps }, loss, predictions };
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

  endProfiling(): void {
    this.predict.endProfiling();
  }

  async dispose(): Promise<void> {
    await this.predict.dispose();
  }
}
