/**
 * The exported classifier (model.onnx) against the TypeScript reference: raw-crop input with
 * the min–max normalisation inside the graph, and feature input; metadata readable by any ONNX
 * reader. Tolerance for logits: 1e-5 absolute.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import onnxProto from 'onnx-proto';
import { normalizeImages } from '../src/data/normalize.js';
import {
  buildClassifierModel,
  type ClassifierMetadata,
  METADATA_KEY,
} from '../src/engine/classifier-model.js';
import type { MlpParams } from '../src/engine/mlp-layers.js';
import { EngineSession } from '../src/engine/session.js';
import { createRng } from '../src/random.js';
import { maxAbsDiff, refForward, toRef } from './helpers/mlp-reference.js';

const SIDE = 4;
const D = SIDE * SIDE * 3;
const H = 7;
const K = 3;
const COUNT = 6;
const rng = createRng(9);
const params: MlpParams = {
  inputDim: D,
  hidden: H,
  classes: K,
  w1: Float32Array.from({ length: H * D }, () => rng.normal() * 0.2),
  b1: Float32Array.from({ length: H }, () => rng.normal() * 0.1),
  w2: Float32Array.from({ length: K * H }, () => rng.normal() * 0.5),
  b2: Float32Array.from({ length: K }, () => rng.normal() * 0.1),
};
const pixels = Uint8Array.from({ length: COUNT * D }, () => rng.int(256));
// A flat image (min = max) must become all −1, as in training.
pixels.fill(77, 0, D);
const labels = ['Alec Baldwin', 'Angie Harmon', 'Bill Hader'];

async function run(
  model: Uint8Array,
  name: string,
  data: Float32Array,
  dims: number[],
): Promise<{ logits: Float32Array; probabilities: Float32Array }> {
  const session = await EngineSession.create(model, { threads: 1 });
  try {
    const out = await session.run({ [name]: { data, dims } });
    return {
      logits: out.logits!.data as Float32Array,
      probabilities: out.probabilities!.data as Float32Array,
    };
  } finally {
    await session.dispose();
  }
}

test('image model: raw 0–255 crops in, reference logits and softmax out', async () => {
  const model = buildClassifierModel({ params, input: { kind: 'image', side: SIDE }, labels });
  const { logits, probabilities } = await run(model, 'image', Float32Array.from(pixels), [
    COUNT,
    SIDE,
    SIDE,
    3,
  ]);
  const x = normalizeImages(pixels, { count: COUNT });
  const expected = refForward({ inputDim: D, hidden: H, classes: K }, toRef(params), x, COUNT).logits;
  const diff = maxAbsDiff(logits, expected);
  assert.ok(diff.max <= 1e-5, `logit ${diff.at} differs by ${diff.max}`);
  for (let r = 0; r < COUNT; r++) {
    const row = probabilities.subarray(r * K, r * K + K);
    const sum = row.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-6, `probabilities of row ${r} sum to ${sum}`);
    const z = logits.subarray(r * K, r * K + K);
    assert.equal(
      row.indexOf(Math.max(...row)),
      z.indexOf(Math.max(...z)),
      `row ${r}: softmax keeps the arg max`,
    );
  }
});

test('the in-graph normalisation equals normalizeImages bit for bit', async () => {
  const image = buildClassifierModel({ params, input: { kind: 'image', side: SIDE }, labels });
  const features = buildClassifierModel({ params, input: { kind: 'features' }, labels });
  const fromImage = await run(image, 'image', Float32Array.from(pixels), [COUNT, SIDE, SIDE, 3]);
  const fromFeatures = await run(features, 'features', normalizeImages(pixels, { count: COUNT }), [COUNT, D]);
  assert.deepEqual(fromImage.logits, fromFeatures.logits);
});

test('metadata: class names, input and preprocessing as one JSON entry', () => {
  const model = buildClassifierModel({
    params,
    input: { kind: 'image', side: SIDE },
    labels,
    extra: { training: { epochs: 3 } },
  });
  const decoded = onnxProto.onnx.ModelProto.decode(model);
  const entry = decoded.metadataProps.find((p) => p.key === METADATA_KEY);
  assert.ok(entry?.value, 'a facelab metadata entry');
  const meta = JSON.parse(entry.value) as ClassifierMetadata;
  assert.deepEqual(meta.labels, labels);
  assert.deepEqual(meta.input, {
    name: 'image',
    kind: 'image',
    shape: ['batch', SIDE, SIDE, 3],
    range: [0, 255],
    layout: 'NHWC RGB',
  });
  assert.match(meta.preprocessing, /min\)/);
  assert.deepEqual(meta.outputs, ['logits', 'probabilities']);
  assert.deepEqual(meta.training, { epochs: 3 });
  const weights = new Map(decoded.graph?.initializer?.map((t) => [t.name, t.dims?.map(Number)]));
  assert.deepEqual(
    ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias'].map((name) => weights.get(name)),
    [[H, D], [H], [K, H], [K]],
    'weights named and shaped as torch.nn.Linear layers',
  );
});

test('mismatched sizes are refused', () => {
  assert.throws(
    () => buildClassifierModel({ params, input: { kind: 'image', side: 5 }, labels }),
    /side² × 3 = 48/,
  );
  assert.throws(
    () => buildClassifierModel({ params, input: { kind: 'features' }, labels: ['a'] }),
    /Expected 3 labels/,
  );
});
