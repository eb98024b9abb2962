/**
 * `facelab transfer --layers`: the same head on each listed layer, the layer chosen by
 * validation accuracy, the contract's JSON, layers-<backbone>.json, the figure, and the
 * crop-taking model.onnx of every layer's head. On a small real dataset (four actors) with a
 * short head, so it says nothing about accuracy.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadClassifierFile } from '../src/train/classifier-file.js';
import { readLayerSweeps } from '../src/transfer/layer-sweep.js';
import { transferLayersSvg } from '../src/viz/transfer-layers.js';
import { runCliProcess } from './helpers/cli-process.js';
import { makePreparedData } from './helpers/fake-cache.js';
import { SMALL_RUN_ACTORS } from './helpers/small-run.js';

let tmp: string;
let dataDir: string;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'facelab-layers-'));
  dataDir = await makePreparedData(tmp, {
    actors: SMALL_RUN_ACTORS,
    sizes: [32, 112],
    splitSizes: { train: 10, val: 5, test: 5 },
  });
});

after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test('facelab transfer --layers LIST --json: one head per layer, chosen by validation, figure and sweep file', async () => {
  const out = join(tmp, 'out');
  const run = await runCliProcess([
    'transfer',
    '--data',
    dataDir,
    '--backbone',
    'expression',
    '--layers',
    'dense3,features,expressions',
    '--epochs',
    '15',
    '--hidden',
    '16',
    '--batch',
    '8',
    '--threads',
    '1',
    '--out',
    out,
    '--json',
  ]);
  assert.equal(run.code, 0, run.stderr);
  const summary = JSON.parse(run.stdout.trim().split('\n').pop()!);
  assert.deepEqual(Object.keys(summary), [
    'backbone',
    'layers',
    'chosen',
    'accuracy',
    'baseline_test',
    'error_reduction',
    'seconds',
  ]);
  assert.equal(summary.backbone, 'expression');
  assert.deepEqual(
    summary.layers.map((l: { layer: string; features: number }) => [l.layer, l.features]),
    [
      ['dense3', 256 * 7 * 7],
      ['features', 256],
      ['expressions', 7],
    ],
  );
  const bestVal = Math.max(...summary.layers.map((l: { val: number }) => l.val));
  const first = summary.layers.find((l: { val: number }) => l.val === bestVal);
  assert.equal(summary.chosen, first.layer, 'the first layer with the best validation accuracy');
  assert.equal(summary.accuracy.test, first.test);
  assert.ok(summary.baseline_test > 0 && summary.baseline_test <= 1);
  const expected = (1 - summary.baseline_test - (1 - first.test)) / (1 - summary.baseline_test);
  assert.ok(Math.abs(summary.error_reduction - expected) < 1e-4, `${summary.error_reduction} vs ${expected}`);
  assert.match(run.stderr, /expression: facial EXPRESSION/, 'says what the backbone was trained on');
  assert.match(run.stderr, /<- chosen \(best validation\)/);

  const [sweep] = await readLayerSweeps(out);
  assert.equal(sweep?.chosen, summary.chosen);
  const png = await readFile(join(out, 'transfer-layers.png'));
  assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], 'a PNG');
  const svg = await readFile(join(out, 'transfer-layers.svg'), 'utf8');
  assert.equal(svg, transferLayersSvg([sweep!]), 'the figure draws the sweep file');
  for (const layer of ['dense3', 'features', 'expressions']) {
    const model = await loadClassifierFile(join(out, `head-expression-${layer}`));
    assert.equal(model.input.kind, 'image', `${layer}: model.onnx takes the crop`);
    assert.equal(model.input.side, 112);
    assert.ok(existsSync(join(out, `head-expression-${layer}`, 'head.onnx')));
  }
});

test('facelab transfer --help names every backbone with what it was trained on', async () => {
  const run = await runCliProcess(['transfer', '--help']);
  assert.equal(run.code, 0);
  for (const pattern of [
    /face\s+face IDENTITY/,
    /expression\s+facial EXPRESSION/,
    /mobilenet\s+MobileNetV2.*ImageNet/,
    /inception\s+InceptionV3/,
    /layers: block_9_add/,
  ]) {
    assert.match(run.stdout, pattern);
  }
});

test('--layer and --layers together are refused (exit 2)', async () => {
  const run = await runCliProcess([
    'transfer',
    '--data',
    dataDir,
    '--backbone',
    'face',
    '--layer',
    'descriptor',
    '--layers',
    'all',
    '--out',
    join(tmp, 'x'),
  ]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /either --layer or --layers/);
});
