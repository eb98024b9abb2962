/**
 * Turning uint8 RGB crops (HWC per image, as `facelab prepare` stores them) into what an image
 * backbone expects as input.
 *
 * - `seed`: the reference study's choice for AlexNet — per image, subtract the mean of all its
 *   values, then divide by the largest absolute value left (a flat image stays all 0);
 *   NCHW float32.
 * - `imagenet`: torchvision's — x / 255, then (x − mean_c) / std_c with mean
 *   [0.485, 0.456, 0.406] and std [0.229, 0.224, 0.225]; NCHW float32. Right for weights
 *   exported from torchvision.
 * - `caffe`: Caffe's AlexNet (the ONNX model zoo's `bvlcalexnet`) — BGR channel order, 0–255,
 *   minus the per-channel mean [104, 117, 123] (B, G, R); NCHW float32.
 * - `uint8`: the bytes unchanged (NHWC), for models that normalise inside the graph, such as
 *   facelab's face backbone.
 */
import type { CropToInput } from '../engine/combined-model.js';
import { InvalidOptionError } from '../errors.js';

/** How crops are turned into a backbone's input (see the module comment). */
export type Preprocess = 'seed' | 'imagenet' | 'caffe' | 'uint8';

/** Every `Preprocess` value, for flag validation. */
export const PREPROCESS_MODES: readonly Preprocess[] = ['seed', 'imagenet', 'caffe', 'uint8'];

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];
const CAFFE_MEAN_BGR = [104, 117, 123];

/** A batch ready to feed: float32 NCHW, or the uint8 NHWC crops themselves. */
export type BackboneInput = { data: Float32Array; dims: number[] } | { data: Uint8Array; dims: number[] };

/**
 * Preprocesses `count` crops of `side × side × 3` bytes stored one after another.
 *
 * @example
 * const input = preprocessImages(crops, { count: 32, side: 227, mode: 'imagenet' });
 */
export function preprocessImages(
  images: Uint8Array,
  options: { count: number; side: number; mode: Preprocess },
): BackboneInput {
  const { count, side, mode } = options;
  const plane = side * side;
  if (images.length !== count * plane * 3) {
    throw new InvalidOptionError('images', `${count} × ${side} × ${side} × 3 bytes`, images.length);
  }
  if (mode === 'uint8') return { data: images, dims: [count, side, side, 3] };
  // Per channel c: out = x · scale[c] + shift[c], read from RGB channel source[c]. One pass per
  // pixel (sequential reads) is 2–3× faster than one pass per channel.
  const out = new Float32Array(images.length);
  for (let n = 0; n < count; n++) {
    const src = images.subarray(n * plane * 3, (n + 1) * plane * 3);
    const dst = out.subarray(n * plane * 3, (n + 1) * plane * 3);
    let scale: number[];
    let shift: number[];
    let source = [0, 1, 2];
    if (mode === 'seed') [scale, shift] = seedAffine(src);
    else if (mode === 'imagenet') {
      scale = IMAGENET_STD.map((s) => 1 / (255 * s));
      shift = IMAGENET_MEAN.map((m, c) => -m / IMAGENET_STD[c]!);
    } else if (mode === 'caffe') {
      scale = [1, 1, 1];
      shift = CAFFE_MEAN_BGR.map((m) => -m);
      source = [2, 1, 0]; // BGR planes
    } else {
      throw new InvalidOptionError('preprocess', PREPROCESS_MODES.join(' | '), mode);
    }
    affineToPlanes(src, dst, plane, source, scale, shift);
  }
  return { data: out, dims: [count, 3, side, side] };
}

/**
 * The same preprocessing as a description the combined model computes inside its graph
 * (`buildCombinedModel`); undefined for `seed`, whose per-image statistics have no in-graph form yet.
 */
export function cropToInput(mode: Preprocess): CropToInput | undefined {
  if (mode === 'uint8') return { kind: 'bytes' };
  if (mode === 'imagenet') {
    return {
      kind: 'affine',
      source: [0, 1, 2],
      scale: IMAGENET_STD.map((s) => 1 / (255 * s)),
      shift: IMAGENET_MEAN.map((m, c) => -m / IMAGENET_STD[c]!),
    };
  }
  if (mode === 'caffe')
    return { kind: 'affine', source: [2, 1, 0], scale: [1, 1, 1], shift: CAFFE_MEAN_BGR.map((m) => -m) };
  return undefined;
}

function affineToPlanes(
  src: Uint8Array,
  dst: Float32Array,
  plane: number,
  source: number[],
  scale: number[],
  shift: number[],
): void {
  const [r0, r1, r2] = source as [number, number, number];
  const [a0, a1, a2] = scale as [number, number, number];
  const [b0, b1, b2] = shift as [number, number, number];
  for (let p = 0, q = 0; p < plane; p++, q += 3) {
    dst[p] = src[q + r0]! * a0 + b0;
    dst[plane + p] = src[q + r1]! * a1 + b1;
    dst[2 * plane + p] = src[q + r2]! * a2 + b2;
  }
}

/** The reference study's per-image affine map: (x − mean) / max |x − mean| (0 for a flat image). */
function seedAffine(src: Uint8Array): [number[], number[]] {
  let sum = 0;
  let lo = 255;
  let hi = 0;
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    sum += v;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const mean = sum / src.length;
  const peak = Math.max(hi - mean, mean - lo);
  const scale = peak > 0 ? 1 / peak : 0;
  return [
    [scale, scale, scale],
    [-mean * scale, -mean * scale, -mean * scale],
  ];
}
