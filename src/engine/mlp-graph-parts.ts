/**
 * The one-hidden-layer classifier's forward pass, loss and gradients as ONNX nodes, shared by
 * the graphs that run it: the all-in-ORT training loop (`mlp-training-model.ts`) and the
 * native trainer's predict graph (`mlp-predict-model.ts`).
 *
 * Parameters are the first layer's weights w1 in row blocks [rows_k, D] and the packed `head`
 * [b1 | w2 | b2] (`headLength`). The hidden layer is computed transposed, [H, rows]: each block
 * is one Gemm w1_k · xᵀ that reads the weights in place and packs only the small batch
 * (measured: 59.6 GFLOP/s against 50.1 for x · w1ᵀ at batch 32, one thread).
 */
import type { GraphBuilder } from './onnx-builder.js';

/** Network sizes the nodes are built for. */
export interface MlpShape {
  /** Hidden units H. */
  hidden: number;
  /** Classes K. */
  classes: number;
}

/** Rows of w1 in each block: H split into `blocks` near-equal parts. */
export function w1Blocks(o: { hidden: number; inputDim: number; blocks?: number }): number[] {
  return w1Rows(Math.max(1, Math.min(o.hidden, o.blocks ?? defaultBlocks(o))), o.hidden);
}

/**
 * Default row blocks of w1: about 2 MiB of weights each. The Adam passes over a block then
 * touch a working set that stays in cache better; measured on this project's 2-core machine,
 * 3072×300 weights in 2 blocks train ~7–10% faster per epoch than in one, while 4 or more
 * blocks lose it again to the per-node overhead (each block adds ~12 nodes per step).
 */
export function defaultBlocks(o: { hidden: number; inputDim: number }): number {
  return Math.max(1, Math.round((o.hidden * o.inputDim * 4) / 2 ** 21));
}

/** Length of the packed head [b1 | w2 | b2]. */
export function headLength(o: MlpShape): number {
  return o.hidden + o.classes * o.hidden + o.classes;
}

/** The parameters as the forward pass needs them: w1 blocks, then views of b1, w2, b2. */
export interface BlockParams {
  w1: string[];
  b1: string[];
  w2: string;
  b2: string;
}

/** Views of w1's blocks and the packed head (Slice copies only the head's few floats). */
export function paramViews(g: GraphBuilder, w1: string[], head: string, o: MlpShape): BlockParams {
  const { hidden: H, classes: K } = o;
  const part = (from: number, to: number): string =>
    g.op('Slice', [
      head,
      g.op('Constant', [], { value_ints: [from] }),
      g.op('Constant', [], { value_ints: [to] }),
    ]);
  let first = 0;
  const b1 = w1Rows(w1.length, H).map((r) => {
    const view = g.op('Reshape', [part(first, first + r), g.op('Constant', [], { value_ints: [-1, 1] })]);
    first += r;
    return view;
  });
  return {
    w1,
    b1,
    w2: g.op('Reshape', [part(H, H + K * H), g.op('Constant', [], { value_ints: [K, H] })]),
    b2: part(H + K * H, H + K * H + K),
  };
}

/** Rows of each of `blocks` near-equal blocks of H (as `w1Blocks`). */
function w1Rows(blocks: number, H: number): number[] {
  return Array.from(
    { length: blocks },
    (_, k) => Math.floor(((k + 1) * H) / blocks) - Math.floor((k * H) / blocks),
  );
}

/** Forward pass of rows `x`: the hidden layer [H, rows] (after ReLU) and the logits [rows, K]. */
export function forward(g: GraphBuilder, x: string, p: BlockParams): { hiddenT: string; logits: string } {
  const parts = p.w1.map((w, k) => g.op('Relu', [g.op('Gemm', [w, x, p.b1[k]!], { transB: 1 })]));
  const hiddenT = parts.length === 1 ? parts[0]! : g.op('Concat', parts, { axis: 0 });
  const logits = g.op('Gemm', [hiddenT, p.w2, p.b2], { transA: 1, transB: 1 });
  return { hiddenT, logits };
}

/** What `emitGradients` adds. */
export interface MlpGradients {
  /** Summed (not averaged) cross-entropy of the rows, a scalar. */
  lossSum: string;
  /** Gradient of each w1 block, same shapes as the blocks. */
  gradW1: string[];
  /** The scaled output error at the hidden units' inputs, [H, rows]: gradW1 = dPreT · x. */
  dPreT: string;
  /** Gradient of the packed head [b1 | w2 | b2]. */
  gradHead: string;
}

/**
 * Softmax cross-entropy of rows `x` with labels `y` (int64), and every gradient times
 * `scale / rows`: `scale` 1 gives the gradient of the batch-mean loss; the ORT trainer passes
 * 1 − β1 so that Adam receives (1 − β1)·g at the cost of one [rows, K] Mul (every gradient is
 * linear in the output error).
 */
export function emitGradients(
  g: GraphBuilder,
  x: string,
  y: string,
  params: BlockParams,
  o: MlpShape,
  scale: number,
): MlpGradients {
  const K = o.classes;
  const { hiddenT, logits } = forward(g, x, params);
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
  const errorScale = g.op('Div', [g.scalar(scale), rowsF]);
  const dLogits = g.op('Mul', [g.op('Sub', [g.op('Exp', [logProb]), oneHot]), errorScale]);

  // Backward in the transposed layout of the forward pass: [H, b] for the hidden layer.
  const gradW2 = g.op('Gemm', [dLogits, hiddenT], { transA: 1, transB: 1 });
  const gradB2 = g.op('ReduceSum', [dLogits, g.op('Constant', [], { value_ints: [0] })], { keepdims: 0 });
  const dHiddenT = g.op('Gemm', [params.w2, dLogits], { transA: 1, transB: 1 });
  const zero = g.scalar(0);
  const dPreT = g.op('Where', [g.op('Greater', [hiddenT, zero]), dHiddenT, zero]);
  const gradB1 = g.op('ReduceSum', [dPreT, g.op('Constant', [], { value_ints: [1] })], { keepdims: 0 });
  const blockRows = w1Rows(params.w1.length, o.hidden);
  const dPreBlocks =
    blockRows.length === 1
      ? [dPreT]
      : g.ops(
          'Split',
          [dPreT, g.op('Constant', [], { value_ints: blockRows })],
          { axis: 0 },
          blockRows.length,
        );
  const gradW1 = dPreBlocks.map((d) => g.op('Gemm', [d, x]));
  const flat = g.op('Constant', [], { value_ints: [-1] });
  const gradHead = g.op('Concat', [gradB1, g.op('Reshape', [gradW2, flat]), gradB2], { axis: 0 });
  return { lossSum, gradW1, dPreT, gradHead };
}
