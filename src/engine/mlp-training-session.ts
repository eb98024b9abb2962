/**
 * The all-in-ORT trainer: the training graph (`mlp-training-model.ts`) behind the trainer
 * interface (`mlp-training-engine.ts`). Set the data once, then run chunks of epochs, each from
 * the state the previous chunk returned; parameters enter and leave as `MlpParams`, the
 * optimiser state in between is opaque. Needs nothing but onnxruntime-node.
 */
import { ArgumentError } from '../errors.js';
import { adamSchedule, secondMomentScale } from './adam-update.js';
import type { MlpParams } from './mlp-layers.js';
import { checkNetwork, checkOrders, checkRows, packHead, unpackHead } from './mlp-state.js';
import type {
  EpochChunk,
  EpochChunkResult,
  MlpTrainingEngine,
  MlpTrainingEngineOptions,
  TrainingState,
} from './mlp-training-engine.js';
import {
  buildMlpTrainingModel,
  type MlpTrainingModelOptions,
  stateDims,
  stateNames,
  stepsPerEpoch,
  w1Blocks,
} from './mlp-training-model.js';
import { EngineSession, type TensorData } from './session.js';

/** Options of `MlpTrainingSession.create`. */
export type MlpTrainingSessionOptions = Omit<MlpTrainingEngineOptions, 'engine' | 'evalRows'>;

export type { EpochChunk, EpochChunkResult, TrainingState } from './mlp-training-engine.js';

/** An ORT session running the training graph. Call `dispose()` when done. */
export class MlpTrainingSession implements MlpTrainingEngine {
  readonly kind = 'ort';
  private data: Record<'x' | 'y', TensorData> | undefined;

  private constructor(
    private readonly session: EngineSession,
    /** The sizes the graph was built for. */
    readonly options: MlpTrainingModelOptions,
  ) {}

  /** Builds and loads the training graph. */
  static async create(options: MlpTrainingSessionOptions): Promise<MlpTrainingSession> {
    const { threads, profile, spinning, ...model } = options;
    const session = await EngineSession.create(buildMlpTrainingModel(model), {
      ...(threads === undefined ? {} : { threads }),
      ...(profile === undefined ? {} : { profile }),
      ...(spinning === undefined ? {} : { spinning }),
    });
    return new MlpTrainingSession(session, model);
  }

  /**
   * Sets the rows every chunk uses: `x` [rowCount, D] with the training rows first, and the
   * label of each row. The arrays are fed to ORT as they are, not copied: do not change them.
   */
  setData(x: Float32Array, labels: Int32Array): void {
    checkRows(this.options, x, labels);
    const { rowCount, inputDim } = this.options;
    this.data = {
      x: { data: x, dims: [rowCount, inputDim] },
      y: { data: BigInt64Array.from(labels, (v) => BigInt(v)), dims: [rowCount] },
    };
  }

  /** The state before the first step: the given parameters, zero moments. */
  initialState(params: MlpParams): TrainingState {
    checkNetwork(this.options, params);
    const head = packHead(params);
    const blocks = this.w1Blocks(params.w1);
    const zeros = (): Float32Array[] => [...blocks, head].map((t) => new Float32Array(t.length));
    return { tensors: [...blocks, head, ...zeros(), ...zeros()], steps: 0 };
  }

  /** The parameters held by a state (copies). */
  params(state: TrainingState): MlpParams {
    const { inputDim, hidden, classes } = this.options;
    const [w1, b1, w2, b2] = this.unpack(state, 0);
    return { inputDim, hidden, classes, w1: w1!, b1: b1!, w2: w2!, b2: b2! };
  }

  /**
   * Adam's moments held by a state, as PyTorch stores them (`exp_avg`, `exp_avg_sq`), for
   * w1, b1, w2 and b2 in that order.
   */
  moments(state: TrainingState): { m: Float32Array[]; v: Float32Array[] } {
    const scale = 1 / secondMomentScale(this.options.adam ?? {});
    const n = w1Blocks(this.options).length + 1;
    return { m: this.unpack(state, n), v: this.unpack(state, 2 * n).map((t) => t.map((x) => x * scale)) };
  }

  /** w1's row blocks (copies). */
  private w1Blocks(w1: Float32Array): Float32Array[] {
    const D = this.options.inputDim;
    let first = 0;
    return w1Blocks(this.options).map((rows) => {
      const block = w1.slice(first * D, (first + rows) * D);
      first += rows;
      return block;
    });
  }

  /** Copies of w1, b1, w2, b2 from the w1 blocks and packed head starting at `offset`. */
  private unpack(state: TrainingState, offset: number): Float32Array[] {
    const { hidden: H, inputDim: D } = this.options;
    const blocks = w1Blocks(this.options).length;
    const w1 = new Float32Array(H * D);
    let at = 0;
    for (const block of state.tensors.slice(offset, offset + blocks)) {
      w1.set(block, at);
      at += block.length;
    }
    return [w1, ...unpackHead(this.options, state.tensors[offset + blocks]!)];
  }

  /** Trains the epochs of one chunk. */
  async run(chunk: EpochChunk): Promise<EpochChunkResult> {
    if (!this.data) throw new ArgumentError('MlpTrainingSession.run: call setData first');
    const { trainCount, batch } = this.options;
    const epochs = chunk.evaluate.length;
    const steps = stepsPerEpoch(trainCount, batch);
    checkOrders(this.options, epochs, chunk.orders);
    const feeds: Record<string, TensorData> = {
      ...this.data,
      perm: { data: chunk.orders, dims: [epochs, trainCount] },
      schedule: {
        data: adamSchedule({
          ...this.options.adam,
          lr: chunk.lr,
          firstStep: chunk.state.steps + 1,
          steps: epochs * steps,
        }),
        dims: [epochs, steps, 2],
      },
      evaluate: { data: BigInt64Array.from(chunk.evaluate, (e) => (e ? 1n : 0n)), dims: [epochs] },
    };
    const dims = stateDims(this.options);
    const names = stateNames(this.options);
    for (const [i, name] of names.entries()) feeds[name] = { data: chunk.state.tensors[i]!, dims: dims[i]! };
    const out = await this.session.run(feeds);
    return {
      state: {
        tensors: names.map((name) => out[`next_${name}`]!.data as Float32Array),
        steps: chunk.state.steps + epochs * steps,
      },
      loss: out.loss!.data as Float32Array,
      predictions: out.predictions!.data as BigInt64Array,
    };
  }

  /** Stops ORT profiling and writes the profile (when created with `profile`). */
  endProfiling(): void {
    this.session.endProfiling();
  }

  /** Releases the ORT session. */
  async dispose(): Promise<void> {
    await this.session.dispose();
  }
}
