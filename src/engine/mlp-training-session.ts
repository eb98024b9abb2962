/**
 * A loaded training graph (`mlp-training-model.ts`) behind a small typed interface: set the data
 * once, then run chunks of epochs, each from the state the previous chunk returned. Parameters
 * enter and leave as `MlpParams`; the optimiser state in between is opaque.
 */
import { adamSchedule, secondMomentScale } from './adam-update.js';
import { type MlpParams, PARAM_KEYS, paramDims } from './mlp-layers.js';
import {
  buildMlpTrainingModel,
  type MlpTrainingModelOptions,
  STATE_NAMES,
  stepsPerEpoch,
} from './mlp-training-model.js';
import { EngineSession, type TensorData } from './session.js';

/** Options of `MlpTrainingSession.create`. */
export interface MlpTrainingSessionOptions extends MlpTrainingModelOptions {
  /** ORT intra-op threads; default one per core. */
  threads?: number;
}

/** Parameters and Adam moments between two chunks (opaque to callers). */
export interface TrainingState {
  /** The 12 tensors in `STATE_NAMES` order. */
  readonly tensors: readonly Float32Array[];
  /** Adam steps taken so far. */
  readonly steps: number;
}

/** One chunk of epochs to run. */
export interface EpochChunk {
  state: TrainingState;
  /** Row order of each epoch of the chunk, [E × trainCount] row indices in [0, trainCount). */
  orders: BigInt64Array;
  /** Whether to predict every row after each epoch of the chunk; length E. */
  evaluate: readonly boolean[];
  /** Learning rate. */
  lr: number;
}

/** What a chunk returns. */
export interface EpochChunkResult {
  state: TrainingState;
  /** Mean training loss of each epoch (per row, over the epoch's mini-batches). */
  loss: Float32Array;
  /** Predicted class of every row after each epoch, [E × rowCount]; −1 where not evaluated. */
  predictions: BigInt64Array;
}

/** An ORT session running the training graph. Call `dispose()` when done. */
export class MlpTrainingSession {
  private data: Record<'x' | 'y', TensorData> | undefined;

  private constructor(
    private readonly session: EngineSession,
    /** The sizes the graph was built for. */
    readonly options: MlpTrainingModelOptions,
  ) {}

  /** Builds and loads the training graph. */
  static async create(options: MlpTrainingSessionOptions): Promise<MlpTrainingSession> {
    const { threads, ...model } = options;
    const session = await EngineSession.create(
      buildMlpTrainingModel(model),
      threads === undefined ? {} : { threads },
    );
    return new MlpTrainingSession(session, model);
  }

  /**
   * Sets the rows every chunk uses: `x` [rowCount, D] with the training rows first, and the
   * label of each row. The arrays are fed to ORT as they are, not copied: do not change them.
   */
  setData(x: Float32Array, labels: Int32Array): void {
    const { rowCount, inputDim } = this.options;
    if (x.length !== rowCount * inputDim || labels.length !== rowCount) {
      throw new RangeError(
        `Expected ${rowCount} rows of ${inputDim} values and ${rowCount} labels but received ${x.length} values and ${labels.length} labels`,
      );
    }
    this.data = {
      x: { data: x, dims: [rowCount, inputDim] },
      y: { data: BigInt64Array.from(labels, (v) => BigInt(v)), dims: [rowCount] },
    };
  }

  /** The state before the first step: the given parameters, zero moments. */
  initialState(params: MlpParams): TrainingState {
    this.checkShape(params);
    const zeros = PARAM_KEYS.map((k) => new Float32Array(params[k].length));
    return {
      tensors: [...PARAM_KEYS.map((k) => params[k].slice()), ...zeros, ...zeros.map((z) => z.slice())],
      steps: 0,
    };
  }

  /** The parameters held by a state (copies). */
  params(state: TrainingState): MlpParams {
    const { inputDim, hidden, classes } = this.options;
    const [w1, b1, w2, b2] = state.tensors.slice(0, 4).map((t) => t.slice()) as [
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    return { inputDim, hidden, classes, w1, b1, w2, b2 };
  }

  /** Adam's moments held by a state, as PyTorch stores them (`exp_avg`, `exp_avg_sq`). */
  moments(state: TrainingState): { m: Float32Array[]; v: Float32Array[] } {
    const scale = 1 / secondMomentScale(this.options.adam ?? {});
    return {
      m: state.tensors.slice(4, 8).map((t) => t.slice()),
      v: state.tensors.slice(8, 12).map((t) => t.map((x) => x * scale)),
    };
  }

  /** Trains the epochs of one chunk. */
  async run(chunk: EpochChunk): Promise<EpochChunkResult> {
    if (!this.data) throw new Error('MlpTrainingSession.run: call setData first');
    const { trainCount, batch } = this.options;
    const epochs = chunk.evaluate.length;
    const steps = stepsPerEpoch(trainCount, batch);
    if (chunk.orders.length !== epochs * trainCount) {
      throw new RangeError(
        `Expected ${epochs} orders of ${trainCount} rows but received ${chunk.orders.length} indices`,
      );
    }
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
    const dims = paramDims(this.options);
    const stateDims = [...PARAM_KEYS, ...PARAM_KEYS, ...PARAM_KEYS].map((k) => dims[k]);
    STATE_NAMES.forEach((name, i) => {
      feeds[name] = { data: chunk.state.tensors[i]!, dims: stateDims[i]! };
    });
    const out = await this.session.run(feeds);
    return {
      state: {
        tensors: STATE_NAMES.map((name) => out[`next_${name}`]!.data as Float32Array),
        steps: chunk.state.steps + epochs * steps,
      },
      loss: out.loss!.data as Float32Array,
      predictions: out.predictions!.data as BigInt64Array,
    };
  }

  /** Releases the ORT session. */
  async dispose(): Promise<void> {
    await this.session.dispose();
  }

  private checkShape(params: MlpParams): void {
    const { inputDim, hidden, classes } = this.options;
    if (params.inputDim !== inputDim || params.hidden !== hidden || params.classes !== classes) {
      throw new RangeError(
        `Expected parameters of a ${inputDim}→${hidden}→${classes} network but received ${params.inputDim}→${params.hidden}→${params.classes}`,
      );
    }
  }
}
