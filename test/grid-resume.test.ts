/**
 * Resumable grid search: finished runs are stored in `runs/` as they end; a search aborted
 * midway and started again trains only the missing runs and ends with the same points, choice
 * and exported model as an uninterrupted search. Stored runs of other data, seeds or thread
 * counts, and damaged files, are not used.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { resolveTrainingEngine } from '../src/engine/mlp-training-engine.js';
import type { ProgressEvent } from '../src/progress.js';
import { GRID_FILES, runGrid } from '../src/train/grid-outputs.js';
import { featureSetFingerprint, GridRunStore } from '../src/train/grid-run-store.js';
import { type GridOptions, type GridResult, gridSearch } from '../src/train/grid-search.js';
import { syntheticFeatures } from './helpers/synthetic-features.js';

const data = syntheticFeatures({ seed: 8, noise: 2.5 });
const grid = { epochs: [3, 8], batch: [8, 16], hidden: [6, 12], lr: [1e-3, 2e-2], seed: 4, threads: 1 };
const RUNS = 8;
let temp = '';
let uninterrupted: GridResult;

before(async () => {
  temp = await mkdtemp(join(tmpdir(), 'facelab-grid-resume-'));
  uninterrupted = await gridSearch(data, { ...grid, workers: 1 });
});

after(async () => {
  await rm(temp, { recursive: true, force: true });
});

/** Runs a search that aborts itself once `epochs` epochs of training were reported. */
async function abortedSearch(runsDir: string, epochs: number, options: GridOptions): Promise<unknown> {
  const controller = new AbortController();
  const onProgress = (event: ProgressEvent): void => {
    if (event.kind === 'advance' && event.done >= epochs) controller.abort(new Error('stopped by the test'));
  };
  return gridSearch(data, { ...grid, ...options, runsDir, signal: controller.signal, onProgress }).then(
    () => assert.fail('the aborted search should reject'),
    (error: unknown) => error,
  );
}

function jsonFiles(names: string[]): string[] {
  return names.filter((n) => n.endsWith('.json'));
}

test('aborted after 3 runs in this thread: 3 stored; the resumed search trains 5 and equals an uninterrupted one', async () => {
  const runsDir = join(temp, 'inline');
  const error = await abortedSearch(runsDir, 3 * 8, { workers: 1 });
  assert.match(String(error), /stopped by the test/);
  const stored = jsonFiles(await readdir(runsDir));
  assert.equal(stored.length, 3, 'the run that was training when the signal fired finishes and is stored');

  let total = -1;
  const resumed = await gridSearch(data, {
    ...grid,
    workers: 1,
    runsDir,
    onProgress: (e) => {
      if (e.kind === 'start') total = e.total;
    },
  });
  assert.equal(resumed.reusedRuns, 3);
  assert.equal(total, 5 * 8, 'only the 5 missing runs are trained (8 epochs each)');
  assert.deepEqual(resumed.points, uninterrupted.points);
  assert.deepEqual(resumed.best, uninterrupted.best);
  assert.equal(resumed.bestCheckpoint.paramsSha256, uninterrupted.bestCheckpoint.paramsSha256);
  assert.deepEqual(resumed.bestCheckpoint.confusion, uninterrupted.bestCheckpoint.confusion);
  assert.equal(jsonFiles(await readdir(runsDir)).length, RUNS);

  const again = await gridSearch(data, { ...grid, workers: 1, runsDir });
  assert.equal(again.reusedRuns, RUNS, 'a third search trains nothing');
  assert.deepEqual(again.points, uninterrupted.points);
  assert.deepEqual(again.best, uninterrupted.best);
  assert.equal(again.bestCheckpoint.params, undefined, 'a loaded run has only its parameter hash');
});

test('aborted on worker threads: workers stop, finished runs are whole files, the resume equals', async () => {
  const runsDir = join(temp, 'workers');
  const error = await abortedSearch(runsDir, 2 * 8, { workers: 2 });
  assert.match(String(error), /stopped by the test/);
  const names = await readdir(runsDir).catch(() => [] as string[]);
  const stored = jsonFiles(names);
  assert.ok(stored.length < RUNS, `${stored.length} runs stored before the abort`);
  assert.deepEqual(
    names.filter((n) => n.endsWith('.tmp')),
    [],
    'no temp file left behind',
  );
  for (const name of stored) JSON.parse(await readFile(join(runsDir, name), 'utf8'));

  const resumed = await gridSearch(data, { ...grid, workers: 2, runsDir });
  assert.equal(resumed.reusedRuns, stored.length);
  assert.deepEqual(resumed.points, uninterrupted.points);
  assert.deepEqual(resumed.best, uninterrupted.best);
});

test('a stop ends running tasks at their next chunk of epochs (20), in workers and in this thread', async () => {
  for (const workers of [2, 1]) {
    const runsDir = join(temp, `mid-task-${workers}`);
    const controller = new AbortController();
    let done = 0;
    const search = gridSearch(data, {
      ...grid,
      epochs: [5, 60],
      workers,
      runsDir,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.kind !== 'advance') return;
        done = e.done;
        controller.abort(new Error('stop now'));
      },
    });
    await assert.rejects(search, /stop now/);
    // First chunks end at epoch 5; each running task trains at most one more chunk of 20.
    assert.ok(done <= workers * (5 + 20), `${done} epochs trained after the stop (${workers} workers)`);
    assert.deepEqual(jsonFiles(await readdir(runsDir).catch(() => [])), [], 'no half-trained run stored');
  }
});

test('runGrid resumed from runs/ writes the same grid.json, metrics and model as an uninterrupted runGrid', async () => {
  const whole = join(temp, 'whole');
  const split = join(temp, 'split');
  const options = { ...grid, workers: 1, input: { kind: 'features' as const } };
  await runGrid(data, { ...options, dir: whole });
  const controller = new AbortController();
  await assert.rejects(
    runGrid(data, {
      ...options,
      dir: split,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.kind === 'advance' && e.task === 'grid' && e.done >= 5 * 8) controller.abort(new Error('stop'));
      },
    }),
    /stop/,
  );
  assert.equal(jsonFiles(await readdir(join(split, GRID_FILES.runs))).length, 5);
  await assert.rejects(readFile(join(split, GRID_FILES.json)), 'no grid.json before the search ends');
  const resumed = await runGrid(data, { ...options, dir: split });
  assert.equal(resumed.grid.reusedRuns, 5);
  assert.equal(resumed.reproduced, true, 'the re-trained chosen point matches the stored hash');

  const read = async (dir: string, ...path: string[]) => readFile(join(dir, ...path), 'utf8');
  const results = (text: string) => {
    const { points, best, selection, seed, runs } = JSON.parse(text);
    return { points, best, selection, seed, runs };
  };
  assert.deepEqual(results(await read(split, GRID_FILES.json)), results(await read(whole, GRID_FILES.json)));
  assert.equal(JSON.parse(await read(split, GRID_FILES.json)).reusedRuns, 5);
  assert.equal(await read(split, GRID_FILES.csv), await read(whole, GRID_FILES.csv));
  const metrics = (text: string) => {
    const { accuracy, curves, confusion, epochs, config } = JSON.parse(text);
    return { accuracy, curves, confusion, epochs, config };
  };
  assert.deepEqual(
    metrics(await read(split, GRID_FILES.best, 'metrics.json')),
    metrics(await read(whole, GRID_FILES.best, 'metrics.json')),
  );
  assert.deepEqual(
    await readFile(join(split, GRID_FILES.best, 'model.onnx')),
    await readFile(join(whole, GRID_FILES.best, 'model.onnx')),
    'the exported model is byte-identical',
  );
});

test('stored runs of another seed, other data or other threads are not used, and are replaced', async () => {
  const runsDir = join(temp, 'stale');
  await gridSearch(data, { ...grid, workers: 1, runsDir });
  const otherSeed = await gridSearch(data, { ...grid, seed: 5, workers: 1, runsDir });
  assert.equal(otherSeed.reusedRuns, 0);
  const otherData = syntheticFeatures({ seed: 9, noise: 2.5 });
  assert.notEqual(featureSetFingerprint(otherData), featureSetFingerprint(data));
  const onOther = await gridSearch(otherData, { ...grid, seed: 5, workers: 1, runsDir });
  assert.equal(onOther.reusedRuns, 0, 'same seed, other data');
  const otherThreads = await gridSearch(otherData, { ...grid, seed: 5, threads: 2, workers: 1, runsDir });
  assert.equal(otherThreads.reusedRuns, 0, 'same data and seed, other ORT thread count');
  const back = await gridSearch(otherData, { ...grid, seed: 5, threads: 2, workers: 1, runsDir });
  assert.equal(back.reusedRuns, RUNS, 'the replaced runs serve the latest configuration');
  assert.deepEqual(back.points, otherThreads.points);
  const otherEngine = await gridSearch(otherData, {
    ...grid,
    seed: 5,
    threads: 2,
    workers: 1,
    runsDir,
    engine: 'ort',
  });
  assert.equal(otherEngine.engine, 'ort');
  assert.equal(otherEngine.reusedRuns, 0, 'same data, seed and threads, the other trainer');
});

test('a damaged run file is retrained; a grid of fewer epoch counts reuses longer runs', async () => {
  const runsDir = join(temp, 'damaged');
  await gridSearch(data, { ...grid, workers: 1, runsDir });
  const store = new GridRunStore(runsDir, {
    data: featureSetFingerprint(data),
    seed: 4,
    threads: 1,
    engine: resolveTrainingEngine(),
  });
  const task = { id: 0, batch: 8, hidden: 6, lr: 1e-3, epochs: 8, checkpoints: [3, 8], seed: 4 };
  const path = store.pathOf(task);
  const text = await readFile(path, 'utf8');
  await writeFile(path, text.slice(0, text.length >> 1));
  assert.equal(await store.load(task), undefined, 'half a file is not a run');
  const healed = await gridSearch(data, { ...grid, workers: 1, runsDir });
  assert.equal(healed.reusedRuns, RUNS - 1);
  assert.deepEqual(healed.points, uninterrupted.points);
  assert.deepEqual(JSON.parse(await readFile(path, 'utf8')).checkpoints, JSON.parse(text).checkpoints);

  const shorter = await gridSearch(data, { ...grid, epochs: [3], workers: 1, runsDir });
  assert.equal(shorter.reusedRuns, RUNS, '3-epoch points are read from the 8-epoch runs');
  assert.deepEqual(
    shorter.points,
    uninterrupted.points.filter((p) => p.epochs === 3),
  );
  const longer = await gridSearch(data, { ...grid, epochs: [3, 10], workers: 1, runsDir });
  assert.equal(longer.reusedRuns, 0, 'no stored run reaches 10 epochs');
});
