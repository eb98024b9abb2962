/**
 * The feature pipeline: model tapping, preprocessing, and `facelab features` end to end on a
 * real prepared dataset (two actors of the shared photos, box crops at 32 and 227 px only, so
 * the face backbone's 150 px box crops are resized in memory; `prepare` also writes the aligned
 * 150 px crops, which the face backbone reads by default).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadPrepared } from '../src/data/dataset.js';
import { describeModel, tapModel } from '../src/engine/model-surgery.js';
import { GraphBuilder } from '../src/engine/onnx-builder.js';
import { EngineSession } from '../src/engine/session.js';
import { UserError } from '../src/errors.js';
import { Backbone } from '../src/transfer/backbone.js';
import { resolveBackbone } from '../src/transfer/backbones.js';
import { computeFeatures } from '../src/transfer/compute-features.js';
import { loadCropsAtSide } from '../src/transfer/crops.js';
import { readFeatureSet } from '../src/transfer/feature-set.js';
import { preprocessImages } from '../src/transfer/preprocess.js';
import { runCliProcess } from './helpers/cli-process.js';
import { makePreparedData } from './helpers/fake-cache.js';
import { pythonMissing, runPython } from './helpers/python.js';

const ACTORS = ['Peri Gilpin', 'Lorraine Bracco'];
let tmp: string;
let dataDir: string;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'facelab-features-'));
  dataDir = await makePreparedData(tmp, { actors: ACTORS, sizes: [32, 227] });
});

after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const runCli = runCliProcess;

/** x → Relu → × w → y, with a batch fixed at 1 as many exports declare it. */
function tinyModel(): Uint8Array {
  const g = new GraphBuilder('tiny');
  const x = g.input('x', 'float32', [1, 4]);
  const relu = g.named(g.op('Relu', [x]), 'hidden');
  const w = g.constant('w', [1, 2, 3, 4, 5, 6, 7, 8], [4, 2]);
  g.output(g.op('MatMul', [relu, w]), 'float32', [1, 2], 'y');
  return g.toBytes();
}

test('tapModel makes an inner tensor the only output, drops what it does not need and frees the batch', async () => {
  const model = tinyModel();
  const tapped = tapModel(model, { outputs: ['hidden'] });
  const summary = describeModel(tapped);
  assert.deepEqual(
    summary.outputs.map((o) => o.name),
    ['hidden'],
  );
  assert.deepEqual(summary.initializers, {}, 'the MatMul weight is not needed for hidden');
  assert.deepEqual(summary.inputs[0]?.dims, ['batch', 4]);
  assert.ok(!summary.nodes.some((n) => n.opType === 'MatMul'));
  const session = await EngineSession.create(tapped, { threads: 1 });
  try {
    const out = await session.run({
      x: { data: Float32Array.from([-1, 2, -3, 4, 5, -6, 7, -8]), dims: [2, 4] },
    });
    assert.deepEqual([...(out.hidden!.data as Float32Array)], [0, 2, 0, 4, 5, 0, 7, 0]);
  } finally {
    await session.dispose();
  }
  assert.throws(
    () => tapModel(model, { outputs: ['nope'] }),
    (e: unknown) => e instanceof UserError && /'nope'/.test(e.message),
  );
  // Errors name the model's file when the caller gives it.
  assert.throws(
    () => tapModel(model, { outputs: ['nope'], source: 'models/tiny.onnx' }),
    /^UserError: models\/tiny\.onnx has no tensor named 'nope'/,
  );
  assert.throws(
    () => describeModel(new TextEncoder().encode('not a model'), 'models/notes.onnx'),
    /^UserError: models\/notes\.onnx is not an ONNX model/,
  );
  assert.deepEqual(
    describeModel(tapModel(model, { outputs: ['y'], batchDim: false })).inputs[0]?.dims,
    [1, 4],
  );
});

test('preprocessing: seed centres and scales each image, imagenet and caffe normalise per channel, uint8 passes through', () => {
  // Four 1×1 RGB images, HWC.
  const four = Uint8Array.from([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110]);
  assert.throws(() => preprocessImages(four, { count: 3, side: 1, mode: 'seed' }), /images/);
  const seed = preprocessImages(four, { count: 4, side: 1, mode: 'seed' });
  // Image 0 = [0,10,20]: mean 10, largest |x − mean| 10 → [-1, 0, 1] (CHW of one pixel).
  assert.deepEqual([...seed.data.subarray(0, 3)], [-1, 0, 1]);
  assert.deepEqual(seed.dims, [4, 3, 1, 1]);
  const flat = preprocessImages(new Uint8Array(3).fill(7), { count: 1, side: 1, mode: 'seed' });
  assert.deepEqual([...flat.data], [0, 0, 0], 'a flat image stays 0');
  const net = preprocessImages(Uint8Array.from([255, 0, 128]), { count: 1, side: 1, mode: 'imagenet' });
  const expected = [(1 - 0.485) / 0.229, (0 - 0.456) / 0.224, (128 / 255 - 0.406) / 0.225];
  for (let c = 0; c < 3; c++)
    assert.ok(Math.abs(net.data[c]! - expected[c]!) < 1e-5, `imagenet channel ${c}`);
  const caffe = preprocessImages(Uint8Array.from([200, 100, 50]), { count: 1, side: 1, mode: 'caffe' });
  assert.deepEqual([...caffe.data], [50 - 104, 100 - 117, 200 - 123], 'BGR minus the Caffe mean');
  // Layout: 2×2 image, channel planes.
  const img = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
  const planes = preprocessImages(img, { count: 1, side: 2, mode: 'caffe' });
  assert.deepEqual(
    [...planes.data.subarray(0, 4)],
    [40 - 104, 100 - 104, 160 - 104, 220 - 104],
    'blue plane reads channel 2',
  );
  const raw = preprocessImages(img, { count: 1, side: 2, mode: 'uint8' });
  assert.equal(raw.data, img);
  assert.deepEqual(raw.dims, [1, 2, 2, 3]);
});

test('facelab features --backbone face: 128-d descriptors of resized box crops (--align off) or, by default, of the aligned crops, split and labelled as prepared', async () => {
  const out = join(tmp, 'face.npz');
  const run = await runCli([
    'features',
    '--data',
    dataDir,
    '--backbone',
    'face',
    '--align',
    'off',
    '--out',
    out,
    '--json',
    '--threads',
    '2',
  ]);
  assert.equal(run.code, 0, run.stderr);
  const summary = JSON.parse(run.stdout.trim().split('\n').pop()!);
  const prepared = await loadPrepared(dataDir, 227);
  const total = prepared.train.count + prepared.val.count + prepared.test.count;
  assert.equal(summary.backbone, 'face');
  assert.equal(summary.layer, 'descriptor');
  assert.equal(summary.features, 128);
  assert.equal(summary.images, total);
  assert.ok(summary.seconds > 0 && summary.images_per_s > 0);
  const set = await readFeatureSet(out);
  assert.equal(set.dim, 128);
  assert.deepEqual(set.actors, prepared.actors);
  for (const part of ['train', 'val', 'test'] as const) {
    assert.equal(set[part].count, prepared[part].count);
    assert.deepEqual([...set[part].y], [...prepared[part].labels], `${part} labels`);
  }
  // Without --align the face backbone reads the aligned crops prepare wrote (aligned_150.npz).
  const defaultOut = join(tmp, 'face-default.npz');
  const byDefault = await runCli([
    'features',
    '--data',
    dataDir,
    '--backbone',
    'face',
    '--out',
    defaultOut,
    '--threads',
    '2',
  ]);
  assert.equal(byDefault.code, 0, byDefault.stderr);
  const alignedSet = await readFeatureSet(defaultOut);
  assert.deepEqual([...alignedSet.test.y], [...set.test.y], 'same photos, same order');
  // The file holds what the backbone gives for the same (resized) crops.
  const crops = await loadCropsAtSide(dataDir, 150);
  const alignedCrops = await loadPrepared(dataDir, 150, { aligned: true });
  const backbone = await Backbone.load(await resolveBackbone({ backbone: 'face' }), { threads: 2 });
  try {
    const direct = await backbone.extract(crops.test.images.subarray(0, 3 * 150 * 150 * 3), 3);
    for (let i = 0; i < direct.length; i++)
      assert.ok(Math.abs(direct[i]! - set.test.x[i]!) < 1e-6, `test_x[${i}]`);
    const fromAligned = await backbone.extract(alignedCrops.test.images.subarray(0, 3 * 150 * 150 * 3), 3);
    let apart = 0;
    for (let i = 0; i < fromAligned.length; i++) {
      assert.ok(Math.abs(fromAligned[i]! - alignedSet.test.x[i]!) < 1e-6, `default test_x[${i}]`);
      apart = Math.max(apart, Math.abs(fromAligned[i]! - direct[i]!));
    }
    assert.ok(apart > 1e-3, `aligned and box crops give different descriptors (largest difference ${apart})`);
  } finally {
    await backbone.dispose();
  }
  // Real faces: the nearest training descriptor names the actor of (nearly) every test face.
  let right = 0;
  for (let i = 0; i < set.test.count; i++) {
    let best = Number.POSITIVE_INFINITY;
    let label = -1;
    for (let j = 0; j < set.train.count; j++) {
      let d = 0;
      for (let k = 0; k < 128; k++) d += (set.test.x[i * 128 + k]! - set.train.x[j * 128 + k]!) ** 2;
      if (d < best) [best, label] = [d, set.train.y[j]!];
    }
    if (label === set.test.y[i]) right++;
  }
  assert.ok(right / set.test.count >= 0.95, `1-NN test accuracy ${right}/${set.test.count} < 0.95`);
});

test('facelab features --backbone alexnet --random-weights: warns, 9216 pool5 features, NumPy reads the file', async (t) => {
  const out = join(tmp, 'alexnet.npz');
  const run = await runCli([
    'features',
    '--data',
    dataDir,
    '--backbone',
    'alexnet',
    '--random-weights',
    '1',
    '--out',
    out,
    '--json',
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /RANDOM weights.*MEANINGLESS/);
  const summary = JSON.parse(run.stdout.trim().split('\n').pop()!);
  assert.equal(summary.features, 9216);
  assert.equal(summary.layer, 'pool5');
  assert.equal(summary.random_weights, true);
  const missing = pythonMissing('numpy');
  if (missing) {
    t.diagnostic(`NumPy check skipped: ${missing}`);
    return;
  }
  const report = JSON.parse(
    runPython(
      `import sys, json, numpy as np
z = np.load(sys.argv[1])
print(json.dumps({k: [str(z[k].dtype), list(z[k].shape)] for k in ['train_x', 'train_y', 'val_x', 'val_y', 'test_x', 'test_y']}))`,
      { args: [out] },
    ).toString(),
  );
  const set = await readFeatureSet(out);
  assert.deepEqual(report.train_x, ['float32', [set.train.count, 9216]]);
  assert.deepEqual(report.test_y, ['int32', [set.test.count]]);
});

test('computeFeatures reuses a cached file only for the same backbone, layer and split', async () => {
  const out = join(tmp, 'cached.npz');
  const first = await computeFeatures({
    dataDir,
    out,
    backbone: 'face',
    layer: 'avgpool',
    reuse: true,
    threads: 2,
  });
  assert.equal(first.reused, false);
  assert.equal(first.set.dim, 256);
  const again = await computeFeatures({
    dataDir,
    out,
    backbone: 'face',
    layer: 'avgpool',
    reuse: true,
    threads: 2,
  });
  assert.equal(again.reused, true);
  assert.deepEqual(again.set.test.x, first.set.test.x);
  const other = await computeFeatures({ dataDir, out, backbone: 'face', reuse: true, threads: 2 });
  assert.equal(other.reused, false);
  assert.equal(other.set.dim, 128);
});

test('facelab features refuses bad requests with exit code 2 and a message naming the flag', async () => {
  const out = join(tmp, 'never.npz');
  const cases: [string[], RegExp][] = [
    [['--backbone', 'alexnet'], /pretrained weights.*README/s],
    [['--backbone', 'vgg'], /--backbone.*'vgg'/],
    [['--backbone', 'onnx'], /--weights FILE\.onnx/],
    [['--backbone', 'face', '--preprocess', 'bgr'], /--preprocess.*'bgr'/],
    [['--backbone', 'face', '--layer', 'fc9'], /--layer.*'fc9'/],
  ];
  // Model files that are not ONNX, or lack the tensor asked for: the message names the file.
  const notes = join(tmp, 'notes.onnx');
  await writeFile(notes, 'these are notes, not a model\n');
  const tiny = join(tmp, 'tiny.onnx');
  await writeFile(tiny, tinyModel());
  cases.push(
    [['--backbone', 'onnx', '--weights', notes], /notes\.onnx is not an ONNX model/],
    [['--backbone', 'alexnet', '--weights', notes], /notes\.onnx is not an ONNX model/],
    [['--backbone', 'onnx', '--weights', tiny, '--layer', 'nope'], /tiny\.onnx has no tensor named 'nope'/],
  );
  for (const [flags, message] of cases) {
    const run = await runCli(['features', '--data', dataDir, '--out', out, ...flags]);
    assert.equal(run.code, 2, `${flags.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, message);
  }
  const missing = join(tmp, 'nonexistent');
  const noData = await runCli(['features', '--data', missing, '--backbone', 'face', '--out', out]);
  assert.equal(noData.code, 2, noData.stderr);
  assert.equal(noData.stderr.trim().split('\n').length, 1, `one line: ${noData.stderr}`);
  assert.match(
    noData.stderr,
    /^facelab features: no split manifest at .*nonexistent.*split\.json: run 'facelab prepare/,
  );
  const noOut = await runCli(['features', '--data', dataDir, '--backbone', 'face']);
  assert.equal(noOut.code, 2);
  assert.match(noOut.stderr, /--out/);
});
