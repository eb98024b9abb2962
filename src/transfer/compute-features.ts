/**
 * The feature-extraction job behind `facelab features` and `facelab transfer`: resolve the
 * backbone, load the prepared crops at its side, run every part of the split through it, and
 * write (or reuse) the `.npz` cache.
 */
import { resolve } from 'node:path';
import { readSplitManifest, splitManifestSha256 } from '../data/split-manifest.js';
import type { OnProgress } from '../progress.js';
import type { HeadBackbone } from '../train/head-backbone.js';
import { Backbone } from './backbone.js';
import { type BackboneChoice, type ResolvedBackbone, resolveBackbone } from './backbones.js';
import { cropSourceSide, loadCropsAtSide } from './crops.js';
import { type BackboneFeatures, extractFeatureSet, readFeatureSet, writeFeatureSet } from './feature-set.js';

/** Options of `computeFeatures`. */
export interface ComputeFeaturesOptions extends BackboneChoice {
  /** Folder written by `facelab prepare` (`faces_<side>.npz` + `split.json`). */
  dataDir: string;
  /** Where the feature `.npz` is written. */
  out: string;
  /**
   * Feed the backbone the aligned crops (eyes level, fixed place and scale) instead of the box
   * crops. Default: aligned for the face backbone when the dataset has aligned crops (prepare
   * writes them), box crops otherwise.
   */
  align?: boolean;
  /** Reuse `out` when it holds features of the same backbone, layer, model and split. Default false. */
  reuse?: boolean;
  /** Images per ORT run. Default 32. */
  batchSize?: number;
  /** ORT threads. Default: one per core. */
  threads?: number;
  onProgress?: OnProgress;
}

/** What `computeFeatures` produced. */
export interface ComputedFeatures {
  set: BackboneFeatures;
  /** Backbone name ('face', 'alexnet' or the model file). */
  backbone: string;
  /** Layer as the user named it. */
  layer: string;
  /** Crop side fed to the backbone. */
  side: number;
  /** Images run (0 when the cache was reused). */
  images: number;
  /** Seconds spent running the backbone (preprocessing included; 0 when reused). */
  seconds: number;
  /** True when `out` already held these features. */
  reused: boolean;
  /**
   * How to compute these features again from a photo: recorded in a transfer head's model
   * metadata so that `facelab predict` can run backbone and head on new photos.
   */
  record: HeadBackbone;
  /** The resolved backbone (model bytes, tensor, side, preprocessing), for the combined model. */
  spec: ResolvedBackbone;
}

/** Whether `prepare` wrote aligned crops into `dir`. */
async function hasAlignedCrops(dir: string): Promise<boolean> {
  const manifest = await readSplitManifest(dir);
  return manifest.crops === 'aligned' || (manifest.alignedSides ?? []).length > 0;
}

/**
 * Extracts the features of every crop of a prepared dataset and writes them to `options.out`.
 *
 * @example
 * const { set } = await computeFeatures({ dataDir: 'data/six', backbone: 'face', out: 'data/six/face.npz' });
 */
export async function computeFeatures(options: ComputeFeaturesOptions): Promise<ComputedFeatures> {
  const spec = await resolveBackbone(options);
  const splitHash = await splitManifestSha256(options.dataDir);
  const aligned = options.align ?? (options.backbone === 'face' && (await hasAlignedCrops(options.dataDir)));
  const key = JSON.stringify({
    backbone: spec.name,
    layer: spec.layer,
    tensor: spec.tensor,
    preprocess: spec.preprocess,
    side: spec.side,
    model: spec.modelSha256,
    split: splitHash,
    aligned,
  });
  const cropSide = await cropSourceSide(options.dataDir, spec.side, { aligned });
  const record: HeadBackbone = {
    kind: options.backbone,
    layer: options.layer ?? spec.layer,
    preprocess: spec.preprocess,
    side: spec.side,
    modelSha256: spec.modelSha256,
    ...(cropSide !== spec.side ? { cropSide } : {}),
    ...(aligned ? { aligned } : {}),
    ...(options.weights !== undefined ? { weights: resolve(options.weights) } : {}),
    ...(options.randomWeights !== undefined ? { randomWeights: options.randomWeights } : {}),
  };
  const summary = { backbone: spec.name, layer: spec.layer, side: spec.side, record, spec };
  if (options.reuse) {
    const cached = await readFeatureSet(options.out).catch(() => undefined);
    if (cached?.key === key) return { ...summary, set: cached, images: 0, seconds: 0, reused: true };
  }
  const dataset = await loadCropsAtSide(options.dataDir, spec.side, { aligned });
  const backbone = await Backbone.load(spec, {
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  });
  let set: BackboneFeatures;
  const started = performance.now();
  try {
    set = await extractFeatureSet(
      dataset,
      backbone,
      options.onProgress ? { onProgress: options.onProgress } : {},
    );
  } finally {
    await backbone.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  await writeFeatureSet(options.out, set, key);
  const images = set.train.count + set.val.count + set.test.count;
  return { ...summary, set, images, seconds, reused: false };
}
