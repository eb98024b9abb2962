/**
 * `facelab prepare --photos DIR` and `--labels FILE.csv` end to end on real, uncropped photos
 * (the shared FaceScrub originals copied into a folder per person) with the debris real folders
 * hold mixed in: every file that cannot be used is left out with its reason, the rest make the
 * same kind of dataset as a FaceScrub list does.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { loadPrepared } from '../src/data/dataset.js';
import { readFaceList } from '../src/data/face-list.js';
import { readSplitManifest } from '../src/data/split-manifest.js';
import { lastJson, runCli } from './helpers/capture-cli.js';
import { type FolderDebris, makePhotoFolder, sharedPhotosByPerson } from './helpers/photo-folders.js';
import { facescrubList } from './helpers/shared.js';

const PEOPLE = ['Bill Hader', 'Steve Carell', 'Angie Harmon'];
const PER_PERSON = 12;

let tmp: string;
let photosDir: string;
let debris: FolderDebris;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'facelab-photos-'));
  photosDir = join(tmp, 'photos');
  ({ debris } = await makePhotoFolder(photosDir, PEOPLE, { perPerson: PER_PERSON, debris: true }));
});

after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test('prepare --photos: a folder per person with debris makes a dataset and names every file it left out', async () => {
  const out = join(tmp, 'data');
  const { code, stdout, stderr } = await runCli(['prepare', '--photos', photosDir, '--out', out, '--json']);
  assert.equal(code, 0, stderr);
  const summary = lastJson(stdout) as {
    photos: number;
    left_out: Record<string, number>;
    split: Record<string, number>;
  };
  // Every kind of debris is left out with its own reason, and nothing else is.
  for (const [reason, n] of Object.entries(debris)) {
    assert.ok((summary.left_out[reason] ?? 0) >= n, `${reason}: ${JSON.stringify(summary.left_out)}`);
  }
  const leftOut = Object.values(summary.left_out).reduce((a, b) => a + b, 0);
  const debrisCount = Object.values(debris).reduce((a, b) => a + b, 0);
  // A real photo may also lack a detectable face; allow one per person at most.
  assert.ok(leftOut - debrisCount <= PEOPLE.length, `left out ${JSON.stringify(summary.left_out)}`);
  assert.equal(summary.photos, PEOPLE.length * PER_PERSON + debrisCount - leftOut);
  assert.equal(summary.split.train! + summary.split.val! + summary.split.test!, summary.photos);

  const manifest = await readSplitManifest(out);
  assert.deepEqual(manifest.actors, [...PEOPLE].sort());
  assert.equal(manifest.source?.kind, 'folder');
  assert.equal(manifest.leftOut?.length, leftOut);
  const origins = new Set(manifest.leftOut!.map((r) => r.origin));
  for (const file of ['page.jpg', 'empty.jpg', 'sky.jpg'])
    assert.ok(origins.has(join(PEOPLE[0]!, file)), file);
  for (const file of ['notes.txt', 'truncated.jpg', 'two-faces.jpg'])
    assert.ok(origins.has(join(PEOPLE[1]!, file)), file);
  assert.ok(!origins.has(join(PEOPLE[0]!, '.DS_Store')), 'hidden files are not photos');
  // Every photo in the split has the box the detector found, and aligned crops exist for the same rows.
  for (const photo of Object.values(manifest.photos)) assert.equal(photo.box?.length, 4);
  const box = await loadPrepared(out, 32);
  const aligned = await loadPrepared(out, 150, { aligned: true });
  assert.deepEqual(aligned.train.hashes, box.train.hashes);
  assert.deepEqual(aligned.test.hashes, box.test.hashes);
  // The human summary lists the files left out with their reasons.
  assert.match(stderr + stdout, /page\.jpg: the bytes are not a JPEG/);
  assert.match(stderr + stdout, /two-faces\.jpg: 2 faces of similar size/);
});

test('detected boxes overlap the FaceScrub boxes of the same photos', async () => {
  const manifest = await readSplitManifest(join(tmp, 'data'));
  const list = await readFaceList(facescrubList, { actors: PEOPLE });
  const byPerson = await sharedPhotosByPerson(PEOPLE);
  const listed = new Map(list.lines.map((l) => [l.sha256, l.box]));
  let matched = 0;
  let total = 0;
  for (const [hash, photo] of Object.entries(manifest.photos)) {
    const truth = listed.get(hash);
    if (!truth || !photo.box) continue;
    const [x1, y1, x2, y2] = photo.box;
    const ix = Math.max(0, Math.min(x2, truth.x2) - Math.max(x1, truth.x1));
    const iy = Math.max(0, Math.min(y2, truth.y2) - Math.max(y1, truth.y1));
    const inter = ix * iy;
    const iou = inter / ((x2 - x1) * (y2 - y1) + (truth.x2 - truth.x1) * (truth.y2 - truth.y1) - inter);
    total++;
    if (iou >= 0.5) matched++;
  }
  assert.ok(
    byPerson.size === PEOPLE.length && total >= PEOPLE.length * (PER_PERSON - 2),
    `${total} photos compared`,
  );
  assert.ok(
    matched / total >= 0.9,
    `${matched} of ${total} detected boxes overlap the listed box at IoU ≥ 0.5`,
  );
});

test('prepare --labels: listed boxes win, photos without one are detected, malformed lines are left out', async () => {
  const byPerson = await sharedPhotosByPerson(PEOPLE);
  const list = await readFaceList(facescrubList, { actors: PEOPLE });
  const boxOf = new Map(list.lines.map((l) => [l.sha256, l.box]));
  const csv = join(tmp, 'labels.csv');
  const lines = ['path,person,x1,y1,x2,y2'];
  let withBox = 0;
  for (const person of PEOPLE) {
    for (const [i, file] of byPerson.get(person)!.slice(0, 8).entries()) {
      const hash = file.slice(file.lastIndexOf('/') + 1, file.lastIndexOf('/') + 65);
      const b = boxOf.get(hash)!;
      if (i % 2 === 0) {
        lines.push(`${relative(tmp, file)},${person},${b.x1},${b.y1},${b.x2},${b.y2}`);
        withBox++;
      } else lines.push(`"${relative(tmp, file)}","${person}"`);
    }
  }
  // An absurd box is that photo's problem, found before its landmarks are looked for.
  const huge = byPerson.get(PEOPLE[0]!)![8]!;
  lines.push(`${relative(tmp, huge)},${PEOPLE[0]},0,0,100000000,100000000`);
  lines.push('only-one-field', 'x.jpg,Someone,1,2,3', 'y.jpg,Someone,10,10,5,5', 'missing.jpg,Nobody');
  await writeFile(csv, `${lines.join('\n')}\n`);
  const out = join(tmp, 'labelled');
  const { code, stdout, stderr } = await runCli(['prepare', '--labels', csv, '--out', out, '--json']);
  assert.equal(code, 0, stderr);
  const summary = lastJson(stdout) as { photos: number; left_out: Record<string, number> };
  assert.equal(summary.left_out['malformed line'], 3);
  assert.equal(summary.left_out['unreadable file'], 1);
  assert.equal(summary.left_out['box too large'], 1);
  const manifest = await readSplitManifest(out);
  // Listed boxes are used as given.
  let given = 0;
  for (const [hash, photo] of Object.entries(manifest.photos)) {
    const b = boxOf.get(hash)!;
    if (photo.box?.join() === [b.x1, b.y1, b.x2, b.y2].join()) given++;
  }
  assert.ok(given >= withBox, `${given} photos kept their listed box (${withBox} listed)`);
  const text = await readFile(join(out, 'split.json'), 'utf8');
  assert.match(
    text,
    /labels\.csv line \d+: expected path,person or path,person,x1,y1,x2,y2 but found 1 fields/,
  );
});

test('prepare: no source, two sources, or a missing photo folder is one line, exit 2', async () => {
  const none = await runCli(['prepare', '--out', join(tmp, 'x')]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /give one source of photos/);
  const two = await runCli(['prepare', '--photos', photosDir, '--labels', 'a.csv', '--out', join(tmp, 'x')]);
  assert.equal(two.code, 2);
  const empty = await runCli(['prepare', '--photos', join(tmp, 'nowhere'), '--out', join(tmp, 'x')]);
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /cannot read the photo folder/);
  assert.equal(empty.stderr.trim().split('\n').length, 1);
});
