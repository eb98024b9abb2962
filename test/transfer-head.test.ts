/**
 * `facelab transfer` on the six actors of the shared photos: face descriptors → the default
 * head (hidden 300, lr 1e-3, batch 32, 200 epochs) → at least 95 % test accuracy (issue 5's
 * bar), compared with the same head on raw 32 px pixels.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { runTransfer } from '../src/transfer/transfer.js';
import { runCliProcess } from './helpers/cli-process.js';
import { makePreparedData } from './helpers/fake-cache.js';
import { repoRoot, SIX_ACTORS } from './helpers/shared.js';

let tmp: string;
let dataDir: string;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'facelab-transfer-'));
  dataDir = await makePreparedData(tmp, { actors: SIX_ACTORS, sizes: [32, 227] });
});

after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const runCli = runCliProcess;

test('facelab transfer --backbone face: ≥ 95 % test accuracy with the default head, compared with raw pixels', async (t) => {
  const out = join(tmp, 'face');
  // Relative paths on the command line (the CLI runs in the repository folder).
  const run = await runCli([
    'transfer',
    '--data',
    relative(repoRoot, dataDir),
    '--backbone',
    'face',
    '--out',
    relative(repoRoot, out),
    '--json',
    '--threads',
    '2',
  ]);
  assert.equal(run.code, 0, run.stderr);
  const summary = JSON.parse(run.stdout.trim().split('\n').pop()!);
  t.diagnostic(`face: ${JSON.stringify(summary.accuracy)}, raw pixels test ${summary.baseline_test}`);
  assert.equal(summary.backbone, 'face');
  assert.equal(summary.layer, 'descriptor');
  assert.equal(summary.features, 128);
  assert.ok(summary.accuracy.test >= 0.95, `test accuracy ${summary.accuracy.test} < 0.95`);
  assert.ok(
    summary.baseline_test > 1 / 6 && summary.baseline_test < 1,
    `baseline test ${summary.baseline_test}`,
  );
  const expected = (1 - summary.baseline_test - (1 - summary.accuracy.test)) / (1 - summary.baseline_test);
  assert.ok(
    Math.abs(summary.error_reduction - expected) < 1e-4,
    `error_reduction ${summary.error_reduction} vs ${expected}`,
  );
  assert.match(run.stderr, /raw pixels 32 px\s+3072/, 'with --json the table goes to stderr');
  for (const file of [
    'comparison.json',
    'baseline.json',
    'features-face-descriptor.npz',
    'head-face-descriptor/model.onnx',
    'head-face-descriptor/metrics.json',
  ]) {
    assert.ok(existsSync(join(out, file)), `${file} missing`);
  }
  const comparison = JSON.parse(await readFile(join(out, 'comparison.json'), 'utf8'));
  assert.equal(comparison.baseline.method, 'raw pixels 32 px');
  assert.deepEqual(
    comparison.rows.map((r: { method: string; errorReduction: number }) => [r.method, r.errorReduction]),
    [['face descriptor', expected]],
  );
  assert.deepEqual(comparison.head, { hidden: 300, batch: 32, lr: 1e-3, epochs: 200, seed: 0 });
  const metrics = JSON.parse(await readFile(join(out, 'head-face-descriptor', 'metrics.json'), 'utf8'));
  assert.equal(metrics.data, dataDir, 'the data folder is recorded as an absolute path');
  assert.equal(metrics.features, join(out, 'features-face-descriptor.npz'), 'so is the features file');

  // The same job again reuses the cached features and baseline and gives the same numbers.
  const again = await runTransfer({ dataDir, outDir: out, backbone: 'face', threads: 2 });
  assert.equal(again.featuresReused, true);
  assert.equal(again.seconds.baseline, 0);
  assert.deepEqual(again.accuracy, summary.accuracy);
});

test('runTransfer with grid: the reference grid chooses the head by validation accuracy', async () => {
  const out = join(tmp, 'face-grid');
  const result = await runTransfer({
    dataDir,
    outDir: out,
    backbone: 'face',
    grid: true,
    baselineSide: false,
    threads: 2,
  });
  assert.ok(result.chosen, 'no grid choice reported');
  assert.ok([20, 100, 200].includes(result.chosen.epochs) && [100, 200, 300].includes(result.chosen.hidden));
  assert.ok(result.accuracy.test >= 0.95, `test accuracy ${result.accuracy.test}`);
  assert.equal(result.baseline, undefined);
  const grid = JSON.parse(await readFile(join(out, 'grid-face-descriptor', 'grid.json'), 'utf8'));
  assert.equal(grid.points.length, 81);
  assert.deepEqual(
    [grid.best.epochs, grid.best.batch, grid.best.hidden, grid.best.lr],
    [result.chosen.epochs, result.chosen.batch, result.chosen.hidden, result.chosen.lr],
  );
});

test('facelab transfer refuses alexnet without weights (exit 2)', async () => {
  const run = await runCli(['transfer', '--data', dataDir, '--backbone', 'alexnet', '--out', join(tmp, 'x')]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /pretrained weights/);
});

test('facelab transfer on a folder without split.json: one line naming it (exit 2)', async () => {
  const missing = join(tmp, 'nonexistent');
  const run = await runCli(['transfer', '--data', missing, '--backbone', 'face', '--out', join(tmp, 'y')]);
  assert.equal(run.code, 2, run.stderr);
  assert.equal(run.stderr.trim().split('\n').length, 1, `one line: ${run.stderr}`);
  assert.match(run.stderr, /^facelab transfer: no split manifest at .*nonexistent.*split\.json/);
});
