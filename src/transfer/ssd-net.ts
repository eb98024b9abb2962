/**
 * The MobileNetV1 body of face-api's SSD face detector (`src/detect/ssd-graph.ts`, rebuilt from
 * the package's `ssd_mobilenetv1_model` weights) as a transfer-learning backbone. It was trained
 * to *find* faces (WIDER FACE), never to tell people apart: a face-domain network whose task is
 * not identity.
 *
 * Input `image`: uint8 [batch, 150, 150, 3] RGB (the detector normalises to −1…1 inside the
 * graph). At 150 px the blocks are 75 × 75 (conv0, conv1), 38 × 38 (conv2, conv3), 19 × 19
 * (conv4, conv5), 10 × 10 (conv6 … conv11) and 5 × 5 (conv12, conv13). Beside the detector's own
 * tensors (`SSD_LAYERS`) the backbone adds, per block k = 5 … 13, `convK_pool` (global average,
 * one number per channel) and, for the 10 × 10 blocks, `convK_grid` (2 × 2 average pool, 5 × 5 per
 * channel): raw maps from conv11 down are 51 k features or more, too wide for the head on a few
 * hundred photos.
 */

import { faceApiModelManifest } from '../detect/detector-weights.js';
import { SSD_LAYERS, ssdGraph } from '../detect/ssd-graph.js';
import type { GraphBuilder } from '../engine/onnx-builder.js';
import { readTfjsWeights } from './tfjs-weights.js';

/**
 * Crop side the SSD backbone is fed. 150 px: the box crops facelab prepares anyway, and the
 * deepest maps stay 5 × 5 (at 227 px conv11 alone would be 15 × 15 × 512 = 115 k features);
 * a face filling 150 px is well within the face sizes the detector finds in its 512 px input.
 */
export const SSD_BACKBONE_SIDE = 150;

/** Blocks that get a `_pool` tap (global average). */
const POOLED_BLOCKS = [5, 6, 7, 8, 9, 10, 11, 12, 13];

/** Blocks that get a `_grid` tap (2 × 2 average pool of their 10 × 10 map at 150 px). */
const GRID_BLOCKS = [7, 9, 11];

/** Every tap point of the SSD backbone: the detector's own tensors and the pooled ones. */
export const SSD_TAPS: readonly string[] = [
  ...SSD_LAYERS,
  ...POOLED_BLOCKS.map((k) => `conv${k}_pool`),
  ...GRID_BLOCKS.map((k) => `conv${k}_grid`),
];

/**
 * The tap points `--layers all` tries, shallow to deep, with their widths at 150 px: global
 * pools of conv5 … conv13 (256, 512, …, 1024), the 2 × 2-pooled conv7, conv9, conv11 (12,800
 * each) and the raw 5 × 5 maps of conv12 and conv13 (25,600 each).
 */
export const SSD_BACKBONE_LAYERS: readonly string[] = [
  'conv5_pool',
  'conv7_pool',
  'conv7_grid',
  'conv9_pool',
  'conv9_grid',
  'conv11_pool',
  'conv11_grid',
  'conv12',
  'conv13_pool',
  'conv13',
];

/** Default layer (`--layer` not given). */
export const SSD_DEFAULT_LAYER = 'conv11_grid';

/**
 * Reads face-api's SSD weights and returns the detector graph with a uint8 NHWC input and the
 * pooled taps added, as ONNX model bytes (cut it with `tapModel`).
 *
 * @example
 * const bytes = await buildSsdBackbone();
 */
export async function buildSsdBackbone(options: { manifest?: string } = {}): Promise<Uint8Array> {
  const manifest = options.manifest ?? faceApiModelManifest('ssd_mobilenetv1_model');
  const g = ssdGraph(await readTfjsWeights(manifest), 'uint8', manifest);
  addPooledTaps(g);
  return g.toBytes({ producer: 'facelab (face-api weights)' });
}

function addPooledTaps(g: GraphBuilder): void {
  for (const k of POOLED_BLOCKS) g.named(g.op('GlobalAveragePool', [`conv${k}`]), `conv${k}_pool`);
  for (const k of GRID_BLOCKS)
    g.named(g.op('AveragePool', [`conv${k}`], { kernel_shape: [2, 2], strides: [2, 2] }), `conv${k}_grid`);
}
