/**
 * facelab's native training kernel (`native/*.cc`, built at install by node-gyp into
 * `build/Release/fused_adam.node`): loaded once, or `undefined` with the reason it could not be.
 * Setting `FACELAB_NATIVE=0` refuses it, so the ONNX-Runtime-only trainer can be used (and
 * tested) on a machine where the kernel is built.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The functions the kernel exports. */
export interface NativeKernel {
  /**
   * One exact Adam step (PyTorch's semantics) over `params`, in place, with `m` and `v` (PyTorch's
   * `exp_avg`, `exp_avg_sq`) updated from `grad`; all four the same length. `stepSize` is
   * lr / (1 − β1^t), `bc2Sqrt` √(1 − β2^t); `threads` (≥ 1) split large tensors.
   */
  adamStep(
    params: Float32Array,
    m: Float32Array,
    v: Float32Array,
    grad: Float32Array,
    stepSize: number,
    bc2Sqrt: number,
    beta1: number,
    beta2: number,
    eps: number,
    threads: number,
  ): void;
  /**
   * The first layer's step: its weight gradient `dT · x` (`dT` [H × rows], the error at the
   * hidden units' inputs; `x` [rows × inputDim], the batch) computed inside one Adam pass over
   * `w1` [H × inputDim], `m` and `v`, in place; the gradient is never stored.
   */
  gradAdamStep(
    w1: Float32Array,
    m: Float32Array,
    v: Float32Array,
    dT: Float32Array,
    x: Float32Array,
    rows: number,
    inputDim: number,
    stepSize: number,
    bc2Sqrt: number,
    beta1: number,
    beta2: number,
    eps: number,
    threads: number,
  ): void;
  /**
   * One epoch of mini-batch training of the one-hidden-layer classifier, in place: per batch of
   * `order`'s rows, the forward pass, softmax cross-entropy, the gradients and an exact Adam step
   * of `w1` [H × inputDim] and the packed `head` [b1 | w2 | b2] with their moments. `x` holds
   * every row [rows × inputDim] (training rows first), `labels` every row's class, `order` the
   * epoch's training rows (each in [0, order.length)). `stepsBefore` is the Adam steps already
   * taken. Returns the epoch's summed (not averaged) loss. Throws, naming the argument, on
   * inconsistent sizes, rows or labels.
   */
  trainEpoch(
    w1: Float32Array,
    head: Float32Array,
    mW1: Float32Array,
    vW1: Float32Array,
    mHead: Float32Array,
    vHead: Float32Array,
    x: Float32Array,
    labels: Int32Array,
    order: Int32Array,
    batch: number,
    inputDim: number,
    classes: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    stepsBefore: number,
    threads: number,
  ): number;
  /** The compiler and vector extensions the kernel was built with. */
  build(): string;
}

/** The kernel, or why it is not used. */
export type NativeKernelStatus = { kernel: NativeKernel } | { kernel: undefined; reason: string };

/** Where the built kernel lives: `build/Release` of the package root (above `src/` or `dist/`). */
export const NATIVE_KERNEL_PATH = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'build',
  'Release',
  'fused_adam.node',
);

let status: NativeKernelStatus | undefined;

/** Loads the kernel on first use (honouring `FACELAB_NATIVE=0`) and returns it or the reason. */
export function nativeKernel(): NativeKernelStatus {
  if (status) return status;
  if (process.env.FACELAB_NATIVE === '0') {
    status = { kernel: undefined, reason: 'FACELAB_NATIVE=0 is set' };
  } else if (!existsSync(NATIVE_KERNEL_PATH)) {
    status = { kernel: undefined, reason: `${NATIVE_KERNEL_PATH} was not built at install` };
  } else {
    try {
      const kernel = createRequire(import.meta.url)(NATIVE_KERNEL_PATH) as NativeKernel;
      status = { kernel };
    } catch (error) {
      status = {
        kernel: undefined,
        reason: `${NATIVE_KERNEL_PATH} does not load: ${(error as Error).message}`,
      };
    }
  }
  return status;
}
