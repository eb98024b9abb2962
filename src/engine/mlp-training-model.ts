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
 * (The alternative, one ORT run per step, copies parameters and both moments in and out of
 * ORT at every step.) Shuffles and Adam's per-step scalars are computed in JavaScript (seeded,
 * float64) and fed in. Results are bit-identical for the same inputs and thread count; with
 * small layers MLAS may split a Gemm's inner dimension across threads, so another thread count
 * can change the last bits.
 *
 * Inputs:  x [rows, D] f32 (the first N rows are the training set), y [rows] i64,
 *          perm [E, N] i64, schedule [E, S, 2] f32 (`adamSchedule`), evaluate [E] i64 (0 or 1),
 *          then the state (`stateNames`): w1 blocks, head, their m, their ṽ.
 * Outputs: the new state (`next_` + name), loss [E] f32, predictions [E, rows] i64
 *          (−1 in epochs not evaluated).
 */
import {
  type AdamGraphConstants,
  type AdamOptions,
  adamGraphConstants,
  emitAdamUpdate,
} from './adam-update.js';
import {
  type BlockParams,
  emitGradients,
  forward,
  headLength,
  paramViews,
  w1Blocks,
} from './mlp-graph-parts.js';
import { GraphBuilder } from './onnx-builder.js';

export { defaultBlocks, headLength, w1Blocks } from './mlp-graph-parts.js';

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
  /** Row blocks of w1, each its own tensor with its own Adam update. Default `defaultBlocks`. */
  blocks?: number;
}

/**
 * Names of the state tensors, in feed order: the first layer's weights in row blocks `w1_<k>`
 * [rows_k, D] and the `head` — b1, w2 and b2 packed into one flat tensor [H + K·H + K] — then
 * their Adam moments (`m_`, `v_` prefixes). Packing the three small parameters gives them one
 * Adam update of 9 nodes instead of three, which matters because a node costs several
 * microseconds however small its tensors.
 */
export function stateNames(o: Pick<MlpTrainingModelOptions, 'hidden' | 'inputDim' | 'blocks'>): string[] {
  const params = [...w1Blocks(o).map((_, k) => `w1_${k}`), 'head'];
  return [...params, ...params.map((n) => `m_${n}`), ...params.map((n) => `v_${n}`)];
}

/** Dims of the state tensors, in `stateNames` order. */
export function stateDims(
  o: Pick<MlpTrainingModelOptions, 'inputDim' | 'hidden' | 'classes' | 'blocks'>,
): number[][] {
  const params = [...w1Blocks(o).map((rows) => [rows, o.inputDim]), [headLength(o)]];
  return [...params, ...params, ...params];
}

/** Mini-batches per epoch: ⌈N / B⌉. */
export function stepsPerEpoch(trainCount: number, batch: number): number {
  return Math.ceil(trainCount / batch);
}

/** Builds the training model and returns its bytes. */
export function buildMlpTrainingModel(options: MlpTrainingModelOptions): Uint8Array {
  const { inputDim: D, rowCount, batch } = options;
  const layout = stateLayout(options);
  const { names, dims } = layout;
  const g = new GraphBuilder('mlp_train');
  g.input('x', 'float32', [rowCount, D]);
  g.input('y', 'int64', [rowCount]);
  const perm = g.input('perm', 'int64', ['epochs', options.trainCount]);
  g.input('schedule', 'float32', ['epochs', stepsPerEpoch(options.trainCount, batch), 2]);
  g.input('evaluate', 'int64', ['epochs']);
  for (const [i, name] of names.entries()) g.input(name, 'float32', dims[i]!);

  const epochs = g.op('Gather', [g.op('Shape', [perm]), g.op('Constant', [], { value_int: 0 })]);
  const outs = g.ops(
    'Loop',
    [epochs, '', ...names],
    { body: { graph: epochBody(options, layout) } },
    names.length + 2,
  );
  for (const [i, name] of names.entries()) g.output(outs[i]!, 'float32', dims[i]!, `next_${name}`);
  g.output(outs[names.length]!, 'float32', ['epochs'], 'loss');
  g.output(outs[names.length + 1]!, 'int64', ['epochs', rowCount], 'predictions');
  return g.toBytes();
}

/** State names and dims, and how many of the parameters are w1 blocks. */
interface StateLayout {
  names: string[];
  dims: number[][];
  /** w1 blocks; the head follows them, then the moments. */
  blocks: number;
}

function stateLayout(options: MlpTrainingModelOptions): StateLayout {
  return { names: stateNames(options), dims: stateDims(options), blocks: w1Blocks(options).length };
}

/** Declares the Loop body inputs (iteration, condition, state) and returns their names. */
function bodyInputs(
  g: GraphBuilder,
  prefix: string,
  layout: StateLayout,
): { iteration: string; cond: string; state: string[] } {
  const iteration = g.input(`${prefix}iteration`, 'int64', []);
  const cond = g.input(`${prefix}cond`, 'bool', []);
  const state = layout.names.map((name, i) => g.input(`${prefix}${name}`, 'float32', layout.dims[i]!));
  return { iteration, cond, state };
}

function epochBody(options: MlpTrainingModelOptions, layout: StateLayout): GraphBuilder {
  const g = new GraphBuilder('epoch', 'e_');
  const count = layout.names.length;
  const { iteration, cond, state } = bodyInputs(g, 'e_', layout);
  const perm = g.op('Gather', ['perm', iteration], { axis: 0 });
  const schedule = g.op('Gather', ['schedule', iteration], { axis: 0 });
  const steps = g.op('Constant', [], { value_int: stepsPerEpoch(options.trainCount, options.batch) });
  const inner = g.ops(
    'Loop',
    [steps, '', ...state],
    { body: { graph: stepBody(options, layout, perm, schedule) } },
    count + 1,
  );
  const next = inner.slice(0, count);
  const loss = g.op('Div', [
    g.op('ReduceSum', [inner[count]!], { keepdims: 0 }),
    g.scalar(options.trainCount),
  ]);
  const evaluate = g.op('Cast', [g.op('Gather', ['evaluate', iteration], { axis: 0 })], { to: 9 });
  const predictions = g.op('If', [evaluate], {
    then_branch: { graph: predictBranch(options, layout, next) },
    else_branch: { graph: skipBranch(options) },
  });
  g.output(g.op('Identity', [cond]), 'bool', []);
  for (const [i, name] of next.entries()) g.output(name, 'float32', layout.dims[i]!);
  g.output(loss, 'float32', []);
  g.output(predictions, 'int64', [options.rowCount]);
  return g;
}

/** Views of the parameters in a state. */
function stateViews(
  g: GraphBuilder,
  state: string[],
  layout: StateLayout,
  o: MlpTrainingModelOptions,
): BlockParams {
  return paramViews(g, state.slice(0, layout.blocks), state[layout.blocks]!, o);
}

function predictBranch(options: MlpTrainingModelOptions, layout: StateLayout, state: string[]): GraphBuilder {
  const g = new GraphBuilder('predict', 't_');
  const { logits } = forward(g, 'x', stateViews(g, state, layout, options));
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
  layout: StateLayout,
  perm: string,
  schedule: string,
): GraphBuilder {
  const { batch, trainCount } = options;
  const g = new GraphBuilder('step', 's_');
  const { iteration, cond, state } = bodyInputs(g, 's_', layout);
  const params = stateViews(g, state, layout, options);
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
  // Adam receives (1 − β1)·g (see adam-update.ts).
  const { lossSum, gradW1, gradHead } = emitGradients(
    g,
    x,
    y,
    params,
    options,
    1 - (options.adam?.beta1 ?? 0.9),
  );

  const row = g.op('Gather', [schedule, iteration], { axis: 0 });
  const alpha = g.op('Slice', [row, g.op('Constant', [], { value_ints: [0] }), oneDim]);
  const shift = g.op('Slice', [row, oneDim, g.op('Constant', [], { value_ints: [2] })]);
  const constants: AdamGraphConstants = adamGraphConstants(g, options.adam ?? {});
  const grads = [...gradW1, gradHead];
  const n = grads.length;
  const updated = grads.map((grad, i) =>
    emitAdamUpdate(g, {
      state: { param: state[i]!, m: state[n + i]!, v: state[2 * n + i]! },
      scaledGrad: grad,
      dims: layout.dims[i]!,
      alpha,
      shift,
      constants,
    }),
  );
  g.output(g.op('Identity', [cond]), 'bool', []);
  const next = [...updated.map((u) => u.param), ...updated.map((u) => u.m), ...updated.map((u) => u.v)];
  for (const [i, name] of next.entries()) g.output(name, 'float32', layout.dims[i]!);
  g.output(lossSum, 'float32', []);
  return g;
}
