/**
 * `facelab predict` on real FaceScrub photos: a small model trained on crops `prepare` made from
 * the shared photos must, given the same photos and list boxes, give exactly the probabilities
 * it gives on the prepared crops (so the crop and resize are the training ones), agree with its
 * own train/test accuracy, and list probabilities in order. Also: the centred square without
 * --box, --top, a transfer head with a recorded face backbone, and every user error (exit 2).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadPrepared, type PreparedDataset } from '../src/data/dataset.js';
import { type FaceBox, readFaceList } from '../src/data/face-list.js';
import { readSplitManifest } from '../src/data/split-manifest.js';
import { buildClassifierModel } from '../src/engine/classifier-model.js';
import { GraphBuilder } from '../src/engine/onnx-builder.js';
import { EngineSession } from '../src/engine/session.js';
import { trainClassifier } from '../src/train/classifier-trainer.js';
import { featuresFromImages } from '../src/train/features.js';
import type { HeadBackbone } from '../src/train/head-backbone.js';
import { type PhotoWithBox, predictPhotos } from '../src/train/predict.js';
import { type RunMetrics, writeRunOutputs } from '../src/train/run-outputs.js';
import { Backbone } from '../src/transfer/backbone.js';
import { resolveBackbone } from '../src/transfer/backbones.js';
import { loadCropsAtSide } from '../src/transfer/crops.js';
import { runTransfer } from '../src/transfer/transfer.js';
import { type CliProcessResult, runCliProcess } from './helpers/cli-process.js';
import { makePreparedData } from './helpers/fake-cache.js';
import { facescrubImages, facescrubList, repoRoot } from './helpers/shared.js';

/** Three of the seed actors: enough classes for --top, few photos to crop. */
const ACTORS = ['Alec Baldwin', 'Lorraine Bracco', 'Peri Gilpin'];
const SIDE = 32;

let tmp = '';
let dataDir = '';
let modelPath = '';
let metrics: RunMetrics;
let data: PreparedDataset;
/** Photo file and list box of every prepared photo, by SHA-256. */
const photoOf = new Map<string, PhotoWithBox & { box: FaceBox }>();

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'facelab-predict-'));
  dataDir = await makePreparedData(tmp, {
    actors: ACTORS,
    sizes: [SIDE, 227],
    splitSizes: { train: 20, val: 5, test: 5 },
  });
  data = await loadPrepared(dataDir, SIDE);
  const features = featuresFromImages(data);
  const result = await trainClassifier(features, {
    hidden: 30,
    epochs: 40,
    batch: 16,
    lr: 1e-3,
    seed: 0,
    threads: 1,
    curves: false,
  });
  const runDir = join(tmp, 'run');
  metrics = await writeRunOutputs({
    dir: runDir,
    result,
    data: features,
    input: { kind: 'image', side: SIDE },
  });
  modelPath = join(runDir, 'model.onnx');

  const manifest = await readSplitManifest(dataDir);
  const lines = new Map(
    (await readFaceList(facescrubList, { actors: ACTORS })).lines.map((l) => [l.line, l]),
  );
  const files = new Map((await readdir(facescrubImages)).map((f) => [f.slice(0, 64), f]));
  for (const [hash, entry] of Object.entries(manifest.photos)) {
    photoOf.set(hash, { photo: join(facescrubImages, files.get(hash)!), box: lines.get(entry.line!)!.box });
  }
});

after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Probabilities of the model on prepared crops, run straight in ORT (no predict code). */
async function modelOnCrops(model: string, images: Uint8Array, count: number): Promise<Float32Array> {
  const session = await EngineSession.create(model, { threads: 1 });
  try {
    const out = await session.run({
      image: { data: Float32Array.from(images), dims: [count, SIDE, SIDE, 3] },
    });
    return out.probabilities!.data as Float32Array;
  } finally {
    await session.dispose();
  }
}

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

/** Runs `facelab predict` once per argument list, all in one child process (see cli-batch.ts). */
function runCliBatch(cases: string[][]): Promise<CliProcessResult[]> {
  const argv = cases.map((args) => ['predict', ...args]);
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/helpers/cli-batch.ts', JSON.stringify(argv)],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`cli-batch exited with ${code}: ${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as CliProcessResult[]);
    });
  });
}

/** Runs `facelab predict` in a process of its own, as a user would (exit code included). */
const runCli = (args: string[]): Promise<CliProcessResult> => runCliProcess(['predict', ...args]);

test('predict on the prepared photos with their list boxes = the model on the prepared crops; accuracies agree', async () => {
  for (const part of ['train', 'test'] as const) {
    const split = data[part];
    const photos = split.hashes.map((h) => photoOf.get(h)!);
    const { predictions, actors, cropSide } = await predictPhotos({
      model: modelPath,
      photos,
      top: ACTORS.length,
      threads: 1,
    });
    assert.deepEqual(actors, data.actors);
    assert.equal(cropSide, SIDE);
    const expected = await modelOnCrops(modelPath, split.images, split.count);
    let correct = 0;
    for (const [i, prediction] of predictions.entries()) {
      const row = expected.subarray(i * actors.length, (i + 1) * actors.length);
      assert.equal(prediction.photo, photos[i]!.photo);
      assert.deepEqual(prediction.box, photos[i]!.box);
      assert.equal(prediction.centredSquare, false);
      assert.equal(prediction.top[0]!.actor, actors[argmax(row)], `${part} photo ${i}: same top actor`);
      for (const { actor, p } of prediction.top) {
        // Same crop bytes in the same graph: equal up to batch-size effects in ORT's kernels.
        assert.ok(Math.abs(p - row[actors.indexOf(actor)]!) <= 1e-5, `${part} ${i} ${actor}: ${p}`);
      }
      if (prediction.top[0]!.actor === actors[split.labels[i]!]) correct++;
    }
    assert.equal(
      correct / split.count,
      metrics.accuracy[part],
      `${part} accuracy as the trainer measured it`,
    );
  }
});

test('--json: probabilities descend, sum to at most 1, --top is respected and capped at the actor count', async () => {
  const photos = data.test.hashes.slice(0, 4).map((h) => photoOf.get(h)!);
  const box = photos[0]!.box;
  const boxText = [box.x1, box.y1, box.x2, box.y2].join(',');
  const tops = [1, 2, 9];
  const runs = await runCliBatch(
    tops.map((top) => [
      '--model',
      modelPath,
      ...photos.map((p) => p.photo),
      '--box',
      boxText,
      '--top',
      String(top),
      '--threads',
      '1',
      '--json',
    ]),
  );
  for (const [r, top] of tops.entries()) {
    const run = runs[r]!;
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout.trim().split('\n').pop()!) as {
      photo: string;
      box: number[];
      centredSquare: boolean;
      top: { actor: string; p: number }[];
    }[];
    assert.equal(out.length, photos.length);
    for (const [i, entry] of out.entries()) {
      assert.equal(entry.photo, photos[i]!.photo);
      assert.deepEqual(entry.box, [box.x1, box.y1, box.x2, box.y2]);
      assert.equal(entry.centredSquare, false);
      assert.equal(entry.top.length, Math.min(top, ACTORS.length));
      assert.equal(new Set(entry.top.map((t) => t.actor)).size, entry.top.length);
      const ps = entry.top.map((t) => t.p);
      for (let k = 1; k < ps.length; k++) assert.ok(ps[k - 1]! >= ps[k]!, `descending: ${ps}`);
      const sum = ps.reduce((a, b) => a + b, 0);
      assert.ok(ps.every((p) => p >= 0) && sum <= 1 + 1e-6, `sum ${sum}`);
      if (entry.top.length === ACTORS.length) assert.ok(Math.abs(sum - 1) <= 1e-5, `all actors: sum ${sum}`);
    }
  }
});

test('without --box every face is found: each with its box, score and top actors, the listed face among them', async () => {
  const hash = data.train.hashes[0]!;
  const { photo, box } = photoOf.get(hash)!;
  const run = await runCli(['--model', modelPath, photo, '--threads', '1', '--json']);
  assert.equal(run.code, 0, run.stderr);
  const [entry] = JSON.parse(run.stdout.trim().split('\n').pop()!);
  assert.equal(entry.photo, photo);
  assert.ok(entry.faces.length >= 1, 'a face is found');
  const overlaps = entry.faces.map((f: { box: number[] }) => {
    const [x1, y1, x2, y2] = f.box as [number, number, number, number];
    const ix = Math.max(0, Math.min(x2, box.x2) - Math.max(x1, box.x1));
    const iy = Math.max(0, Math.min(y2, box.y2) - Math.max(y1, box.y1));
    return (ix * iy) / ((x2 - x1) * (y2 - y1) + (box.x2 - box.x1) * (box.y2 - box.y1) - ix * iy);
  });
  assert.ok(Math.max(...overlaps) >= 0.5, `the listed face is found: IoU ${overlaps}`);
  for (const face of entry.faces) {
    assert.ok(face.score > 0.5 && face.score <= 1, `score ${face.score}`);
    assert.equal(face.top.length, 3);
  }
  // Human output names each face and its box.
  const human = await runCli(['--model', join(tmp, 'run'), photo, '--threads', '1']);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /face 1 at \d+,\d+,\d+,\d+ \(score [01]\.\d\d\)/);
  assert.match(human.stdout, / {4}1\. (Alec Baldwin|Lorraine Bracco|Peri Gilpin) +0\.\d{4}/);
});

test('a transfer head recording its face backbone runs the backbone first (crops cut at 227, resized to 150)', async () => {
  const spec = await resolveBackbone({ backbone: 'face' });
  const backbone = await Backbone.load(spec, { threads: 1 });
  const crops = await loadCropsAtSide(dataDir, spec.side); // as facelab transfer makes them
  let expected: Float32Array;
  let head = '';
  const testPhotos = crops.test.hashes.map((h) => photoOf.get(h)!);
  try {
    const rows = async (part: 'train' | 'val' | 'test') => ({
      x: await backbone.extract(crops[part].images, crops[part].count),
      labels: crops[part].labels,
      count: crops[part].count,
    });
    const set = {
      inputDim: 128,
      classes: ACTORS.length,
      classNames: crops.actors,
      train: await rows('train'),
      val: await rows('val'),
      test: await rows('test'),
    };
    const run = await trainClassifier(set, {
      hidden: 16,
      epochs: 30,
      batch: 16,
      seed: 0,
      threads: 1,
      curves: false,
    });
    const record: HeadBackbone = {
      kind: 'face',
      layer: 'descriptor',
      preprocess: 'uint8',
      cropSide: 227,
      modelSha256: spec.modelSha256,
    };
    const bytes = buildClassifierModel({
      params: run.checkpoints.at(-1)!.params,
      input: { kind: 'features' },
      labels: crops.actors,
      extra: { backbone: record },
    });
    head = join(tmp, 'head-face.onnx');
    await writeFile(head, bytes);
    const session = await EngineSession.create(bytes, { threads: 1 });
    expected = (await session.run({ features: { data: set.test.x, dims: [set.test.count, 128] } }))
      .probabilities!.data as Float32Array;
    await session.dispose();

    // What facelab transfer writes today (no backbone record) is refused with the reason.
    await writeRunOutputs({
      dir: join(tmp, 'head-plain'),
      result: run,
      data: set,
      input: { kind: 'features' },
    });
  } finally {
    await backbone.dispose();
  }
  const { predictions, cropSide } = await predictPhotos({
    model: head,
    photos: testPhotos,
    top: 3,
    threads: 1,
  });
  assert.equal(cropSide, 227);
  for (const [i, prediction] of predictions.entries()) {
    const row = expected.subarray(i * 3, (i + 1) * 3);
    for (const { actor, p } of prediction.top) {
      assert.ok(Math.abs(p - row[crops.actors.indexOf(actor)]!) <= 1e-4, `test photo ${i} ${actor}: ${p}`);
    }
    assert.equal(prediction.top[0]!.actor, crops.actors[argmax(row)]);
  }
  const plain = await runCli([
    '--model',
    join(tmp, 'head-plain'),
    testPhotos[0]!.photo,
    '--box',
    '0,0,50,50',
  ]);
  assert.equal(plain.code, 2);
  assert.match(plain.stderr, /transfer head taking 128 backbone features.*does not record the backbone/);
});

test('the head facelab transfer writes records its backbone, so predict reproduces its test accuracy from the photos', async () => {
  const outDir = join(tmp, 'transfer');
  const transfer = await runTransfer({
    dataDir,
    outDir,
    backbone: 'face',
    // The box crops, so that the listed boxes reproduce the test crops (aligned heads are tested in predict-faces).
    align: false,
    hidden: 16,
    epochs: 30,
    batch: 16,
    threads: 1,
    baselineSide: false,
  });
  const crops = await loadPrepared(dataDir, 227);
  const testPhotos = crops.test.hashes.map((h) => photoOf.get(h)!);
  // head.onnx is the head taking features (model.onnx beside it is the portable backbone + head
  // taking 150 px crops): its recorded backbone cuts 227 px crops as prepare did, so the test
  // crops are reproduced exactly.
  const { predictions, cropSide } = await predictPhotos({
    model: join(outDir, 'head-face-descriptor', 'head.onnx'),
    photos: testPhotos,
    top: 1,
    threads: 1,
  });
  assert.equal(cropSide, 227);
  const right = predictions.filter((p, i) => p.top[0]!.actor === crops.actors[crops.test.labels[i]!]).length;
  assert.equal(right / predictions.length, transfer.accuracy.test);
});

test('every user error is one line and exit code 2', async () => {
  const photo = photoOf.get(data.train.hashes[0]!)!.photo;
  const text = join(tmp, 'notes.txt');
  await writeFile(text, 'not a photo at all\n');
  const noMeta = new GraphBuilder('plain');
  noMeta.output(
    noMeta.op('Identity', [noMeta.input('x', 'float32', ['batch', 3])]),
    'float32',
    ['batch', 3],
    'y',
  );
  const plainOnnx = join(tmp, 'plain.onnx');
  await writeFile(plainOnnx, noMeta.toBytes());
  const otherFormat = join(tmp, 'other.onnx');
  await writeFile(otherFormat, noMeta.toBytes({ metadata: { facelab: '{"format":"something-else/2"}' } }));
  const box = ['--box', '0,0,100,100'];
  const cases: [string, string[], RegExp][] = [
    [
      'missing photo',
      ['--model', modelPath, join(tmp, 'absent.jpg'), ...box],
      /absent\.jpg: cannot read the photo/,
    ],
    ['not an image', ['--model', modelPath, text, ...box], /notes\.txt: the bytes are not a JPEG, PNG/],
    ['not an image, no box', ['--model', modelPath, text], /notes\.txt: the bytes are not a JPEG, PNG/],
    [
      'malformed box',
      ['--model', modelPath, photo, '--box', '1,2,3'],
      /x1,y1,x2,y2 \(four integers\) for --box/,
    ],
    ['box of words', ['--model', modelPath, photo, '--box', 'a,b,c,d'], /for --box but received 'a,b,c,d'/],
    ['empty box', ['--model', modelPath, photo, '--box', '10,10,10,50'], /non-empty box.*'10,10,10,50'/],
    [
      'box outside the photo',
      ['--model', modelPath, photo, '--box', '90000,90000,90100,90100'],
      /face box 90000,90000,90100,90100 lies outside the \d+×\d+ image/,
    ],
    [
      'box left of the photo',
      ['--model', modelPath, photo, '--box', '-50,0,-10,20'],
      /face box -50,0,-10,20 lies outside the \d+×\d+ image/,
    ],
    [
      'box ending at the left edge',
      ['--model', modelPath, photo, '--box', '-50,0,0,20'],
      /face box -50,0,0,20 lies outside the \d+×\d+ image/,
    ],
    ['model not found', ['--model', join(tmp, 'nowhere', 'model.onnx'), photo, ...box], /model not found/],
    [
      'model not found, no box',
      ['--model', join(tmp, 'nowhere.onnx'), photo],
      /model not found: .*nowhere\.onnx/,
    ],
    ['folder without a model', ['--model', dataDir, photo, ...box], /folder without model\.onnx/],
    [
      'a photo as the model',
      ['--model', photo, photo, ...box],
      /is not a facelab model \(not an ONNX file\)/,
    ],
    [
      'ONNX without metadata',
      ['--model', plainOnnx, photo, ...box],
      /not a facelab model \(no 'facelab' metadata/,
    ],
    ['another format', ['--model', otherFormat, photo, ...box], /not a facelab model \(unknown format/],
    ['no photo', ['--model', modelPath], /at least one PHOTO/],
    ['unknown flag', ['--model', modelPath, photo, '--boxes', '1,2,3,4'], /Unknown option '--boxes'.*--help/],
    ['flag without its value', ['--model', modelPath, photo, '--box'], /argument missing.*--help/],
    ['no model', [photo], /Missing required option --model/],
    ['top 0', ['--model', modelPath, photo, ...box, '--top', '0'], /for --top but received '0'/],
  ];
  const runs = await runCliBatch(cases.map(([, args]) => args));
  for (const [c, [name, , message]] of cases.entries()) {
    const run = runs[c]!;
    assert.equal(run.code, 2, `${name}: ${run.stderr}`);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${name}: one line, got ${JSON.stringify(run.stderr)}`);
    assert.match(lines[0]!, /^facelab predict: /, name);
    assert.match(lines[0]!, message, name);
    assert.equal(run.stdout, '', `${name}: nothing on stdout`);
  }
});
