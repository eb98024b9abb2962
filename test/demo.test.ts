/**
 * `facelab demo` end to end as a child process, offline: the default demo (six synthetic people,
 * 50 photos each, the demo grid) writes report.html and both test accuracies, says the people are
 * synthetic, and a re-run skips everything; the grid flags shrink a demo.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DEMO_GRID } from '../src/pipeline/demo-run.js';
import { runCliProcess } from './helpers/cli-process.js';

let temp = '';

before(async () => {
  temp = await mkdtemp(join(tmpdir(), 'facelab-demo-run-'));
});

after(async () => {
  await rm(temp, { recursive: true, force: true });
});

const demo = (args: string[]) => runCliProcess(['demo', ...args]);

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);
const CHANCE = 1 / 6;

test('the default demo: report.html, both test accuracies well above chance, people said to be synthetic', async () => {
  const out = join(temp, 'default');
  const result = await demo(['--out', out, '--json']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /SYNTHETIC/);
  const summary = lastJson(result.stdout);
  assert.deepEqual(Object.keys(summary).slice(0, 3), ['report', 'accuracy', 'seconds']);
  assert.equal(summary.report, join(out, 'report.html'));
  for (const key of ['pixels', 'face'] as const) {
    const accuracy = summary.accuracy[key];
    assert.ok(
      accuracy >= 0.6 && accuracy <= 1,
      `${key} test accuracy ${accuracy} (chance ${CHANCE.toFixed(3)})`,
    );
  }
  assert.ok(summary.seconds > 0);
  assert.ok(Object.values(summary.steps).every((s) => s === 'ran'));

  const html = await readFile(summary.report, 'utf8');
  assert.match(html, /<html/i);
  assert.match(html, /Synth/, 'the report names the synthetic people');
  const grid = JSON.parse(await readFile(join(out, 'grid', 'grid.json'), 'utf8'));
  const points = Object.values(DEMO_GRID).reduce((n, list) => n * list.length, 1);
  assert.equal(grid.points.length, points);
  assert.equal(grid.best.accuracy.test, summary.accuracy.pixels);
  const units = JSON.parse(await readFile(join(out, 'units', 'units.json'), 'utf8'));
  assert.equal(units.actors.length, 6);
  for (const a of units.actors) assert.match(a.actor, /Synth$/);
  const pngs = (await readdir(join(out, 'units'))).filter((n) => n.endsWith('.png'));
  assert.equal(pngs.length, 6);
  const manifest = JSON.parse(await readFile(join(out, 'cache', 'manifest.json'), 'utf8'));
  const failed = manifest.entries.filter((e: { status: string }) => e.status === 'failed');
  assert.ok(failed.length >= 3, 'the broken lines (404, corrupted bytes, HTML) failed as they should');

  const again = await demo(['--out', out, '--json']);
  assert.equal(again.code, 0, again.stderr);
  const second = lastJson(again.stdout);
  assert.deepEqual(Object.values(second.steps), Array(6).fill('skipped'));
  assert.deepEqual(second.accuracy, summary.accuracy);
});

test('grid flags shrink a demo', async () => {
  const out = join(temp, 'tiny');
  const flags = ['--photos', '8', '--epochs', '5', '--batch', '16', '--hidden', '16', '--lr', '1e-2'];
  const result = await demo(['--out', out, ...flags, '--head-epochs', '10', '--json']);
  assert.equal(result.code, 0, result.stderr);
  const summary = lastJson(result.stdout);
  assert.ok(summary.accuracy.pixels >= 0 && summary.accuracy.face >= 0);
  const grid = JSON.parse(await readFile(join(out, 'grid', 'grid.json'), 'utf8'));
  assert.deepEqual(
    grid.points.map((p: { epochs: number; batch: number; hidden: number; lr: number }) => [
      p.epochs,
      p.batch,
      p.hidden,
      p.lr,
    ]),
    [[5, 16, 16, 0.01]],
  );
  const head = JSON.parse(
    await readFile(join(out, 'transfer', 'head-face-descriptor', 'metrics.json'), 'utf8'),
  );
  assert.equal(head.epochs, 10);
});

test('a demo in a folder another live run holds leaves that run’s dataset alone', async () => {
  const out = join(temp, 'tiny'); // written by the test above
  const listBefore = await listing(join(out, 'dataset'));
  const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    await writeFile(join(out, '.run.lock'), `${holder.pid}\n`);
    const result = await demo(['--out', out, '--photos', '9', '--json']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr.trim(),
      new RegExp(`in use by another facelab run \\(process ${holder.pid}\\)`),
    );
    assert.deepEqual(await listing(join(out, 'dataset')), listBefore, 'the dataset was not regenerated');
  } finally {
    holder.kill();
    await rm(join(out, '.run.lock'), { force: true });
  }
});

/** Names, sizes and modification times of every file below `dir`. */
async function listing(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  return Promise.all(
    files.sort().map(async (f) => `${f} ${(await stat(f)).size} ${(await stat(f)).mtimeMs}`),
  );
}
