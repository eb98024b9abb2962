/**
 * `facelab train` and `facelab grid` end to end on the real shared photos (six actors, 32×32
 * crops prepared from a fake download cache), against the PyTorch re-run of the same method on
 * the same split.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { loadPrepared, type PreparedDataset } from '../src/data/dataset.js';
import { EngineSession } from '../src/engine/session.js';
import { accuracyOf } from '../src/train/metrics.js';
import { makePreparedData } from './helpers/fake-cache.js';
import { repoRoot } from './helpers/shared.js';

/**
 * Test accuracy of the reference method in PyTorch on facelab's split (seed-1 split of the six
 * actors, 362/104/105 photos): `OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/peer_same_split.py
 * <prepared dir>` with python3-torch 1.13.1 (Debian 12), which runs `train()` of
 * ../shared/bench/peer_seed.py unchanged (200 epochs, batch 32, hidden 300, lr 1e-3) on our
 * faces_32.npz: {"test": 0.8095238208770752} = 85/105, with `split_sha256` below.
 */
const PYTORCH_TEST_ACCURACY = 85 / 105;
const PYTORCH_SPLIT_SHA256 = '1c737d27891f33f0262da841d4968a1e7abe59b47a851a7699fe87ab87b64d15';
const TOLERANCE = 0.03;

const exec = promisify(execFile);
let temp = '';
let prepared = '';
let dataset: PreparedDataset;

before(async () => {
  temp = await mkdtemp(join(tmpdir(), 'facelab-train-real-'));
  prepared = await makePreparedData(temp, { name: 'prepared', sizes: [32] });
  dataset = await loadPrepared(prepared, 32);
});

after(async () => {
  await rm(temp, { recursive: true, force: true });
});

async function facelab(args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await exec(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'test/helpers/cli-entry.ts'), ...args, '--json'],
    {
      cwd: repoRoot,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines.at(-1)!) as Record<string, unknown>;
}

/** SHA-256 over each part's photo hashes in row order, as bench/peer_same_split.py computes it. */
function splitFingerprint(data: PreparedDataset): string {
  const hash = createHash('sha256');
  for (const part of ['train', 'val', 'test'] as const)
    hash.update(`${part}:${data[part].hashes.join(',')}\n`);
  return hash.digest('hex');
}

test('reference configuration: test accuracy within 3 points of PyTorch on the same split; model.onnx agrees', async () => {
  assert.deepEqual([dataset.train.count, dataset.val.count, dataset.test.count], [362, 104, 105]);
  assert.equal(splitFingerprint(dataset), PYTORCH_SPLIT_SHA256, 'the split PyTorch was run on');
  const out = join(temp, 'train');
  const summary = await facelab(['train', '--data', prepared, '--out', out, '--seed', '0']);
  const accuracy = summary.accuracy as { train: number; val: number; test: number };
  assert.equal(summary.epochs, 200);
  assert.equal(typeof summary.seconds, 'number');
  assert.ok(
    Math.abs(accuracy.test - PYTORCH_TEST_ACCURACY) <= TOLERANCE,
    `test accuracy ${accuracy.test.toFixed(4)} vs PyTorch ${PYTORCH_TEST_ACCURACY.toFixed(4)} (tolerance ${TOLERANCE})`,
  );
  assert.equal(accuracy.train, 1, 'the reference configuration fits the training set');

  const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
  assert.deepEqual(metrics.accuracy, accuracy);
  assert.equal(metrics.curves.test.length, 200);
  assert.deepEqual(metrics.confusion.labels, dataset.actors);

  // The exported model takes raw crops and normalises them itself.
  const session = await EngineSession.create(join(out, 'model.onnx'), { threads: 1 });
  try {
    const { images, count } = dataset.test;
    const result = await session.run({
      image: { data: Float32Array.from(images), dims: [count, 32, 32, 3] },
    });
    const probabilities = result.probabilities!.data as Float32Array;
    const predicted = Array.from({ length: count }, (_, r) => {
      const row = Array.from(probabilities.subarray(r * 6, r * 6 + 6));
      return row.indexOf(Math.max(...row));
    });
    assert.equal(accuracyOf(predicted, dataset.test.labels), accuracy.test, 'model.onnx in a fresh session');
  } finally {
    await session.dispose();
  }
});

test('facelab grid: contract line, files, and the optimistic rule labelled as such', async () => {
  const out = join(temp, 'grid');
  const grid = ['--epochs', '2,4', '--batch', '64,128', '--hidden', '20', '--lr', '1e-3,1e-2'];
  const summary = await facelab(['grid', '--data', prepared, '--out', out, ...grid]);
  assert.equal(summary.points, 8);
  assert.deepEqual(Object.keys(summary.best as object).sort(), ['batch', 'epochs', 'hidden', 'lr']);
  assert.equal(summary.select, 'val');
  const json = JSON.parse(await readFile(join(out, 'grid.json'), 'utf8'));
  assert.equal(json.points.length, 8);
  assert.equal(json.reproduced, true);
  assert.deepEqual(
    JSON.parse(await readFile(join(out, 'best', 'metrics.json'), 'utf8')).accuracy,
    summary.accuracy,
  );

  const optimistic = await facelab([
    'grid',
    '--data',
    prepared,
    '--out',
    join(temp, 'grid-test'),
    ...grid,
    '--select',
    'test',
  ]);
  assert.equal(optimistic.optimistic, true);
  const points = JSON.parse(await readFile(join(temp, 'grid-test', 'grid.json'), 'utf8')).points as {
    accuracy: { test: number };
  }[];
  assert.equal(
    (optimistic.accuracy as { test: number }).test,
    Math.max(...points.map((p) => p.accuracy.test)),
  );
});
