/**
 * Grid search on a small synthetic problem: one run per (batch, hidden, lr) serves every epoch
 * count (checked against separate runs), worker threads give the same points as the main
 * thread, the selection rules and their tie-breaks, and the output folder.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { trainClassifier } from '../src/train/classifier-trainer.js';
import { GRID_FILES, runGrid } from '../src/train/grid-outputs.js';
import { type GridPoint, type GridResult, gridSearch, isBetter } from '../src/train/grid-search.js';
import { syntheticFeatures } from './helpers/synthetic-features.js';

const data = syntheticFeatures({ seed: 8, noise: 2.5 });
const grid = { epochs: [3, 8], batch: [8, 16], hidden: [6, 12], lr: [1e-3, 2e-2] };
let temp = '';
let onWorkers: GridResult;

before(async () => {
  temp = await mkdtemp(join(tmpdir(), 'facelab-grid-'));
  onWorkers = await gridSearch(data, { ...grid, seed: 4, workers: 2, threads: 1 });
});

after(async () => {
  await rm(temp, { recursive: true, force: true });
});

test('16 points from 8 runs; each equals a separate run of its own epoch count', async () => {
  assert.equal(onWorkers.points.length, 16);
  assert.equal(onWorkers.runs, 8);
  assert.deepEqual(
    onWorkers.points.slice(0, 3).map((p) => [p.epochs, p.batch, p.hidden, p.lr]),
    [
      [3, 8, 6, 1e-3],
      [3, 8, 6, 2e-2],
      [3, 8, 12, 1e-3],
    ],
    'grid order: epochs, batch, hidden, lr',
  );
  for (const p of [onWorkers.points[1]!, onWorkers.points[6]!, onWorkers.points[13]!]) {
    const direct = await trainClassifier(data, {
      hidden: p.hidden,
      batch: p.batch,
      lr: p.lr,
      epochs: p.epochs,
      seed: 4,
      threads: 1,
    });
    assert.deepEqual(p.accuracy, direct.accuracy, `point ${JSON.stringify(p)}`);
    assert.equal(p.loss, direct.curves.loss.at(-1));
  }
});

test('worker threads and the main thread give the same points', async () => {
  const inline = await gridSearch(data, { ...grid, seed: 4, workers: 1, threads: 1 });
  assert.equal(inline.workers, 1);
  assert.deepEqual(inline.points, onWorkers.points);
  assert.deepEqual(inline.best, onWorkers.best);
  assert.deepEqual(inline.bestCheckpoint.params, onWorkers.bestCheckpoint.params);
});

test('the chosen point is the best by validation accuracy, ties by train+val, then grid order', () => {
  const { points, best } = onWorkers;
  const maxVal = Math.max(...points.map((p) => p.accuracy.val));
  assert.equal(best.accuracy.val, maxVal);
  const tied = points.filter((p) => p.accuracy.val === maxVal);
  const mean = (p: GridPoint) => (p.accuracy.train + p.accuracy.val) / 2;
  assert.equal(mean(best), Math.max(...tied.map(mean)));
  assert.equal(
    best,
    tied.find((p) => mean(p) === mean(best)),
    'the first in grid order among full ties',
  );

  const point = (train: number, val: number, test: number): GridPoint => ({
    epochs: 1,
    batch: 1,
    hidden: 1,
    lr: 1,
    loss: 0,
    accuracy: { train, val, test },
  });
  assert.equal(isBetter(point(0.5, 0.8, 0.1), 5, point(1, 0.7, 0.9), 0, 'val'), true, 'validation first');
  assert.equal(isBetter(point(0.9, 0.8, 0.1), 5, point(0.8, 0.8, 0.9), 0, 'val'), true, 'then train');
  assert.equal(isBetter(point(0.8, 0.8, 0.1), 5, point(0.8, 0.8, 0.9), 0, 'val'), false, 'then grid order');
  assert.equal(isBetter(point(0.8, 0.8, 0.1), 0, point(0.8, 0.8, 0.9), 5, 'val'), true);
  assert.equal(isBetter(point(0.5, 0.5, 0.9), 5, point(1, 1, 0.8), 0, 'test'), true, "'test' picks by test");
});

test("select 'test' picks the best test accuracy (the reference's optimistic rule)", async () => {
  const result = await gridSearch(data, { ...grid, seed: 4, select: 'test' });
  assert.equal(result.best.accuracy.test, Math.max(...result.points.map((p) => p.accuracy.test)));
  assert.deepEqual(result.points, onWorkers.points);
});

test('runGrid writes grid.csv, grid.json, the heat-map and the chosen run, re-run bit for bit', async () => {
  const dir = join(temp, 'out');
  const result = await runGrid(data, { ...grid, seed: 4, dir, input: { kind: 'features' } });
  assert.equal(result.reproduced, true, "the re-run with curves ends with the sweep's parameters");
  const csv = (await readFile(join(dir, GRID_FILES.csv), 'utf8')).trim().split('\n');
  assert.equal(csv.length, 17);
  assert.equal(csv[0], 'epochs,batch,hidden,lr,train,val,test,loss,chosen');
  assert.equal(csv.filter((l) => l.endsWith(',1')).length, 1);
  const json = JSON.parse(await readFile(join(dir, GRID_FILES.json), 'utf8'));
  assert.equal(json.points.length, 16);
  assert.deepEqual({ ...json.best, dir: undefined }, { ...result.grid.best, dir: undefined });
  assert.match(json.selection.rule, /validation/);
  const metrics = JSON.parse(await readFile(join(dir, GRID_FILES.best, 'metrics.json'), 'utf8'));
  assert.equal(metrics.epochs, result.grid.best.epochs);
  assert.deepEqual(metrics.accuracy, result.grid.best.accuracy);
  assert.equal(metrics.curves.val.length, result.grid.best.epochs);
  assert.equal(metrics.curves.val.at(-1), result.grid.best.accuracy.val);
  assert.match(await readFile(join(dir, GRID_FILES.heatmapSvg), 'utf8'), /<svg/);
  assert.ok((await readFile(join(dir, GRID_FILES.heatmapPng))).length > 1000);
  assert.ok((await readFile(join(dir, GRID_FILES.best, 'model.onnx'))).length > 1000);
});

test('bad grids are refused by name', async () => {
  await assert.rejects(gridSearch(data, { lr: [] }), /for lr but received/);
  await assert.rejects(gridSearch(data, { batch: [8, 8] }), /distinct positive integers for batch/);
  await assert.rejects(gridSearch(data, { select: 'train' as 'val' }), /'val' or 'test' for select/);
});
