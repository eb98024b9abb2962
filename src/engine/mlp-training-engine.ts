/**
 * The classifier's trainers behind one interface, and the choice between them:
 *
 * - `native` (`mlp-native-session.ts`): ORT computes each mini-batch's gradients, the native
 *   kernel built at install applies Adam in one fused pass — the fast path;
 * - `ort` (`mlp-training-session.ts`): everything inside one ORT run per chunk of epochs, Adam
 *   as ONNX operators — slower, needs nothing but onnxruntime-node.
 *
 * `auto` (the default) takes `native` when the kernel loads and otherwise says once, on stderr,
 * that training runs on ONNX Runtime alone and why.
 */
import { isMainThread } from 'node:worker_threads';
import { InvalidOptionError, UserError } from '../errors.js';
import type { MlpParams } from './mlp-layers.js';
import { NativeMlpTrainingSession } from './mlp-native-session.js';
import type { MlpTrainingModelOptions } from './mlp-training-model.js';
import { MlpTrainingSession } from './mlp-training-session.js';
import { nativeKernel } from './native-kernel.js';

/** Which trainer: see the file comment. */
export type TrainingEngineKind = 'native' | 'ort';

/** Names accepted where a trainer is chosen. */
export const TRAINING_ENGINES = ['auto', 'native', 'ort'] as const;

/** A trainer choice: a kind, or `auto`. */
export type TrainingEngineChoice = (typeof TRAINING_ENGINES)[number];

/** Options of `createMlpTrainingEngine`. */
export interface MlpTrainingEngineOptions extends MlpTrainingModelOptions {
  /** Trainer; default 'auto' (native when built). */
  engine?: TrainingEngineChoice;
  /** ORT intra-op threads (and the native kernel's); default one per core. */
  threads?: number;
  /** ORT profile file prefix (see `EngineSessionOptions.profile`); default off. */
  profile?: string;
  /** Let idle ORT threads spin; default: the trainer's own choice. */
  spinning?: boolean;
  /** Native trainer: rows per predict call when evaluating (bounds ORT's memory). Default 4096. */
  evalRows?: number;
}

/** Parameters and Adam moments between two chunks (opaque to callers; one trainer's own). */
export interface TrainingState {
  /** The trainer's tensors. */
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

/** A loaded trainer for one batch size and network shape. */
export interface MlpTrainingEngine {
  readonly kind: TrainingEngineKind;
  /** The sizes it was built for. */
  readonly options: MlpTrainingModelOptions;
  /**
   * Sets the rows every chunk uses: `x` [rowCount, D] with the training rows first, and the
   * label of each row. The arrays are used as they are, not copied: do not change them.
   */
  setData(x: Float32Array, labels: Int32Array): void;
  /** The state before the first step: the given parameters, zero moments. */
  initialState(params: MlpParams): TrainingState;
  /** The parameters held by a state (copies). */
  params(state: TrainingState): MlpParams;
  /** Adam's moments as PyTorch stores them (`exp_avg`, `exp_avg_sq`) for w1, b1, w2, b2. */
  moments(state: TrainingState): { m: Float32Array[]; v: Float32Array[] };
  /** Trains the epochs of one chunk; the given state stays valid. */
  run(chunk: EpochChunk): Promise<EpochChunkResult>;
  /** Stops ORT profiling and writes the profile (when created with `profile`). */
  endProfiling(): void;
  /** Releases the ORT sessions. */
  dispose(): Promise<void>;
}

let noticeShown = false;

/**
 * The trainer `choice` resolves to here. `auto` without a kernel prints, once per process and
 * only from the main thread, one line on stderr saying why training runs on ORT alone.
 */
export function resolveTrainingEngine(choice: TrainingEngineChoice = 'auto'): TrainingEngineKind {
  if (!TRAINING_ENGINES.includes(choice)) {
    throw new InvalidOptionError('engine', `one of ${TRAINING_ENGINES.join(', ')}`, choice);
  }
  if (choice === 'ort') return 'ort';
  const status = nativeKernel();
  if (status.kernel) return 'native';
  if (choice === 'native') {
    throw new UserError(
      `engine 'native' asked for, but the native training kernel is unavailable: ${status.reason} (build it with \`npm run build:native\`, or use engine 'auto' or 'ort')`,
    );
  }
  if (isMainThread && !noticeShown) {
    noticeShown = true;
    process.stderr.write(
      `facelab: training on ONNX Runtime alone, about 2× slower (the native kernel is unavailable: ${status.reason}; \`npm run build:native\` builds it with the machine's C++ compiler)\n`,
    );
  }
  return 'ort';
}

/** Builds and loads the trainer `options.engine` resolves to. */
export async function createMlpTrainingEngine(options: MlpTrainingEngineOptions): Promise<MlpTrainingEngine> {
  const kind = resolveTrainingEngine(options.engine);
  const { engine: _engine, evalRows, ...rest } = options;
  if (kind === 'native') {
    return NativeMlpTrainingSession.create(nativeKernel().kernel!, {
      ...rest,
      ...(evalRows === undefined ? {} : { evalRows }),
    });
  }
  return MlpTrainingSession.create(rest);
}
