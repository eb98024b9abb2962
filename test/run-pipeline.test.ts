/**
 * `facelab run` end to end as a child process, on a small synthetic demo dataset served by the
 * loopback test mirror (with latency, so a download takes long enough to interrupt):
 *
 * - stopped by SIGTERM during the download and killed by SIGKILL during the grid search, then
 *   re-run, it ends with the same split, grid points, choice and accuracies as an uninterrupted
 *   run, without fetching a verified photo twice or retraining a stored grid run;
 * - a re-run skips every complete step; other grid options redo only the steps that depend on
 *   them (and reuse the stored runs);
 * - a missing list file, a foreign or busy --out folder, a list whose photos all fail to
 *   download and a missing flag are one-line user errors (exit 2).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, link, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { parseFaceList } from '../src/data/face-list.js';
import { generateDemoDataset } from '../src/demo/synthetic-dataset.js';
import { runLayout } from '../src/pipeline/run-layout.js';
import { acquireRunLock } from '../src/pipeline/run-lock.js';
import { type MirrorServer, startMirror } from './helpers/mirror-server.js';
import { repoRoot } from './helpers/shared.js';

const GRID = ['--epochs', '40,120', '--batch', '8,16', '--hidden', '64,128', '--lr', '1e-4,1e-3,1e-2'];
const GRID_RUNS = 2 * 2 * 3;
const FAST = [...GRID, '--head-epochs', '60'];

let temp = '';
let list = '';
let imagesDir = '';
let lines: ReturnType<typeof parseFaceList>['lines'] = [];

before(async () => {
  temp = await mkdtemp(join(tmpdir(), 'facelab-run-'));
  const demo = await generateDemoDataset({ outDir: join(temp, 'dataset'), seed: 3, photosPerPerson: 20 });
  list = demo.listFile;
  lines = parseFaceList(await readFile(list, 'utf8'), list).lines;
  // The test mirror serves <sha256>.<ext> files: link the demo's photos under their hashes.
  imagesDir = join(temp, 'by-hash');
  await mkdir(imagesDir);
  for (const entry of await readdir(demo.imagesDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const sha = createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
    await link(path, join(imagesDir, `${sha}${extname(entry.name)}`)).catch(() => undefined);
  }
});

after(async () => {
  await wholeMirror?.close();
  await rm(temp, { recursive: true, force: true });
});

interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when `killWhen` fired and the child was sent the signal. */
  killed: boolean;
}

/** Runs `facelab run …`; when `killWhen` resolves true (polled), sends `signal` to the child. */
async function runCli(
  args: string[],
  kill?: { when: () => Promise<boolean>; signal: NodeJS.Signals },
): Promise<CliResult> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/helpers/cli-entry.ts', 'run', ...args],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d;
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d;
  });
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('exit', (code, signal) => resolve([code, signal])),
  );
  let killed = false;
  let running = true;
  void exited.then(() => {
    running = false;
  });
  if (kill) {
    while (running && !killed) {
      if (await kill.when().catch(() => false)) {
        killed = child.kill(kill.signal);
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  const [code, signal] = await exited;
  await new Promise((r) => setImmediate(r));
  return { code, signal, stdout, stderr, killed };
}

const readJson = async (path: string) => JSON.parse(await readFile(path, 'utf8'));
const lastJson = (result: CliResult) => JSON.parse(result.stdout.trim().split('\n').at(-1)!);
const runState = (dir: string) => readJson(join(dir, 'run.json'));
const photosIn = async (dir: string) =>
  (await readdir(join(dir, 'cache', 'photos')).catch(() => [] as string[])).filter((n) => !n.startsWith('.'));
const storedRuns = async (dir: string) =>
  (await readdir(join(dir, 'grid', 'runs')).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));

/** The results a resumed run must share with an uninterrupted one. */
async function results(dir: string) {
  const grid = await readJson(join(dir, 'grid', 'grid.json'));
  const metrics = await readJson(join(dir, 'grid', 'best', 'metrics.json'));
  const comparison = await readJson(join(dir, 'transfer', 'comparison.json'));
  const split = await readJson(join(dir, 'data', 'split.json'));
  return {
    // Each run's split.json names its own cache: compared relative to the run folder.
    split: {
      ...split,
      cache: relative(dir, split.cache),
      source: { ...split.source, cache: relative(dir, split.source.cache) },
    },
    grid: {
      points: grid.points,
      best: grid.best,
      selection: grid.selection,
      seed: grid.seed,
      runs: grid.runs,
    },
    best: { accuracy: metrics.accuracy, confusion: metrics.confusion, curves: metrics.curves },
    transfer: comparison.rows.map((r: { method: string; accuracy: unknown }) => [r.method, r.accuracy]),
    baseline: comparison.baseline,
    units: await readJson(join(dir, 'units', 'units.json')),
  };
}

let whole = '';
let wholeMirror: MirrorServer | undefined;
let wholeSummary: { accuracy: unknown } | undefined;

test('an uninterrupted run writes every step, and a re-run skips them all', async () => {
  wholeMirror = await startMirror({ lines, imagesDir });
  whole = join(temp, 'whole');
  const args = ['--subset', list, '--mirror', wholeMirror.url, '--out', whole, ...FAST, '--json'];
  const first = await runCli(args);
  assert.equal(first.code, 0, first.stderr);
  const summary = lastJson(first);
  wholeSummary = summary;
  assert.equal(summary.report, join(whole, 'report.html'));
  assert.ok(
    summary.accuracy.pixels > 0.5 && summary.accuracy.pixels <= 1,
    `pixels ${summary.accuracy.pixels}`,
  );
  assert.ok(summary.accuracy.face > 0.5 && summary.accuracy.face <= 1, `face ${summary.accuracy.face}`);
  assert.ok(Object.values(summary.steps).every((s) => s === 'ran'));
  const state = await runState(whole);
  for (const step of ['download', 'prepare', 'grid', 'units', 'transfer', 'report'])
    assert.equal(state.steps[step].status, 'done', step);
  assert.match(await readFile(join(whole, 'report.html'), 'utf8'), /<html/i);
  assert.match(first.stderr, /\[3\/6\] grid +done/);

  const requests = wholeMirror.totalRequests();
  const again = await runCli(args);
  assert.equal(again.code, 0, again.stderr);
  const skipped = lastJson(again);
  assert.deepEqual(Object.values(skipped.steps), Array(6).fill('skipped'));
  assert.deepEqual(skipped.accuracy, summary.accuracy);
  assert.equal(wholeMirror.totalRequests(), requests, 'nothing downloaded again');
  assert.equal((await runState(whole)).steps.grid.outcome, 'skipped');
});

test('SIGTERM during the download and SIGKILL during the grid, then a re-run: same results, no work redone', async () => {
  assert.ok(whole && wholeSummary, 'needs the uninterrupted run');
  // Slow enough (150 ms a photo, 8 at a time) that the download lasts seconds.
  const mirror = await startMirror({ lines, imagesDir, latencyMs: 150 });
  const dir = join(temp, 'interrupted');
  const args = ['--subset', list, '--mirror', mirror.url, '--out', dir, ...FAST, '--json'];
  try {
    // 1. Stopped during the download (graceful: the manifest is written, exit 143).
    const stopped = await runCli(args, {
      signal: 'SIGTERM',
      when: async () =>
        (await runState(dir)).steps.download?.status === 'running' && (await photosIn(dir)).length >= 10,
    });
    assert.ok(stopped.killed);
    assert.equal(stopped.code, 143, stopped.stderr);
    const manifest = await readJson(join(dir, 'cache', 'manifest.json'));
    assert.equal(manifest.complete, false, 'the download was cut short');
    const verifiedBefore = manifest.entries.filter((e: { status: string }) => e.status === 'verified');
    assert.ok(verifiedBefore.length >= 10 && verifiedBefore.length < lines.length - 10);
    assert.equal((await runState(dir)).steps.download.status, 'running');

    // 2. Killed hard during the grid search, after some runs were stored.
    const killed = await runCli(args, {
      signal: 'SIGKILL',
      when: async () =>
        (await runState(dir)).steps.grid?.status === 'running' && (await storedRuns(dir)).length >= 1,
    });
    assert.ok(killed.killed);
    assert.equal(killed.signal, 'SIGKILL');
    const storedAtKill = (await storedRuns(dir)).length;
    assert.ok(storedAtKill >= 1 && storedAtKill < GRID_RUNS, `${storedAtKill} runs stored at the kill`);
    const atKill = await runState(dir);
    assert.equal(atKill.steps.download.status, 'done');
    assert.equal(atKill.steps.prepare.status, 'done');
    assert.equal(atKill.steps.grid.status, 'running');

    // 3. Resumed to the end.
    const resumed = await runCli(args);
    assert.equal(resumed.code, 0, resumed.stderr);
    const summary = lastJson(resumed);
    assert.deepEqual(summary.steps, {
      download: 'skipped',
      prepare: 'skipped',
      grid: 'ran',
      units: 'ran',
      transfer: 'ran',
      report: 'ran',
    });
    const grid = await readJson(join(dir, 'grid', 'grid.json'));
    assert.equal(grid.reusedRuns, storedAtKill, 'every stored run was reused, none retrained');
    for (const entry of verifiedBefore) {
      assert.equal(mirror.requests.get(mirror.pathOf(entry.url)), 1, `${entry.url} fetched twice`);
    }

    assert.deepEqual(summary.accuracy, wholeSummary.accuracy);
    const a = await results(dir);
    const b = await results(whole);
    assert.deepEqual(a.split, b.split);
    assert.deepEqual(a.grid, b.grid);
    assert.deepEqual(a.best, b.best);
    assert.deepEqual(a.transfer, b.transfer);
    assert.deepEqual(a.baseline, b.baseline);
    assert.deepEqual(a.units, b.units);
    assert.deepEqual(
      await readFile(join(dir, 'grid', 'best', 'model.onnx')),
      await readFile(join(whole, 'grid', 'best', 'model.onnx')),
    );
  } finally {
    await mirror.close();
  }
});

test('SIGTERM during the transfer step stops it cleanly at its next batch or chunk of epochs', async () => {
  assert.ok(whole, 'needs the uninterrupted run');
  const dir = join(temp, 'stopped-in-transfer');
  await cp(whole, dir, { recursive: true, preserveTimestamps: true });
  await rm(join(dir, 'transfer'), { recursive: true, force: true });
  const args = ['--subset', list, '--mirror', wholeMirror!.url, '--out', dir, ...FAST, '--json'];
  const stopped = await runCli(args, {
    signal: 'SIGTERM',
    when: async () => (await runState(dir)).steps.transfer?.status === 'running',
  });
  assert.ok(stopped.killed);
  assert.equal(stopped.code, 143, stopped.stderr);
  // Said only when the job itself stopped, not when the grace timer had to end the process.
  assert.match(stopped.stderr, /facelab run: stopped; run the same command again to resume/);
  assert.notEqual((await runState(dir)).steps.transfer.status, 'done');
});

test('other grid options redo the grid, units and report only, reusing the stored runs', async () => {
  assert.ok(whole && wholeMirror, 'needs the uninterrupted run');
  const smaller = [...GRID.slice(0, -1), '1e-3,1e-2', '--head-epochs', '60'];
  const result = await runCli([
    '--subset',
    list,
    '--mirror',
    wholeMirror.url,
    '--out',
    whole,
    ...smaller,
    '--json',
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(lastJson(result).steps, {
    download: 'skipped',
    prepare: 'skipped',
    grid: 'ran',
    units: 'ran',
    transfer: 'skipped',
    report: 'ran',
  });
  const grid = await readJson(join(whole, 'grid', 'grid.json'));
  assert.equal(grid.runs, 8);
  assert.equal(grid.reusedRuns, 8, 'the 8 runs of the smaller grid were stored by the larger one');
  assert.ok(grid.points.every((p: { lr: number }) => p.lr !== 1e-4));
});

test('a missing list file, a foreign --out folder, a folder in use, only dead links, a missing flag: one error line each, exit code 2', async () => {
  const missing = join(temp, 'no-such-list.txt');
  const result = await runCli(['--subset', missing, '--out', join(temp, 'never')]);
  assert.equal(result.code, 2);
  const errorLines = result.stderr.trim().split('\n');
  assert.equal(errorLines.length, 1, result.stderr);
  assert.match(errorLines[0]!, /^facelab run: .*no-such-list\.txt/);
  const foreign = join(temp, 'by-hash'); // a folder of something else
  const refused = await runCli(['--subset', list, '--out', foreign]);
  assert.equal(refused.code, 2);
  assert.match(
    refused.stderr.trim(),
    /^facelab run: .*by-hash is not empty and is not a facelab run folder[^\n]*$/,
  );
  const busyDir = join(temp, 'busy');
  const lock = await acquireRunLock(runLayout(busyDir).lock, busyDir); // held by this live process
  try {
    const busy = await runCli(['--subset', list, '--out', busyDir]);
    assert.equal(busy.code, 2);
    assert.match(
      busy.stderr.trim(),
      new RegExp(`^facelab run: .*busy is in use by another facelab run \\(process ${process.pid}\\)`),
    );
  } finally {
    await lock.release();
  }
  const empty = await startMirror({ lines: [], imagesDir }); // every photo 404
  try {
    const dead = join(temp, 'dead-links');
    const none = await runCli(['--subset', list, '--mirror', empty.url, '--out', dead]);
    assert.equal(none.code, 2);
    assert.match(
      none.stderr.trim(),
      /^\[1\/6\] download running[\s\S]*\nfacelab run: none of the \d+ selected lines .* could be downloaded \(http 404: \d+/,
    );
    assert.equal((await runState(dead)).steps.download.status, 'failed', 'so a re-run tries again');
  } finally {
    await empty.close();
  }
  const noSubset = await runCli(['--out', join(temp, 'never')]);
  assert.equal(noSubset.code, 2);
  assert.match(
    noSubset.stderr.trim(),
    /^facelab run: give one source of photos: --photos DIR, --labels FILE\.csv or --subset FILE/,
  );
});
