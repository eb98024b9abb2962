/**
 * Every `model.onnx` facelab writes is read by readers that are not ONNX Runtime: Debian's
 * `python3-onnx` checker (full check, with shape inference) and OpenCV 4.6's DNN
 * (`cv2.dnn.readNetFromONNX`), which must give the same top-1 as facelab (ORT) on real test
 * crops, and probabilities within 1e-4. The crop-taking model `facelab transfer` writes
 * (backbone and head in one graph) also equals its own two parts run one after the other.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadPrepared } from '../src/data/dataset.js';
import { buildClassifierModel } from '../src/engine/classifier-model.js';
import { buildCombinedModel } from '../src/engine/combined-model.js';
import { EngineSession } from '../src/engine/session.js';
import { createRng } from '../src/random.js';
import { loadClassifierFile } from '../src/train/classifier-file.js';
import { Backbone } from '../src/transfer/backbone.js';
import { resolveBackbone } from '../src/transfer/backbones.js';
import { runTransfer } from '../src/transfer/transfer.js';
import { makePreparedData } from './helpers/fake-cache.js';
import { argmaxRows, readWithPortableReaders } from './helpers/portable.js';
import { pythonMissing } from './helpers/python.js';
import { realCrops } from './helpers/real-crops.js';
import { makeSmallRun, SMALL_RUN_ACTORS, type SmallRun } from './helpers/small-run.js';

const missing = pythonMissing('numpy', 'onnx', 'cv2');
let small: SmallRun;
let tmp: string;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'facelab-portable-'));
  small = await makeSmallRun();
});

after(async () => {
  await small?.cleanup();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** ORT's probabilities for `input`. */
async function ortProbabilities(
  model: Uint8Array,
  name: string,
  input: { data: Float32Array; dims: number[] },
) {
  const session = await EngineSession.create(model, { threads: 1 });
  try {
    return (await session.run({ [name]: input }, ['probabilities'])).probabilities!.data as Float32Array;
  } finally {
    await session.dispose();
  }
}

/** Asserts both readers accept `model` and OpenCV agrees with ORT. */
async function assertPortable(
  model: Uint8Array,
  inputName: string,
  input: { data: Float32Array; dims: number[] },
  classes: number,
  label: string,
): Promise<void> {
  const ours = await ortProbabilities(model, inputName, input);
  const report = await readWithPortableReaders(model, input, { dir: tmp, name: `${label}.onnx` });
  assert.equal(report.checker, 'ok', `${label}: onnx.checker`);
  assert.ok('top1' in report.opencv, `${label}: OpenCV refuses it: ${JSON.stringify(report.opencv)}`);
  assert.deepEqual(report.opencv.top1, argmaxRows(ours, classes), `${label}: OpenCV's top-1`);
  let worst = 0;
  for (const [i, p] of report.opencv.probabilities.entries()) worst = Math.max(worst, Math.abs(p - ours[i]!));
  assert.ok(worst <= 1e-4, `${label}: probabilities differ by up to ${worst}`);
}

test('the raw-pixel model.onnx of a real run: onnx.checker and OpenCV, same top-1 on the test crops', {
  skip: missing,
}, async () => {
  const model = new Uint8Array(await readFile(join(small.dir, 'grid', 'best', 'model.onnx')));
  const data = await loadPrepared(join(small.dir, 'data'), 32);
  const { images, count } = data.test;
  const input = { data: Float32Array.from(images), dims: [count, 32, 32, 3] };
  await assertPortable(model, 'image', input, data.actors.length, 'pixels');
  // A flat crop (max = min) goes through the ε branch of the normalisation.
  const flat = { data: new Float32Array(2 * 32 * 32 * 3).fill(128), dims: [2, 32, 32, 3] };
  await assertPortable(model, 'image', flat, data.actors.length, 'pixels-flat');
});

test('a features head model.onnx: onnx.checker and OpenCV, same top-1', { skip: missing }, async () => {
  const rng = createRng(3);
  const D = 128;
  const H = 20;
  const K = 6;
  const normal = (n: number, s: number) => Float32Array.from({ length: n }, () => rng.normal() * s);
  const params = {
    inputDim: D,
    hidden: H,
    classes: K,
    w1: normal(H * D, 0.2),
    b1: normal(H, 0.1),
    w2: normal(K * H, 0.5),
    b2: normal(K, 0.1),
  };
  const model = buildClassifierModel({
    params,
    input: { kind: 'features' },
    labels: ['a', 'b', 'c', 'd', 'e', 'f'],
  });
  const rows = 40;
  await assertPortable(model, 'features', { data: normal(rows * D, 1), dims: [rows, D] }, K, 'features');
});

test('the crop-taking transfer model.onnx: backbone + head in one graph, portable, equal to its parts', {
  skip: missing,
}, async () => {
  const dataDir = await makePreparedData(tmp, {
    actors: SMALL_RUN_ACTORS,
    sizes: [150],
    splitSizes: { train: 10, val: 5, test: 5 },
  });
  const outDir = join(tmp, 'transfer-face');
  await runTransfer({
    dataDir,
    outDir,
    backbone: 'face',
    hidden: 16,
    epochs: 20,
    batch: 8,
    threads: 1,
    baselineSide: false,
  });
  const folder = join(outDir, 'head-face-descriptor');
  const file = await loadClassifierFile(folder);
  assert.equal(file.input.kind, 'image', 'model.onnx takes crops');
  assert.equal(file.input.side, 150);
  assert.equal(file.labels.length, SMALL_RUN_ACTORS.length);
  const head = await loadClassifierFile(join(folder, 'head.onnx'));
  assert.equal(head.input.kind, 'features', 'head.onnx takes the features');

  const data = await loadPrepared(dataDir, 150);
  const { images, count } = data.test;
  const input = { data: Float32Array.from(images), dims: [count, 150, 150, 3] };
  const combined = await ortProbabilities(file.bytes, 'image', input);
  const backbone = await Backbone.load(await resolveBackbone({ backbone: 'face' }), { threads: 1 });
  let features: Float32Array;
  try {
    features = await backbone.extract(images, count);
  } finally {
    await backbone.dispose();
  }
  const parts = await ortProbabilities(head.bytes, 'features', { data: features, dims: [count, 128] });
  let worst = 0;
  for (const [i, p] of parts.entries()) worst = Math.max(worst, Math.abs(p - combined[i]!));
  assert.ok(worst <= 1e-5, `combined vs backbone then head: probabilities differ by up to ${worst}`);
  await assertPortable(file.bytes, 'image', input, file.labels.length, 'face-combined');
  await assertPortable(
    head.bytes,
    'features',
    { data: features, dims: [count, 128] },
    file.labels.length,
    'face-head',
  );
});

for (const [backbone, layer] of [
  ['expression', 'features'],
  ['mobilenet', 'block_15_add'],
] as const) {
  test(`the crop-taking model of the ${backbone} backbone (${layer}): onnx.checker and OpenCV, same top-1`, {
    skip: missing,
  }, async () => {
    const spec = await resolveBackbone({ backbone, layer });
    const crops = await realCrops(spec.side, 1);
    const extractor = await Backbone.load(spec, { threads: 1 });
    let features: Float32Array;
    try {
      features = await extractor.extract(crops.images, crops.count);
    } finally {
      await extractor.dispose();
    }
    const D = features.length / crops.count;
    // A head whose arg max varies across the crops: centred features through random weights.
    const rng = createRng(5);
    const normal = (n: number, s: number) => Float32Array.from({ length: n }, () => rng.normal() * s);
    const H = 16;
    const K = 6;
    const params = {
      inputDim: D,
      hidden: H,
      classes: K,
      w1: normal(H * D, 1 / Math.sqrt(D)),
      b1: normal(H, 0.1),
      w2: normal(K * H, 1),
      b2: normal(K, 0.1),
    };
    const head = buildClassifierModel({
      params,
      input: { kind: 'features' },
      labels: ['a', 'b', 'c', 'd', 'e', 'f'],
    });
    const model = buildCombinedModel({
      backbone: spec.model,
      tensor: spec.tensor,
      side: spec.side,
      input: { kind: 'bytes' },
      head,
    });
    const input = { data: Float32Array.from(crops.images), dims: [crops.count, spec.side, spec.side, 3] };
    await assertPortable(model, 'image', input, K, `${backbone}-combined`);
  });
}
