/**
 * `facelab detect PHOTO… [--json] [--annotate DIR]` as a user calls it: the JSON contract
 * (`[{"photo","faces":[{"box":[x1,y1,x2,y2],"score"}]}]`, boxes in stored pixels), a listed
 * face among the faces found, drawn photos, and a bad file reported while the others are done.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { readFaceList } from '../src/data/face-list.js';
import { runCli } from './helpers/capture-cli.js';
import { facescrubImages, facescrubList } from './helpers/shared.js';

let tmp: string;
let photos: { file: string; box: { x1: number; y1: number; x2: number; y2: number } }[];

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'facelab-detect-cli-'));
  const files = new Map((await readdir(facescrubImages)).map((f) => [f.slice(0, 64), f]));
  const list = await readFaceList(facescrubList, { actors: ['Steve Carell', 'Angie Harmon'] });
  photos = list.lines
    .filter((l) => files.has(l.sha256))
    .slice(0, 4)
    .map((l) => ({ file: join(facescrubImages, files.get(l.sha256)!), box: l.box }));
});

after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test('detect --json: every photo with its faces, the listed face among them; --annotate draws each photo', async () => {
  const dir = join(tmp, 'drawn');
  const { code, stdout, stderr } = await runCli([
    'detect',
    ...photos.map((p) => p.file),
    '--json',
    '--annotate',
    dir,
  ]);
  assert.equal(code, 0, stderr);
  const results = JSON.parse(stdout.trim().split('\n').pop()!) as {
    photo: string;
    faces: { box: number[]; score: number }[];
  }[];
  assert.deepEqual(
    results.map((r) => r.photo),
    photos.map((p) => p.file),
  );
  for (const [i, r] of results.entries()) {
    const { box } = photos[i]!;
    const meta = await sharp(r.photo, { autoOrient: false }).metadata();
    let best = 0;
    for (const f of r.faces) {
      assert.equal(f.box.length, 4);
      const [x1, y1, x2, y2] = f.box as [number, number, number, number];
      assert.ok(
        x1 >= 0 && y1 >= 0 && x2 <= meta.width! && y2 <= meta.height! && x2 > x1 && y2 > y1,
        `${f.box}`,
      );
      assert.ok(f.score > 0.5 && f.score <= 1);
      const ix = Math.max(0, Math.min(x2, box.x2) - Math.max(x1, box.x1));
      const iy = Math.max(0, Math.min(y2, box.y2) - Math.max(y1, box.y1));
      best = Math.max(
        best,
        (ix * iy) / ((x2 - x1) * (y2 - y1) + (box.x2 - box.x1) * (box.y2 - box.y1) - ix * iy),
      );
    }
    assert.ok(best >= 0.5, `${r.photo}: best IoU with the listed box ${best}`);
  }
  const drawn = await readdir(dir);
  assert.equal(drawn.length, photos.length);
  for (const [i, name] of drawn.sort().entries()) {
    const a = await sharp(join(dir, name)).metadata();
    const b = await sharp(photos[i]!.file, { autoOrient: false }).metadata();
    assert.deepEqual([a.width, a.height], [b.width, b.height], 'drawn at the photo size');
  }
});

test('detect: a bad file is reported in its own line, the others are done, exit 2', async () => {
  const html = join(tmp, 'page.jpg');
  await writeFile(html, '<!DOCTYPE html><title>404</title>');
  const empty = join(tmp, 'empty.jpg');
  await writeFile(empty, '');
  const { code, stdout, stderr } = await runCli(['detect', photos[0]!.file, html, empty, '--json']);
  assert.equal(code, 2);
  const results = JSON.parse(stdout.trim().split('\n').pop()!) as (
    | { faces: unknown[] }
    | { error: string }
  )[];
  assert.equal(results.length, 3);
  assert.ok('faces' in results[0]!);
  assert.ok('error' in results[1]! && /page\.jpg: the bytes are not a JPEG/.test(results[1].error));
  assert.ok('error' in results[2]! && /empty\.jpg/.test(results[2].error));
  // With --json the human lines go to stderr too; each bad file has one line of its own.
  assert.equal(stderr.split('\n').filter((l) => l.startsWith('facelab detect: ')).length, 2, stderr);
});

test('detect: bad options and no photo are one line, exit 2', async () => {
  for (const args of [
    ['detect'],
    ['detect', photos[0]!.file, '--detector', 'yolo'],
    ['detect', photos[0]!.file, '--min-score', '1.5'],
    ['detect', photos[0]!.file, '--min-score', 'high'],
  ]) {
    const { code, stderr } = await runCli(args);
    assert.equal(code, 2, args.join(' '));
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
  }
});
