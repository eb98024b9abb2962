/**
 * The training graph of the one-hidden-layer classifier: ONE ORT run trains any number of epochs.
 *
 *   Loop over epochs e:
 *     Loop over mini-batches i of epoch e (the last one may be partial, as in PyTorch):
 *       rows = perm[e][i·B … min((i+1)·B, N))        Slice + Gather from the resident x
 *       forward, softmax cross-entropy (batch mean), backward, Adam (`adam-update.ts`)
 *     if evaluate[e]: predictions of every row of x  (train, validation and test rows)
 *
 * Everything large stays inside ORT between steps: the data is fed once, parameters and Adam
 * moments are loop-carried tensors, and JavaScript receives only the final state, the mean
 * training loss per epoch and the predicted class of every row after each evaluated epoch.
 * Shuffles and Adam's per-step scalars are computed in JavaScript (seeded, float64) and fed in.
 *
 * Inputs:  x [rows, D] f32 (the first N rows are the training set), y [rows] i64,
 *          perm [E, N] i64, schedule [E, S, 2] f32 (`adamSchedule`), evaluate [E] i64 (0 or 1),
 *          then the state: w1 b1 w2 b2, m_w1 … m_b2, v_w1 … v_b2.
 * Outputs: the new state (`next_` + name), loss [E] f32, predictions [E, rows] i64
 *          (−1 in epochs not evaluated).
 */
import {
  type AdamGraphConstants,
  type AdamOptions,
  adamGraphConstants,
  emitAdamUpdate,
} from './adam-update.js';
import { emitForward, type MlpParamNames } from './mlp-layers.js';
import { GraphBuilder } from './onnx-builder.js';

/** Sizes fixed when the graph is built (one graph per batch size and network shape). */
export interface MlpTrainingModelOptions {
  /** Input size D. */
  inputDim: number;
  /** Hidden units H. */
  hidden: number;
  /** Classes K. */
  classes: number;
  /** Training rows N (the first N rows of `x`). */
  trainCount: number;
  /** All rows of `x` (training, then the rows evaluated only). */
  rowCount: number;
  /** Mini-batch size B. */
  batch: number;
  /** Adam's β1, β2, ε (the learning rate is chosen per run). Default PyTorch's. */
  adam?: Omit<AdamOptions, 'lr'>;
}

/**
 * Names of the 6 state tensors, in feed order: the first layer's weights `w1` [H, D] and the
 * `head` — b1, w2 and b2 packed into one flat tensor [H + K·H + K] — then their Adam moments.
 * Packing the three small parameters gives them one Adam update of 9 nodes instead of three,
 * which matters because a node costs several microseconds however small its tensors.
 */
export const STATE_NAMES: readonly string[] = ['w1', 'head', 'm_w1', 'm_head', 'v_w1', 'v_head'];

/** Length of the packed head [b1 | w2 | b2]. */
export function headLength(o: Pick<MlpTrainingModelOptions, 'hidden' | 'classes'>): number {
  return o.hidden + o.classes * o.hidden + o.classes;
}

/** Dims of the state tensors, in `STATE_NAMES` order. */
export function stateDims(o: Pick<MlpTrainingModelOptions, 'inputDim' | 'hidden' | 'classes'>): number[][] {
  const pair = [[o.hidden, o.inputDim], [headLength(o)]];
  return [...pair, ...pair, ...pair];
}

/** Mini-batches per epoch: ⌈N / B⌉. */
export function stepsPerEpoch(trainCount: number, batch: number): number {
  return Math.ceil(trainCount / batch);
}

/** Builds the training model and returns its bytes. */
export function buildMlpTrainingModel(options: MlpTrainingModelOptions): Uint8Array {
  const { inputDim: D, rowCount, batch } = options;
  const dims = stateDims(options);
  const g = new GraphBuilder('mlp_train');
  g.input('x', 'float32', [rowCount, D]);
  g.input('y', 'int64', [rowCount]);
  const perm = g.input('perm', 'int64', ['epochs', options.trainCount]);
  g.input('schedule', 'float32', ['epochs', stepsPerEpoch(options.trainCount, batch), 2]);
  g.input('evaluate', 'int64', ['epochs']);
  for (const [i, name] of STATE_NAMES.entries()) g.input(name, 'float32', dims[i]!);

  const epochs = g.op('Gather', [g.op('Shape', [perm]), g.op('Constant', [], { value_int: 0 })]);
  const outs = g.ops(
    'Loop',
    [epochs, '', ...STATE_NAMES],
    { body: { graph: epochBody(options, dims) } },
    STATE_NAMES.length + 2,
  );
  for (const [i, name] of STATE_NAMES.entries()) g.output(outs[i]!, 'float32', dims[i]!, `next_${name}`);
  g.output(outs[STATE_NAMES.length]!, 'float32', ['epochs'], 'loss');
  g.output(outs[STATE_NAMES.length + 1]!, 'int64', ['epochs', rowCount], 'predictions');
  return g.toBytes();
}

/** Declares the Loop body inputs (iteration, condition, state) and returns the state names. */
function bodyInputs(
  g: GraphBuilder,
  prefix: string,
  dims: number[][],
): { iteration: string; cond: string; state: string[] } {
  const iteration = g.input(`${prefix}iteration`, 'int64', []);
  const cond = g.input(`${prefix}cond`, 'bool', []);
  const state = STATE_NAMES.map((name, i) => g.input(`${prefix}${name}`, 'float32', dims[i]!));
  return { iteration, cond, state };
}

function epochBody(options: MlpTrainingModelOptions, dims: number[][]): GraphBuilder {
  const g = new GraphBuilder('epoch', 'e_');
  const { iteration, cond, state } = bodyInputs(g, 'e_', dims);
  const perm = g.op('Gather', ['perm', iteration], { axis: 0 });
  const schedule = g.op('Gather', ['schedule', iteration], { axis: 0 });
  const steps = g.op('Constant', [], { value_int: stepsPerEpoch(options.trainCount, options.batch) });
  const inner = g.ops(
    'Loop',
    [steps, '', ...state],
    { body: { graph: stepBody(options, dims, perm, schedule) } },
    STATE_NAMES.length + 1,
  );
  const next = inner.slice(0, STATE_NAMES.length);
  const loss = g.op('Div', [
    g.op('ReduceSum', [inner[STATE_NAMES.length]!], { keepdims: 0 }),
    g.scalar(options.trainCount),
  ]);
  const evaluate = g.op('Cast', [g.op('Gather', ['evaluate', iteration], { axis: 0 })], { to: 9 });
  const predictions = g.op('If', [evaluate], {
    then_branch: { graph: predictBranch(options, next) },
    else_branch: { graph: skipBranch(options) },
  });
  g.output(g.op('Identity', [cond]), 'bool', []);
  for (const [i, name] of next.entries()) g.output(name, 'float32', dims[i]!);
  g.output(loss, 'float32', []);
  g.output(predictions, 'int64', [options.rowCount]);
  return g;
}

/** Views of b1, w2 and b2 in a packed head (Slice copies only K·H + H + K floats). */
function unpackHead(g: GraphBuilder, w1: string, head: string, o: MlpTrainingModelOptions): MlpParamNames {
  const { hidden: H, classes: K } = o;
  const part = (from: number, to: number): string =>
    g.op('Slice', [
      head,
      g.op('Constant', [], { value_ints: [from] }),
      g.op('Constant', [], { value_ints: [to] }),
    ]);
  return {
    w1,
    b1: part(0, H),
    w2: g.op('Reshape', [part(H, H + K * H), g.op('Constant', [], { value_ints: [K, H] })]),
    b2: part(H + K * H, H + K * H + K),
  };
}

function predictBranch(options: MlpTrainingModelOptions, state: string[]): GraphBuilder {
  const g = new GraphBuilder('predict', 't_');
  const { logits } = emitForward(g, 'x', unpackHead(g, state[0]!, state[1]!, options));
  g.output(g.op('ArgMax', [logits], { axis: 1, keepdims: 0 }), 'int64', [options.rowCount]);
  return g;
}

function skipBranch(options: MlpTrainingModelOptions): GraphBuilder {
  const g = new GraphBuilder('skip', 'f_');
  const shape = g.op('Constant', [], { value_ints: [options.rowCount] });
  const minusOne = g.op('Constant', [], { value_int: -1 });
  g.output(g.op('Expand', [minusOne, shape]), 'int64', [options.rowCount]);
  return g;
}

function stepBody(
  options: MlpTrainingModelOptions,
  dims: number[][],
  perm: string,
  schedule: string,
): GraphBuilder {
  const { batch, trainCount, classes: K } = options;
  const g = new GraphBuilder('step', 's_');
  const { iteration, cond, state } = bodyInputs(g, 's_', dims);
  const params = unpackHead(g, state[0]!, state[1]!, options);
  const oneDim = g.op('Constant', [], { value_ints: [1] });

  // Rows of this mini-batch: perm[i·B … min(i·B + B, N)).
  const start = g.op('Mul', [iteration, g.op('Constant', [], { value_int: batch })]);
  const end = g.op('Min', [
    g.op('Add', [start, g.op('Constant', [], { value_int: batch })]),
    g.op('Constant', [], { value_int: trainCount }),
  ]);
  const rows = g.op('Slice', [perm, g.op('Reshape', [start, oneDim]), g.op('Reshape', [end, oneDim])]);
  const x = g.op('Gather', ['x', rows], { axis: 0 });
  const y = g.op('Gather', ['y', rows], { axis: 0 });
  const { hiddenT, logits } = emitForward(g, x, params);

  // Softmax cross-entropy, mean over the batch. Every gradient is linear in the output error, so
  // scaling it by (1 − β1) / b here hands Adam (1 − β1)·g everywhere at the cost of a [b, K] Mul.
  const logProb = g.op('LogSoftmax', [logits], { axis: 1 });
  const oneHot = g.op(
    'OneHot',
    [y, g.op('Constant', [], { value_int: K }), g.op('Constant', [], { value_floats: { floats: [0, 1] } })],
    { axis: -1 },
  );
  const lossSum = g.op('Neg', [g.op('ReduceSum', [g.op('Mul', [logProb, oneHot])], { keepdims: 0 })]);
  const rowsF = g.op('Cast', [g.op('Gather', [g.op('Shape', [x]), g.op('Constant', [], { value_int: 0 })])], {
    to: 1,
  });
  const beta1 = options.adam?.beta1 ?? 0.9;
  const errorScale = g.op('Div', [g.scalar(1 - beta1), rowsF]);
  const dLogits = g.op('Mul', [g.op('Sub', [g.op('Exp', [logProb]), oneHot]), errorScale]);

  // Backward in the transposed layout of the forward pass: [H, b] for the hidden layer.
  const gradW2 = g.op('Gemm', [dLogits, hiddenT], { transA: 1, transB: 1 });
  const gradB2 = g.op('ReduceSum', [dLogits, g.op('Constant', [], { value_ints: [0] })], { keepdims: 0 });
  const dHiddenT = g.op('Gemm', [params.w2, dLogits], { transA: 1, transB: 1 });
  const zero = g.scalar(0);
  const dPreT = g.op('Where', [g.op('Greater', [hiddenT, zero]), dHiddenT, zero]);
  const gradW1 = g.op('Gemm', [dPreT, x]);
  const gradB1 = g.op('ReduceSum', [dPreT, g.op('Constant', [], { value_ints: [1] })], { keepdims: 0 });

  const row = g.op('Gather', [schedule, iteration], { axis: 0 });
  const alpha = g.op('Slice', [row, g.op('Constant', [], { value_ints: [0] }), oneDim]);
  const shift = g.op('Slice', [row, oneDim, g.op('Constant', [], { value_ints: [2] })]);
  const constants: AdamGraphConstants = adamGraphConstants(g, options.adam ?? {});
  const flat = g.op('Constant', [], { value_ints: [-1] });
  const gradHead = g.op('Concat', [gradB1, g.op('Reshape', [gradW2, flat]), gradB2], { axis: 0 });
  const updated = [gradW1, gradHead].map((grad, i) =>
    emitAdamUpdate(g, {
      state: { param: state[i]!, m: state[2 + i]!, v: state[4 + i]! },
      scaledGrad: grad,
      dims: dims[i]!,
      alpha,
      shift,
      constants,
    }),
  );
  g.output(g.op('Identity', [cond]), 'bool', []);
  const next = [...updated.map((u) => u.param), ...updated.map((u) => u.m), ...updated.map((u) => u.v)];
  for (const [i, name] of next.entries()) g.output(name, 'float32', dims[i]!);
  g.output(lossSum, 'float32', []);
  return g;
}
