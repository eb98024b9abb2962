/**
 * `facelab predict` on whole, uncropped photos: every face is found, aligned and named by a
 * face-backbone head trained on the six seed actors; and someone not in the training set is
 * "unknown" (the head trained without one person, that person's test photos predicted).
 * Photos are the shared FaceScrub originals of the test split, as a user would have them.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type FaceBox, readFaceList } from '../src/data/face-list.js';
import { readSplitManifest } from '../src/data/split-manifest.js';
import { runCli } from './helpers/capture-cli.js';
import { makePreparedData } from './helpers/fake-cache.js';
import { facescrubImages, facescrubList, SIX_ACTORS } from './helpers/shared.js';

const LEFT_OUT = 'Peri Gilpin';

interface JsonFace {
  box: [number, number, number, number];
  score: number;
  top: { actor: string; p: number }[];
  unknown?: boolean;
}
type JsonPhoto = { photo: string; faces: JsonFace[] } | { photo: string; error: string };

let tmp: string;
/** Test-split photos: file, who, the listed box. */
let testPhotos: { file: string; actor: string; box: FaceBox }[];
let sixHead: string;
let fiveHead: string;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'facelab-predict-faces-'));
  const six = await makePreparedData(tmp, { name: 'six', actors: SIX_ACTORS });
  const five = await makePreparedData(tmp, {
    name: 'five',
    actors: SIX_ACTORS.filter((a) => a !== LEFT_OUT),
  });
  for (const [data, out] of [
    [six, 'transfer-six'],
    [five, 'transfer-five'],
  ] as const) {
    const r = await runCli([
      'transfer',
      '--data',
      data,
      '--backbone',
      'face',
      '--out',
      join(tmp, out),
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
  }
  sixHead = join(tmp, 'transfer-six', 'head-face-descriptor');
  fiveHead = join(tmp, 'transfer-five', 'head-face-descriptor');
  const manifest = await readSplitManifest(six);
  const files = new Map((await readdir(facescrubImages)).map((f) => [f.slice(0, 64), f]));
  const lines = new Map(
    (await readFaceList(facescrubList, { actors: SIX_ACTORS })).lines.map((l) => [l.line, l]),
  );
  testPhotos = Object.entries(manifest.photos)
    .filter(([, p]) => p.split === 'test')
    .map(([hash, p]) => ({
      file: join(facescrubImages, files.get(hash)!),
      actor: p.actor,
      box: lines.get(p.line!)!.box,
    }));
});

after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** The face of `faces` that overlaps the listed box most (the one the list is about), if any overlaps. */
function listedFace(faces: readonly JsonFace[], box: FaceBox): JsonFace | undefined {
  let best: JsonFace | undefined;
  let bestIou = 0.2;
  for (const f of faces) {
    const [x1, y1, x2, y2] = f.box;
    const ix = Math.max(0, Math.min(x2, box.x2) - Math.max(x1, box.x1));
    const iy = Math.max(0, Math.min(y2, box.y2) - Math.max(y1, box.y1));
    const inter = ix * iy;
    const iou = inter / ((x2 - x1) * (y2 - y1) + (box.x2 - box.x1) * (box.y2 - box.y1) - inter);
    if (iou > bestIou) {
      bestIou = iou;
      best = f;
    }
  }
  return best;
}

async function predict(model: string, photos: readonly string[], extra: string[] = []): Promise<JsonPhoto[]> {
  const { code, stdout, stderr } = await runCli(['predict', '--model', model, ...photos, ...extra, '--json']);
  assert.equal(code, 0, stderr);
  return JSON.parse(stdout.trim().split('\n').pop()!) as JsonPhoto[];
}

test('predict names the right person first on ≥ 95 % of whole, uncropped test photos', async (t) => {
  const results = await predict(
    sixHead,
    testPhotos.map((p) => p.file),
  );
  assert.equal(results.length, testPhotos.length);
  let right = 0;
  let found = 0;
  let multi = 0;
  for (const [i, r] of results.entries()) {
    assert.ok('faces' in r, `${r.photo}: ${'error' in r ? r.error : ''}`);
    if (r.faces.length > 1) multi++;
    const face = listedFace(r.faces, testPhotos[i]!.box);
    if (!face) continue;
    found++;
    if (face.top[0]!.actor === testPhotos[i]!.actor) right++;
  }
  t.diagnostic(
    `${right} of ${testPhotos.length} named right (${found} listed faces found, ${multi} photos with several faces)`,
  );
  assert.ok(right / testPhotos.length >= 0.95, `${right} of ${testPhotos.length} photos named right`);
});

test('someone not in the training set is unknown; the others are still named', async (t) => {
  const results = await predict(
    fiveHead,
    testPhotos.map((p) => p.file),
    ['--unknown'],
  );
  let strangers = 0;
  let strangersUnknown = 0;
  let known = 0;
  let knownNamed = 0;
  for (const [i, r] of results.entries()) {
    assert.ok('faces' in r);
    const face = listedFace(r.faces, testPhotos[i]!.box);
    if (!face) continue;
    assert.equal(typeof face.unknown, 'boolean', 'every face has a verdict with --unknown');
    if (testPhotos[i]!.actor === LEFT_OUT) {
      strangers++;
      if (face.unknown) strangersUnknown++;
    } else {
      known++;
      if (!face.unknown && face.top[0]!.actor === testPhotos[i]!.actor) knownNamed++;
    }
  }
  t.diagnostic(
    `${LEFT_OUT} (not trained on): ${strangersUnknown} of ${strangers} unknown; others: ${knownNamed} of ${known} named right`,
  );
  assert.ok(strangers >= 10, `${strangers} test photos of ${LEFT_OUT}`);
  assert.ok(strangersUnknown / strangers >= 0.7, `${strangersUnknown} of ${strangers} strangers unknown`);
  assert.ok(knownNamed / known >= 0.85, `${knownNamed} of ${known} known people still named`);
});

test('predict: an unreadable photo is reported in its own line, the others are still predicted, exit 2', async () => {
  const bad = join(tmp, 'page.jpg');
  await writeFile(bad, '<html><body>gone</body></html>');
  const good = join(tmp, 'good.jpg');
  await copyFile(testPhotos[0]!.file, good);
  const { code, stdout, stderr } = await runCli(['predict', '--model', sixHead, good, bad, '--json']);
  assert.equal(code, 2);
  const results = JSON.parse(stdout.trim().split('\n').pop()!) as JsonPhoto[];
  assert.equal(results.length, 2);
  assert.ok('faces' in results[0]! && results[0].faces.length >= 1);
  assert.ok('error' in results[1]! && /not a JPEG/.test(results[1].error));
  assert.match(stderr, /page\.jpg: the bytes are not a JPEG/);
});

test('predict --annotate writes each photo with its faces boxed and named', async () => {
  const dir = join(tmp, 'annotated');
  const { code, stderr } = await runCli([
    'predict',
    '--model',
    sixHead,
    testPhotos[0]!.file,
    '--annotate',
    dir,
  ]);
  assert.equal(code, 0, stderr);
  const written = await readdir(dir);
  assert.equal(written.length, 1);
});
