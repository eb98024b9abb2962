/**
 * `facelab report`: the HTML of a small real run — every section and the numbers in it checked
 * against the run's own files (split.json, the download manifest, grid.json, metrics.json,
 * comparison.json), every figure inline and drawn with paths, nothing fetched from anywhere —
 * and the other folder layouts, missing parts and broken files giving notes, not crashes.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { unzlibSync } from 'fflate';
import { writeJsonAtomic } from '../src/data/atomic-file.js';
import type { DownloadManifest } from '../src/data/manifest.js';
import type { SplitManifest } from '../src/data/split-manifest.js';
import { UserError } from '../src/errors.js';
import type { ProgressEvent } from '../src/progress.js';
import type { RunMetrics } from '../src/train/run-outputs.js';
import { embeddedFontFile } from '../src/viz/font.js';
import { writeReport } from '../src/viz/report.js';
import { locateRun } from '../src/viz/run-folder.js';
import { sfntToWoff } from '../src/viz/woff.js';
import { lastJson, runCli } from './helpers/capture-cli.js';
import { makeSmallRun, SAMPLE_COMPARISON, SMALL_RUN_ACTORS, type SmallRun } from './helpers/small-run.js';

let temp = '';
let small: SmallRun;
let html = '';
let sections: string[] = [];
const events: ProgressEvent[] = [];

const COMPARISON = SAMPLE_COMPARISON;

before(async () => {
  temp = await mkdtemp(join(tmpdir(), 'facelab-report-'));
  small = await makeSmallRun();
  await writeJsonAtomic(join(small.dir, 'transfer', 'comparison.json'), COMPARISON);
  const result = await writeReport({ run: small.dir, onProgress: (e) => events.push(e) });
  assert.equal(result.path, join(small.dir, 'report.html'));
  sections = result.sections;
  html = await readFile(result.path, 'utf8');
});

after(async () => {
  await rm(temp, { recursive: true, force: true });
  await small?.cleanup();
});

/** The text of the section with this id (up to the next section). */
function section(id: string): string {
  const start = html.indexOf(`<section id="${id}">`);
  assert.ok(start >= 0, `section ${id} missing`);
  return html.slice(start, html.indexOf('</section>', start));
}

/** The SVG documents of the figures inside an HTML fragment. */
function figures(fragment: string): string[] {
  return [...fragment.matchAll(/src="data:image\/svg\+xml;base64,([^"]+)"/g)].map((m) =>
    Buffer.from(m[1]!, 'base64').toString('utf8'),
  );
}

test('every section is there, in order, with progress events per section', () => {
  assert.deepEqual(sections, [
    'dataset',
    'crops',
    'grid',
    'curves',
    'test-results',
    'hidden-units',
    'misclassified',
    'transfer',
  ]);
  assert.deepEqual(
    events.filter((e) => e.kind === 'advance').map((e) => (e.kind === 'advance' ? e.done : 0)),
    [1, 2, 3, 4, 5, 6, 7, 8],
  );
  assert.equal(events.filter((e) => e.kind === 'warning').length, 0);
});

test('self-contained: no scripts, no external references, figures inline with text as paths', () => {
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /\s(?:src|href)="(?!data:|#)/, 'only data: URIs and in-page anchors');
  assert.doesNotMatch(html, /url\((?!data:)/, 'CSS loads nothing but data: URIs');
  assert.match(
    html,
    /@font-face\{font-family:"Report Sans";font-weight:400[^}]*data:font\/woff;base64,d09GR/,
  );
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  const svgs = figures(html);
  assert.ok(svgs.length >= 8, `${svgs.length} figures`);
  for (const svg of svgs) {
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.doesNotMatch(svg, /<text/, 'text drawn as paths: no font needed');
    assert.doesNotMatch(svg, /href="(?!data:)/, 'pictures inside figures are data URIs too');
  }
});

test('dataset: photos per actor and part from split.json, download outcomes from the manifest', async () => {
  const split = JSON.parse(await readFile(join(small.dir, 'data', 'split.json'), 'utf8')) as SplitManifest;
  const body = section('dataset');
  for (const actor of SMALL_RUN_ACTORS) {
    const c = split.counts[actor]!;
    const cells = [c.train, c.val, c.test, c.unused, c.train + c.val + c.test + c.unused]
      .map((n) => `<td class="num">${n}</td>`)
      .join('');
    assert.ok(body.includes(`<td>${actor}</td>${cells}`), `row of ${actor}`);
  }
  const manifest = JSON.parse(
    await readFile(join(small.dir, 'cache', 'manifest.json'), 'utf8'),
  ) as DownloadManifest;
  const verified = manifest.entries.filter((e) => e.status === 'verified').length;
  const failed = manifest.entries.filter((e) => e.reason === 'http 404').length;
  assert.ok(verified > 300 && failed > 0);
  assert.match(body, new RegExp(`<td>verified \\(SHA-256 matches\\)</td><td class="num">${verified}</td>`));
  assert.match(body, new RegExp(`<td>failed: http 404</td><td class="num">${failed}</td>`));
  assert.match(body, new RegExp(`<td class="num">${manifest.entries.length}</td>`), 'all lines counted');
});

test('grid: every point, the chosen one highlighted once, the rule stated, the heat-map', async () => {
  const grid = JSON.parse(await readFile(join(small.dir, 'grid', 'grid.json'), 'utf8'));
  const body = section('grid');
  assert.equal(body.match(/<tr class="chosen">/g)?.length, 1);
  assert.equal(body.match(/<tbody>[\s\S]*<\/tbody>/)![0].match(/<tr/g)?.length, grid.points.length);
  const chosenRow = /<tr class="chosen">(.*?)<\/tr>/.exec(body)![1]!;
  const { best } = grid;
  assert.match(
    chosenRow,
    new RegExp(`<td class="num">${best.epochs}</td><td class="num">${best.batch}</td>`),
  );
  assert.ok(chosenRow.includes(`<td class="num">${best.accuracy.val.toFixed(3)}</td>`));
  assert.match(body, /Chosen by validation accuracy/);
  assert.match(body, /The test set took no part in the choice/);
  const [heatmap] = figures(body);
  assert.match(heatmap!, /<title>Validation accuracy over 4 grid points \(seed 0\)<\/title>/);
});

test('test results, hidden units of every actor, misclassified faces agree with metrics.json', async () => {
  const metrics = JSON.parse(
    await readFile(join(small.dir, 'grid', 'best', 'metrics.json'), 'utf8'),
  ) as RunMetrics;
  const matrix = metrics.confusion.matrix;
  const total = matrix.flat().reduce((a, b) => a + b, 0);
  const correct = matrix.reduce((n, row, i) => n + row[i]!, 0);
  assert.match(
    section('test-results'),
    new RegExp(`${correct} of ${total} test photos classified correctly`),
  );
  assert.equal(figures(section('test-results')).length, 2, 'confusion matrix and per-actor bars');

  const units = figures(section('hidden-units'));
  assert.deepEqual(
    units.map((svg) => /<title>Hidden units that fire most often for (.*?)<\/title>/.exec(svg)?.[1]),
    [...SMALL_RUN_ACTORS],
  );
  // Mean face + 3 units, each an embedded picture.
  for (const svg of units) assert.equal(svg.match(/<image /g)?.length, 4);

  const wrong = total - correct;
  const body = section('misclassified');
  assert.match(
    body,
    new RegExp(`${wrong} of ${total} test faces`),
    'the model run here agrees with training',
  );
  assert.doesNotMatch(body, /class="warning"/);
  if (wrong > 0) assert.equal(figures(body)[0]!.match(/<image /g)?.length, Math.min(wrong, 48));
});

test('transfer: raw pixels and backbone with test accuracy, error and error reduction', () => {
  const body = section('transfer');
  assert.match(body, /raw pixels 32 px <span class="muted">\(baseline\)<\/span>/);
  assert.match(body, /<td>face descriptor<\/td><td class="num">128<\/td>/);
  assert.match(body, /<td class="num">0\.050<\/td><td class="num">80\.0\u00a0%<\/td>/);
  assert.match(body, /Error reduction = \(baseline test error − test error\) \/ baseline test error/);
});

test('a grid folder finds the data and cache beside it; no transfer gives a note', async () => {
  const out = join(temp, 'grid-report.html');
  const result = await writeReport({ run: join(small.dir, 'grid'), out });
  assert.equal(result.path, out);
  assert.deepEqual(result.sections, sections.slice(0, -1));
  const page = await readFile(out, 'utf8');
  assert.match(page, /No transfer-learning comparison yet/);
  assert.match(page, /<td>verified \(SHA-256 matches\)<\/td>/);
});

test('a standalone grid folder finds the download cache through split.json', async () => {
  // Data and grid copied away from the run: no cache beside either, only split.json names it.
  const data = join(temp, 'standalone', 'prepared');
  const grid = join(temp, 'standalone', 'grid-only');
  await cp(join(small.dir, 'data'), data, { recursive: true });
  await cp(join(small.dir, 'grid'), grid, { recursive: true });
  const metricsPath = join(grid, 'best', 'metrics.json');
  const metrics = JSON.parse(await readFile(metricsPath, 'utf8'));
  await writeJsonAtomic(metricsPath, { ...metrics, data });
  const split = JSON.parse(await readFile(join(data, 'split.json'), 'utf8')) as SplitManifest;
  assert.equal(split.cache, join(small.dir, 'cache'), 'prepare records the absolute cache path');
  const run = await locateRun(grid);
  assert.equal(run.kind, 'grid');
  assert.equal(run.dataDir, data);
  assert.equal(run.cacheDir, join(small.dir, 'cache'));
  const result = await writeReport({ run: grid, out: join(temp, 'standalone.html') });
  assert.ok(result.sections.includes('dataset'));
  assert.match(await readFile(result.path, 'utf8'), /<td>verified \(SHA-256 matches\)<\/td>/);
});

test('the download cache named in run.json is found when it is not RUN/cache', async () => {
  const moved = join(temp, 'elsewhere-cache');
  await rename(join(small.dir, 'cache'), moved);
  try {
    await writeJsonAtomic(join(small.dir, 'run.json'), { version: 1, options: { cache: moved } });
    const result = await writeReport({ run: small.dir, out: join(temp, 'moved-cache.html') });
    assert.ok(result.sections.includes('dataset'));
    assert.match(await readFile(result.path, 'utf8'), /<td>verified \(SHA-256 matches\)<\/td>/);
  } finally {
    await rename(moved, join(small.dir, 'cache'));
    await rm(join(small.dir, 'run.json'));
  }
});

test('the embedded font: WOFF tables inflate back to the TrueType tables, byte for byte', async () => {
  const ttf = await readFile(embeddedFontFile('bold'));
  const woff = sfntToWoff(ttf);
  const view = new DataView(woff.buffer, woff.byteOffset, woff.byteLength);
  assert.equal(view.getUint32(0), 0x774f4646, "'wOFF'");
  assert.equal(view.getUint32(8), woff.length);
  const count = view.getUint16(12);
  const source = new DataView(ttf.buffer, ttf.byteOffset, ttf.byteLength);
  assert.equal(count, source.getUint16(4));
  for (let i = 0; i < count; i++) {
    const at = 44 + 20 * i;
    const tag = view.getUint32(at);
    const stored = woff.subarray(view.getUint32(at + 4), view.getUint32(at + 4) + view.getUint32(at + 8));
    const original = view.getUint32(at + 12);
    const table = stored.length < original ? unzlibSync(stored) : stored;
    const entry = Array.from({ length: count }, (_, k) => 12 + 16 * k).find(
      (e) => source.getUint32(e) === tag,
    )!;
    const offset = source.getUint32(entry + 8);
    const expected = ttf.subarray(offset, offset + source.getUint32(entry + 12));
    assert.equal(Buffer.compare(Buffer.from(table), expected), 0, `table ${i} differs`);
    assert.equal(view.getUint32(at + 16), source.getUint32(entry + 4), 'checksum kept');
  }
  assert.ok(woff.length < ttf.length * 0.7, `WOFF ${woff.length} bytes vs TTF ${ttf.length}`);
});

test('missing and broken parts become notes, never errors', async () => {
  // A train folder whose data folder is gone: only what metrics.json holds can be shown.
  const train = join(temp, 'train');
  await cp(join(small.dir, 'grid', 'best'), train, { recursive: true });
  const metrics = JSON.parse(await readFile(join(train, 'metrics.json'), 'utf8'));
  await writeJsonAtomic(join(train, 'metrics.json'), { ...metrics, data: join(temp, 'gone') });
  const result = await writeReport({ run: train });
  assert.deepEqual(result.sections, ['curves', 'test-results']);
  const page = await readFile(result.path, 'utf8');
  assert.match(page, /there was no grid search/);
  assert.match(page, /The prepared data was not found \(looked in [^)]*gone\)/);

  // A grid folder with a corrupt grid.json and a model.onnx cut short: the sections that need
  // them say so (those that throw are reported as warnings too); the rest is drawn.
  const grid = join(temp, 'grid');
  await cp(join(small.dir, 'grid'), grid, { recursive: true });
  await writeFile(join(grid, 'grid.json'), '{"points": [');
  const model = await readFile(join(grid, 'best', 'model.onnx'));
  await writeFile(join(grid, 'best', 'model.onnx'), model.subarray(0, 200));
  const warnings: string[] = [];
  const broken = await writeReport({
    run: grid,
    onProgress: (e) => {
      if (e.kind === 'warning') warnings.push(e.message);
    },
  });
  assert.deepEqual(broken.sections, ['dataset', 'crops', 'curves', 'test-results']);
  const brokenPage = await readFile(broken.path, 'utf8');
  assert.match(brokenPage, /grid\.json could not be read/);
  assert.match(brokenPage, /This section could not be drawn: .*model\.onnx/);
  assert.deepEqual(
    warnings.map((w) => w.split(':')[0]),
    ['What the hidden units look for', 'Misclassified test faces'],
  );

  await assert.rejects(writeReport({ run: join(temp, 'train', 'nothing') }), UserError);
});

test('facelab report CLI: --json contract and user errors', async () => {
  const out = join(temp, 'cli.html');
  const result = await runCli(['report', '--run', small.dir, '--out', out, '--json']);
  assert.equal(result.code, 0, result.stderr);
  const summary = lastJson(result.stdout);
  assert.equal(summary.path, out);
  assert.deepEqual(summary.sections, sections);
  assert.ok((summary.bytes as number) > 100_000);
  const missing = await runCli(['report']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /Missing required option --run/);
  const notRun = await runCli(['report', '--run', join(small.dir, 'data')]);
  assert.equal(notRun.code, 2);
  assert.match(notRun.stderr, /is not a run, grid or train folder/);
});
