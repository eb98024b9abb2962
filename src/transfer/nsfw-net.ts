/**
 * The ImageNet-lineage CNNs that ship inside the `nsfwjs` 4 npm package (MIT), rebuilt as ONNX
 * graphs from the package's own files so they run in ONNX Runtime with no TensorFlow.js:
 *
 * - `mobilenet`: MobileNetV2 (α = 1, 224 px), ImageNet-initialised Keras weights fine-tuned by
 *   nsfwjs to five photo categories (drawing, hentai, neutral, porn, sexy); 3.5 MB, uint8-quantised;
 * - `inception`: InceptionV3 (299 px), the same lineage and task; 29 MB, uint8-quantised.
 *
 * Both are Keras *layers* models (`model.min.js` holds the topology and weights manifest, the
 * `group1-shard*.min.js` files the weights as base64): `keras-model.ts` converts them. nsfwjs
 * feeds pixels / 255 (0–1), and so do the rebuilt graphs, inside the graph.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { kerasGraph } from './keras-model.js';
import { decodeTfjsWeights, type ManifestEntry, type NamedWeight } from './tfjs-weights.js';

/** The nsfwjs networks facelab can rebuild. */
export type NsfwNetName = 'mobilenet' | 'inception';

/** What each network is and where it lives in the package. */
export const NSFW_NETS: Readonly<
  Record<NsfwNetName, { folder: string; side: number; layers: readonly string[]; defaultLayer: string }>
> = {
  mobilenet: {
    folder: 'mobilenet_v2',
    side: 224,
    // The output of every few inverted-residual blocks from 14 × 14 on (earlier maps have 25–400 k
    // features, too many for the head on a few hundred photos), the last conv, the global pool and
    // the nsfwjs head's first two Dense layers (trained on the five categories).
    layers: [
      'block_9_add',
      'block_12_add',
      'block_15_add',
      'block_16_project_BN',
      'out_relu',
      'average_pooling2d_1',
      'dense_1',
      'dense_2',
    ],
    defaultLayer: 'average_pooling2d_1',
  },
  inception: {
    folder: 'inception_v3',
    side: 299,
    // The mixed blocks are 82–221 k features wide, too many for the head on a few hundred photos:
    // the global pool of the last one and the nsfwjs head's Dense layers.
    layers: ['average_pooling2d_10', 'dense_1', 'dense_2'],
    defaultLayer: 'average_pooling2d_10',
  },
};

/** The folder of nsfwjs's model files in the installed package. */
export function nsfwModelsDir(): string {
  const require = createRequire(import.meta.url);
  try {
    // The package exports no package.json; its entry point is dist/<format>/index.js.
    return join(dirname(dirname(require.resolve('nsfwjs'))), 'models');
  } catch {
    throw new UserError(
      'the nsfwjs package is not installed (npm install), so its backbones are not available',
    );
  }
}

/** Options of `buildNsfwNet`. */
export interface NsfwNetOptions {
  /** Build nothing after this layer (a tap point further on is then missing). Default: the whole net. */
  stopAfter?: string;
  /** nsfwjs's models folder. Default `nsfwModelsDir()`. */
  modelsDir?: string;
}

/**
 * Reads an nsfwjs network from the installed package and returns it as ONNX model bytes: input
 * `image` (uint8 [batch, side, side, 3] RGB), every Keras layer tappable by its name.
 *
 * @example
 * const bytes = await buildNsfwNet('mobilenet', { stopAfter: 'average_pooling2d_1' });
 */
export async function buildNsfwNet(net: NsfwNetName, options: NsfwNetOptions = {}): Promise<Uint8Array> {
  const info = NSFW_NETS[net];
  const folder = join(options.modelsDir ?? nsfwModelsDir(), info.folder);
  const { topology, weights } = readNsfwFiles(folder);
  const { graph } = kerasGraph({
    topology,
    weights,
    side: info.side,
    inputScale: 1 / 255,
    source: folder,
    ...(options.stopAfter === undefined ? {} : { stopAfter: options.stopAfter }),
  });
  return graph.toBytes({ producer: 'facelab (nsfwjs weights)' });
}

/** The topology and decoded weights of one nsfwjs model folder. */
export function readNsfwFiles(folder: string): { topology: unknown; weights: Map<string, NamedWeight> } {
  const require = createRequire(import.meta.url);
  const load = (file: string): unknown => {
    try {
      return require(join(folder, file));
    } catch (error) {
      throw new UserError(`cannot read ${join(folder, file)}: ${(error as Error).message}`);
    }
  };
  const model = load('model.min.js') as {
    modelTopology?: unknown;
    weightsManifest?: { paths: string[]; weights: ManifestEntry[] }[];
  };
  if (!model?.modelTopology || !Array.isArray(model.weightsManifest))
    throw new UserError(`${folder}/model.min.js holds no TF.js layers model`);
  const weights = new Map<string, NamedWeight>();
  for (const group of model.weightsManifest) {
    const shards = group.paths.map((path) => {
      const text = load(`${path}.min.js`);
      if (typeof text !== 'string')
        throw new UserError(`${folder}/${path}.min.js is not a base64 weights shard`);
      return Buffer.from(text, 'base64');
    });
    for (const [name, w] of decodeTfjsWeights(group.weights, new Uint8Array(Buffer.concat(shards)), folder))
      weights.set(name, w);
  }
  return { topology: model.modelTopology, weights };
}
