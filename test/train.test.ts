/**
 * The trainer on a small synthetic problem: seeded reproducibility, the prefix property that the
 * grid search relies on, curves on/off giving the same training, checkpoints, the output folder,
 * and the exported model reproducing the trainer's accuracy in a fresh ORT session.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EngineSession } from '../src/engine/session.js';
import { InvalidOptionError } from '../src/errors.js';
import { ClassifierTrainer, type RunResult, trainClassifier } from '../src/train/classifier-trainer.js';
import { accuracyOf } from '../src/train/metrics.js';
import { RUN_FILES, type RunMetrics, writeRunOutputs } from '../src/train/run-outputs.js';
import { syntheticFeatures } from './helpers/synthetic-features.js';

const data = syntheticFeatures();
let trainer: ClassifierTrainer;
let temp = '';

before(async () => {
  trainer = await ClassifierTrainer.create(data, { hidden: 16, batch: 8, threads: 1 });
  temp = await mkdtemp(join(tmpdir(), 'facelab-train-'));
});

after(async () => {
  await trainer.dispose();
  await rm(temp, { recursive: true, force: true });
});

const final = (r: RunResult) => r.checkpoints.at(-1)!;

test('the same seed gives bit-identical parameters and curves; another seed does not', async () => {
  const a = await trainer.run({ epochs: 12, lr: 0.01, seed: 3 });
  const b = await trainer.run({ epochs: 12, lr: 0.01, seed: 3 });
  const c = await trainer.run({ epochs: 12, lr: 0.01, seed: 4 });
  assert.deepEqual(final(b).params, final(a).params);
  assert.deepEqual(b.curves, a.curves);
  assert.notDeepEqual(final(c).params.w1, final(a).params.w1);
  assert.equal(a.curves.val.length, 12);
  assert.ok(a.accuracy.train > 0.9, `the synthetic problem is learnt (train accuracy ${a.accuracy.train})`);
  // A fresh session (another trainer) gives the same bits too.
  const fresh = await trainClassifier(data, {
    hidden: 16,
    batch: 8,
    threads: 1,
    epochs: 12,
    lr: 0.01,
    seed: 3,
  });
  assert.deepEqual(final(fresh).params, final(a).params);
});

test('a run of E epochs is the prefix of a longer run (checkpoints), whatever the chunking', async () => {
  const long = await trainer.run({
    epochs: 20,
    lr: 0.005,
    seed: 1,
    curves: false,
    checkpoints: [5, 13],
    chunkEpochs: 7,
  });
  assert.deepEqual(
    long.checkpoints.map((c) => c.epochs),
    [5, 13, 20],
  );
  for (const epochs of [5, 13]) {
    const short = await trainer.run({ epochs, lr: 0.005, seed: 1, chunkEpochs: 3 });
    const kept = long.checkpoints.find((c) => c.epochs === epochs)!;
    assert.deepEqual(kept.params, final(short).params, `parameters after ${epochs} epochs`);
    assert.deepEqual(kept.accuracy, short.accuracy, `accuracies after ${epochs} epochs`);
    assert.equal(kept.loss, short.curves.loss.at(-1));
  }
});

test('curves off trains the same parameters and only evaluates at checkpoints', async () => {
  const on = await trainer.run({ epochs: 6, lr: 0.01, seed: 2 });
  const off = await trainer.run({ epochs: 6, lr: 0.01, seed: 2, curves: false });
  assert.deepEqual(final(off).params, final(on).params);
  assert.deepEqual(off.curves.val, []);
  assert.equal(off.curves.loss.length, 6);
  assert.deepEqual(off.accuracy, on.accuracy);
  assert.deepEqual(on.accuracy, {
    train: on.curves.train[5],
    val: on.curves.val[5],
    test: on.curves.test[5],
  });
});

test('progress events count epochs', async () => {
  const events: string[] = [];
  await trainer.run({
    epochs: 5,
    chunkEpochs: 2,
    onProgress: (e) => events.push(e.kind === 'advance' ? `${e.done}/${e.total}` : e.kind),
  });
  assert.deepEqual(events, ['start', '2/5', '4/5', '5/5', 'done']);
});

test('the output folder: model.onnx reproduces the test accuracy in a fresh session', async () => {
  const result = await trainer.run({ epochs: 10, lr: 0.01, seed: 0 });
  const dir = join(temp, 'run');
  const written = await writeRunOutputs({ dir, result, data, input: { kind: 'features' } });
  const metrics = JSON.parse(await readFile(join(dir, RUN_FILES.metrics), 'utf8')) as RunMetrics;
  assert.deepEqual(metrics, JSON.parse(JSON.stringify(written)));
  assert.deepEqual(metrics.accuracy, result.accuracy);
  assert.equal(metrics.curves.val.length, 10);
  assert.equal(
    metrics.confusion.matrix.flat().reduce((a, b) => a + b, 0),
    data.test.count,
  );
  assert.match(await readFile(join(dir, RUN_FILES.curveSvg), 'utf8'), /^<svg|<\?xml/);
  const png = await readFile(join(dir, RUN_FILES.curvePng));
  assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], 'a PNG');

  const session = await EngineSession.create(join(dir, RUN_FILES.model), { threads: 1 });
  try {
    const out = await session.run({
      features: { data: data.test.x, dims: [data.test.count, data.inputDim] },
    });
    const logits = out.logits!.data as Float32Array;
    const predicted = Array.from({ length: data.test.count }, (_, r) => {
      const row = Array.from(logits.subarray(r * data.classes, (r + 1) * data.classes));
      return row.indexOf(Math.max(...row));
    });
    assert.equal(accuracyOf(predicted, data.test.labels), result.accuracy.test);
  } finally {
    await session.dispose();
  }
});

test('bad options are refused by name', async () => {
  await assert.rejects(trainer.run({ lr: 0 }), InvalidOptionError);
  await assert.rejects(
    trainer.run({ epochs: 1.5 }),
    /Expected a positive integer for epochs but received 1.5/,
  );
  await assert.rejects(
    trainer.run({ epochs: 5, checkpoints: [6] }),
    /epoch counts from 1 to 5 for checkpoints but received 6/,
  );
  await assert.rejects(ClassifierTrainer.create(data, { hidden: 0 }), /for hidden but received 0/);
});
