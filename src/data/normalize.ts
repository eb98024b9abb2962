/**
 * Turning uint8 face crops into the float inputs trainers feed to a network.
 *
 * - `minmax` (the reference study's choice): each image on its own is mapped to [-1, 1] by
 *   x' = 2 (x − min) / max(max − min, 1e-8) − 1, with min and max over all its pixels and
 *   channels. A flat image becomes all −1.
 * - `standardize`: x' = (x − mean_c) / std_c per channel c, with statistics computed once on
 *   the training part (`channelStats`) and reused for validation and test.
 *
 * Layout is kept: HWC per image, images one after another, as `N × D` floats.
 */
import { InvalidOptionError } from '../errors.js';

/** Per-channel statistics of a set of images. */
export interface ChannelStats {
  /** Mean of each channel, in 0–255 units. */
  mean: number[];
  /** Standard deviation of each channel (population, never below 1e-8). */
  std: number[];
}

/** Options of `normalizeImages`. */
export interface NormalizeOptions {
  /** Number of images in the buffer; each image is `images.length / count` bytes. */
  count: number;
  /** `minmax` (per image, to [-1, 1]) or `standardize` (per channel). Default `minmax`. */
  method?: 'minmax' | 'standardize';
  /** Statistics for `standardize`, normally `channelStats(train.images)`. Required for it. */
  stats?: ChannelStats;
  /** Interleaved channels per pixel. Default 3. */
  channels?: number;
}

/**
 * Normalises `count` images stored one after another in `images` and returns `count × D`
 * floats in the same order.
 *
 * @example
 * const x = normalizeImages(dataset.train.images, { count: dataset.train.count });
 */
export function normalizeImages(images: Uint8Array, options: NormalizeOptions): Float32Array {
  const { count } = options;
  const method = options.method ?? 'minmax';
  if (!Number.isInteger(count) || count < 0 || (count > 0 && images.length % count !== 0)) {
    throw new InvalidOptionError('count', `a number of images dividing ${images.length} bytes`, count);
  }
  if (method === 'standardize') {
    if (!options.stats)
      throw new InvalidOptionError('stats', 'channel statistics for standardize', undefined);
    return standardize(images, options.stats, options.channels ?? 3);
  }
  if (method !== 'minmax') throw new InvalidOptionError('method', "'minmax' or 'standardize'", method);
  return minMax(images, count);
}

function minMax(images: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(images.length);
  if (count === 0) return out;
  const size = images.length / count;
  for (let n = 0; n < count; n++) {
    const start = n * size;
    const end = start + size;
    let lo = 255;
    let hi = 0;
    for (let i = start; i < end; i++) {
      const v = images[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    // NumPy computes this in float32 step by step; rounding the quotient to float32 before
    // subtracting 1 reproduces its values exactly.
    const range = Math.max(hi - lo, 1e-8);
    for (let i = start; i < end; i++) out[i] = Math.fround(Math.fround((2 * (images[i]! - lo)) / range) - 1);
  }
  return out;
}

/** Per-channel mean and standard deviation of interleaved 8-bit images (e.g. the training part). */
export function channelStats(images: Uint8Array, channels = 3): ChannelStats {
  if (images.length === 0 || images.length % channels !== 0) {
    throw new InvalidOptionError('images', `a non-empty multiple of ${channels} bytes`, images.length);
  }
  const sum = new Float64Array(channels);
  const squares = new Float64Array(channels);
  for (let i = 0; i < images.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const v = images[i + c]!;
      sum[c]! += v;
      squares[c]! += v * v;
    }
  }
  const pixels = images.length / channels;
  const mean = [...sum].map((s) => s / pixels);
  const std = [...squares].map((q, c) => Math.max(Math.sqrt(Math.max(q / pixels - mean[c]! ** 2, 0)), 1e-8));
  return { mean, std };
}

function standardize(images: Uint8Array, stats: ChannelStats, channels: number): Float32Array {
  if (stats.mean.length !== channels || stats.std.length !== channels) {
    throw new InvalidOptionError('stats', `mean and std of ${channels} channels`, stats.mean.length);
  }
  const out = new Float32Array(images.length);
  const scale = stats.std.map((s) => 1 / s);
  for (let i = 0; i < images.length; i += channels) {
    for (let c = 0; c < channels; c++) out[i + c] = (images[i + c]! - stats.mean[c]!) * scale[c]!;
  }
  return out;
}
