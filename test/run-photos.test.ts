/**
 * Issue 10's bar, end to end: a folder-per-person run on photos nobody cleaned (every shared
 * photo of the six seed actors, whole and uncropped, with HTML pages, empty, truncated and text
 * files, a duplicate, a photo with no face and one with two faces mixed in) finishes, reports
 * every file it left out with its reason, and its face-backbone head reaches ≥ 0.97 test
 * accuracy. One grid point keeps it to one prepare (detection + alignment of ~600 photos) and
 * one short grid run.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { LeftOutRecord } from '../src/data/labelled-photo.js';
import { readSplitManifest } from '../src/data/split-manifest.js';
import { lastJson, runCli } from './helpers/capture-cli.js';
import { type FolderDebris, makePhotoFolder } from './helpers/photo-folders.js';
import { SIX_ACTORS } from './helpers/shared.js';

/** The face-backbone head's test accuracy the issue asks for. */
const FACE_BAR = 0.97;

/** One grid point: the run's cost is then the prepare, the features and the heads. */
const GRID = ['--epochs', '20', '--batch', '32', '--hidden', '100', '--lr', '1e-3'];

let tmp: string;
let photosDir: string;
let photos: number;
let debris: FolderDebris;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'facelab-run-photos-'));
  photosDir = join(tmp, 'photos');
  ({ photos, debris } = await makePhotoFolder(photosDir, SIX_ACTORS, { debris: true }));
});

after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/**
 * Every debris file `makePhotoFolder` writes, by the folder it goes in (the first two people)
 * and the reason prepare must give. The duplicate is the second copy by path order: the first
 * person's folder sorts first, so the original there is kept.
 */
function expectedDebris(): Array<{ origin: string; reason: string }> {
  const [a, b] = SIX_ACTORS;
  return [
    { origin: join(a, 'page.jpg'), reason: 'not an image' },
    { origin: join(a, 'empty.jpg'), reason: 'not an image' },
    { origin: join(b, 'notes.txt'), reason: 'not an image' },
    { origin: join(b, 'truncated.jpg'), reason: 'corrupt image' },
    { origin: join(b, 'same-photo-again.jpg'), reason: 'duplicate' },
    { origin: join(a, 'sky.jpg'), reason: 'no face' },
    { origin: join(b, 'two-faces.jpg'), reason: 'ambiguous faces' },
  ];
}

test('run --photos on an uncleaned folder per person: finishes, names every file left out, face head ≥ 0.97', async (t) => {
  const out = join(tmp, 'run');
  const { code, stdout, stderr } = await runCli([
    'run',
    '--photos',
    photosDir,
    '--out',
    out,
    ...GRID,
    '--json',
  ]);
  assert.equal(code, 0, stderr);

  // The run --json contract.
  const summary = lastJson(stdout) as {
    report: string;
    accuracy: { pixels: number; face: number };
    seconds: number;
    steps: Record<string, string>;
    dir: string;
  };
  assert.equal(typeof summary.report, 'string');
  assert.ok(summary.report.endsWith('report.html'), summary.report);
  assert.ok(Number.isFinite(summary.seconds) && summary.seconds > 0, `seconds ${summary.seconds}`);
  assert.ok(summary.accuracy.pixels > 0 && summary.accuracy.pixels <= 1, `pixels ${summary.accuracy.pixels}`);
  t.diagnostic(`accuracy ${JSON.stringify(summary.accuracy)} in ${summary.seconds} s`);
  assert.ok(
    summary.accuracy.face >= FACE_BAR && summary.accuracy.face <= 1,
    `face-backbone head test accuracy ${summary.accuracy.face} < ${FACE_BAR}`,
  );
  assert.ok(
    !('download' in summary.steps) || summary.steps.download !== 'ran',
    JSON.stringify(summary.steps),
  );

  // split.json names every debris file with the reason makePhotoFolder gave it, and nothing
  // else is left out but real photos whose face was not found.
  const manifest = await readSplitManifest(join(out, 'data'));
  assert.equal(manifest.source?.kind, 'folder');
  const leftOut: LeftOutRecord[] = manifest.leftOut ?? [];
  const byOrigin = new Map(leftOut.map((r) => [r.origin, r]));
  const expected = expectedDebris();
  const debrisTotal = Object.values(debris).reduce((a, b) => a + b, 0);
  assert.equal(
    expected.length,
    debrisTotal,
    'the expected list covers every debris file makePhotoFolder wrote',
  );
  for (const { origin, reason } of expected) {
    const record = byOrigin.get(origin);
    assert.ok(
      record,
      `${origin} is not in split.json's leftOut: ${JSON.stringify(leftOut.map((r) => r.origin))}`,
    );
    assert.equal(record.reason, reason, `${origin}: ${record.message}`);
    assert.ok(record.message.length > 0, `${origin} has a message`);
  }
  assert.ok(!byOrigin.has(join(SIX_ACTORS[0], '.DS_Store')), 'hidden files are not photos');
  const debrisOrigins = new Set(expected.map((d) => d.origin));
  const realLeftOut = leftOut.filter((r) => !debrisOrigins.has(r.origin));
  for (const r of realLeftOut)
    assert.ok(['no face', 'ambiguous faces'].includes(r.reason), `${r.origin}: ${r.reason} (${r.message})`);
  // Real photos are left out only when no face is found or several faces of a size are (the
  // listed photos include group shots: measured 28 of 580, 26 of them ambiguous); more than
  // 8 % would mean the detector or the choice rule broke.
  assert.ok(
    realLeftOut.length <= Math.ceil(photos * 0.08),
    `real photos left out: ${JSON.stringify(realLeftOut)}`,
  );
  t.diagnostic(`real photos left out: ${realLeftOut.length} of ${photos}`);
  const used = manifest.totals.train + manifest.totals.val + manifest.totals.test + manifest.totals.unused;
  assert.equal(used, photos - realLeftOut.length, 'every real photo not left out is in the split');

  // The report lists the files left out with their reasons.
  const html = await readFile(summary.report, 'utf8');
  assert.match(html, new RegExp(`${leftOut.length} photos or lines were left out`));
  for (const { origin, reason } of expected) {
    const row = new RegExp(`<td>${escapeRegExp(origin)}</td>\\s*<td>${escapeRegExp(reason)}</td>`);
    assert.match(html, row, `${origin} (${reason}) is not a row of the report`);
  }
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
