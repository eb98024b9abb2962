import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { cropFace } from '../src/data/crop.js';
import { downloadPhotos } from '../src/data/download.js';
import { parseFaceList } from '../src/data/face-list.js';
import { mirrorUrl } from '../src/data/mirror-url.js';
import { startPhotoServer } from '../src/demo/photo-server.js';
import { type DemoDataset, generateDemoDataset } from '../src/demo/synthetic-dataset.js';
import { syntheticPeople } from '../src/demo/synthetic-people.js';
import { type PhotoEncoding, renderSyntheticPhoto } from '../src/demo/synthetic-photo.js';
import { InvalidOptionError, UserError } from '../src/errors.js';

const PER_PERSON = 8;
let root: string;
let demo: DemoDataset;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'facelab-demo-'));
  demo = await generateDemoDataset({
    outDir: join(root, 'a'),
    seed: 1,
    photosPerPerson: PER_PERSON,
    concurrency: 1,
  });
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** SHA-256 of every file under `dir`, by relative path. */
async function hashTree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.set(
      relative(dir, path),
      createHash('sha256')
        .update(await readFile(path))
        .digest('hex'),
    );
  }
  return out;
}

test('six synthetic people, reproducible from the seed, with distinct colours and shapes', () => {
  const people = syntheticPeople({ seed: 1 });
  assert.equal(people.length, 6);
  assert.deepEqual(syntheticPeople({ seed: 1 }), people);
  for (const p of people) assert.match(p.name, /Synth$/, `${p.name} should be marked synthetic`);
  assert.equal(new Set(people.map((p) => p.skin.join())).size, 6, 'skin tones repeat');
  assert.equal(new Set(people.map((p) => p.hair.join())).size, 6, 'hair colours repeat');
  assert.equal(new Set(people.map((p) => p.hairStyle)).size, 6, 'hair styles repeat');
  const widths = people.map((p) => p.faceWidth).sort((a, b) => a - b);
  for (let i = 1; i < 6; i++)
    assert.ok(widths[i]! - widths[i - 1]! > 0.01, `face widths too close: ${widths}`);
  assert.notDeepEqual(syntheticPeople({ seed: 2 }), people, 'another seed should draw other people');
});

test('generation is deterministic: same seed, byte-identical list, routes and photos', async () => {
  // Another concurrency, so the order in which photos finish differs.
  const again = await generateDemoDataset({
    outDir: join(root, 'b'),
    seed: 1,
    photosPerPerson: PER_PERSON,
    concurrency: 4,
  });
  assert.equal(again.reused, false);
  const a = await hashTree(join(root, 'a'));
  const b = await hashTree(join(root, 'b'));
  assert.equal(a.size, 6 * PER_PERSON + 1 + 4, 'photos, the spare photo and four metadata files');
  assert.deepEqual(b, a);
  const other = await generateDemoDataset({ outDir: join(root, 'c'), seed: 2, photosPerPerson: 2 });
  assert.notEqual(await readFile(other.listFile, 'utf8'), await readFile(demo.listFile, 'utf8'));
});

test('a second call with the same options reuses the folder; other options replace it', async () => {
  const dir = join(root, 'reuse');
  const first = await generateDemoDataset({ outDir: dir, seed: 3, photosPerPerson: 2 });
  const before = await hashTree(dir);
  const second = await generateDemoDataset({ outDir: dir, seed: 3, photosPerPerson: 2 });
  assert.equal(first.reused, false);
  assert.equal(second.reused, true);
  assert.deepEqual(second.routes, first.routes);
  assert.deepEqual(await hashTree(dir), before);
  // A temp folder of a killed run (its process is gone) is cleaned up by the next generation.
  const dead = spawnSync(process.execPath, ['-e', '']).pid!;
  const stale = join(root, `.reuse.${dead}.0123abcd.tmp`);
  await mkdir(join(stale, 'photos'), { recursive: true });
  const third = await generateDemoDataset({ outDir: dir, seed: 3, photosPerPerson: 3 });
  assert.equal(third.reused, false);
  assert.equal(third.photos, 18);
  assert.deepEqual(
    (await readdir(root)).filter((n) => n.endsWith('.tmp') || n.endsWith('.old')),
    [],
    'temp folders left behind',
  );
});

test('refuses a folder that is not a demo dataset, and bad options', async () => {
  const dir = join(root, 'someone-else');
  await mkdir(dir);
  await writeFile(join(dir, 'notes.txt'), 'keep me');
  await assert.rejects(generateDemoDataset({ outDir: dir, photosPerPerson: 1 }), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, /someone-else exists and is not a facelab demo dataset/);
    return true;
  });
  assert.equal(await readFile(join(dir, 'notes.txt'), 'utf8'), 'keep me');
  for (const photosPerPerson of [0, 2.5, 1001]) {
    await assert.rejects(
      generateDemoDataset({ outDir: join(root, 'bad'), photosPerPerson }),
      (e: unknown) => e instanceof InvalidOptionError && /photosPerPerson/.test(e.message),
    );
  }
  for (const concurrency of [0, -2, 1.5]) {
    await assert.rejects(
      generateDemoDataset({ outDir: join(root, 'bad'), photosPerPerson: 1, concurrency }),
      (e: unknown) => e instanceof InvalidOptionError && /positive integer for concurrency/.test(e.message),
      `concurrency ${concurrency}`,
    );
  }
});

test('good lines carry the real SHA-256 and a square box inside the photo; broken lines are as planned', async () => {
  const text = await readFile(demo.listFile, 'utf8');
  assert.ok(!text.endsWith('\n'), 'the last line should be truncated without a newline');
  const list = parseFaceList(text, demo.listFile);
  assert.equal(list.totalLines, demo.lines);
  assert.equal(demo.lines, 6 * PER_PERSON + demo.broken + demo.duplicates);
  assert.equal(demo.broken, 5);
  assert.equal(demo.duplicates, 1);
  assert.deepEqual(
    list.problems.map((p) => p.reason.replace(/ \(.*\)/, '')),
    ['expected 6 tab-separated fields but found 5', 'expected 6 tab-separated fields but found 4'],
  );
  assert.equal(list.problems[1]!.line, demo.lines);
  const perPerson = new Map<string, number>();
  let served = 0;
  for (const line of list.lines) {
    const route = demo.routes.get(mirrorUrl(line.url, ''));
    assert.match(new URL(line.url).hostname, /\.example$/, `line ${line.line} points outside .example`);
    if (route?.file === undefined || route.fault !== undefined) continue;
    served++;
    const bytes = await readFile(join(demo.imagesDir, route.file));
    assert.equal(
      createHash('sha256').update(bytes).digest('hex'),
      line.sha256,
      `line ${line.line}: wrong SHA-256`,
    );
    const { width = 0, height = 0 } = await sharp(bytes).metadata();
    const { x1, y1, x2, y2 } = line.box;
    assert.ok(
      x1 >= 0 && y1 >= 0 && x2 <= width && y2 <= height,
      `line ${line.line}: box outside ${width}×${height}`,
    );
    assert.equal(x2 - x1, y2 - y1, `line ${line.line}: box not square`);
    assert.ok(x2 - x1 >= 50, `line ${line.line}: face only ${x2 - x1} px`);
    perPerson.set(line.name, (perPerson.get(line.name) ?? 0) + 1);
  }
  assert.equal(served, 6 * PER_PERSON + demo.duplicates);
  assert.deepEqual([...perPerson.keys()], demo.people);
  const faults = [...demo.routes.values()].map((r) => r.fault).filter((f) => f !== undefined);
  assert.deepEqual(faults.sort(), ['html', 'wrong-bytes']);
});

test('encodings: JPEG, grayscale JPEG, PNG, PNG with alpha and grayscale PNG decode as such', async () => {
  const person = syntheticPeople()[0]!;
  const expected: Record<PhotoEncoding, [format: string, channels: number]> = {
    jpeg: ['jpeg', 3],
    'jpeg-gray': ['jpeg', 1],
    png: ['png', 3],
    'png-alpha': ['png', 4],
    'png-gray': ['png', 1],
  };
  for (const [encoding, [format, channels]] of Object.entries(expected)) {
    const photo = await renderSyntheticPhoto(person, { seed: 5, encoding: encoding as PhotoEncoding });
    const meta = await sharp(photo.bytes).metadata();
    assert.equal(meta.format, format, encoding);
    assert.equal(meta.channels, channels, encoding);
    assert.deepEqual([meta.width, meta.height], [photo.width, photo.height], encoding);
    // The crop pipeline reads every encoding.
    const { crops } = await cropFace(photo.bytes, photo.box, { sides: [32] });
    assert.equal(crops[0]!.length, 32 * 32 * 3);
  }
});

test('people differ from each other more than their own photos do (32 px crops)', async (t) => {
  const list = parseFaceList(await readFile(demo.listFile, 'utf8'), demo.listFile);
  const crops: { who: string; x: Float64Array }[] = [];
  const seen = new Set<string>();
  for (const line of list.lines) {
    const route = demo.routes.get(mirrorUrl(line.url, ''));
    if (route?.file === undefined || route.fault !== undefined || seen.has(line.sha256)) continue;
    seen.add(line.sha256);
    const {
      crops: [crop],
    } = await cropFace(join(demo.imagesDir, route.file), line.box, { sides: [32] });
    crops.push({ who: line.name, x: Float64Array.from(crop!, (v) => v / 255) });
  }
  assert.equal(crops.length, 6 * PER_PERSON);
  const distance = (a: Float64Array, b: Float64Array): number => {
    let sum = 0;
    for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
    return Math.sqrt(sum);
  };
  let within = 0;
  let between = 0;
  for (const who of demo.people) {
    const own = crops.filter((c) => c.who === who);
    const others = crops.filter((c) => c.who !== who);
    let w = 0;
    let nw = 0;
    let b = 0;
    for (const a of own) {
      for (const c of own) {
        if (a === c) continue;
        w += distance(a.x, c.x);
        nw++;
      }
      for (const c of others) b += distance(a.x, c.x);
    }
    w /= nw;
    b /= own.length * others.length;
    assert.ok(b > w, `${who}: mean distance to other people ${b.toFixed(2)} ≤ to own photos ${w.toFixed(2)}`);
    within += w / 6;
    between += b / 6;
  }
  assert.ok(
    between > 1.1 * within,
    `people barely differ: between ${between.toFixed(2)}, within ${within.toFixed(2)}`,
  );
  // Leave-one-out nearest centroid: far above chance (1/6), far from perfect is not required.
  let correct = 0;
  for (const probe of crops) {
    let best = '';
    let bestDistance = Infinity;
    for (const who of demo.people) {
      const own = crops.filter((c) => c.who === who && c !== probe);
      const centroid = new Float64Array(probe.x.length);
      for (const c of own) for (let i = 0; i < centroid.length; i++) centroid[i]! += c.x[i]! / own.length;
      const d = distance(probe.x, centroid);
      if (d < bestDistance) {
        bestDistance = d;
        best = who;
      }
    }
    if (best === probe.who) correct++;
  }
  t.diagnostic(
    `mean crop distance within ${within.toFixed(2)}, between ${between.toFixed(2)}; nearest centroid ${correct}/${crops.length}`,
  );
  assert.ok(correct / crops.length > 0.4, `nearest-centroid accuracy only ${correct}/${crops.length}`);
});

test('the photo server serves each file at its mirror path and misbehaves only where told', async () => {
  const server = await startPhotoServer({ imagesDir: demo.imagesDir, routes: demo.routes });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    let checked = 0;
    for (const [path, route] of demo.routes) {
      const response = await fetch(`${server.url}${path}`);
      const body = new Uint8Array(await response.arrayBuffer());
      if (route.fault === 'html') {
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('content-type'), 'image/jpeg');
        assert.match(new TextDecoder().decode(body), /^<!DOCTYPE html>/);
        continue;
      }
      const file = await readFile(join(demo.imagesDir, route.file!));
      assert.equal(response.status, 200, path);
      assert.equal(
        response.headers.get('content-type'),
        route.file!.endsWith('.png') ? 'image/png' : 'image/jpeg',
      );
      if (route.fault === 'wrong-bytes') {
        assert.equal(body.length, file.length);
        assert.notDeepEqual(body, new Uint8Array(file), `${path} should be corrupted`);
      } else {
        assert.deepEqual(body, new Uint8Array(file), `${path} served other bytes`);
        checked++;
      }
    }
    assert.equal(checked, 6 * PER_PERSON + demo.duplicates);
    const first = [...demo.routes.keys()][0]!;
    for (const path of [
      '/demo-photos.example/nobody/001.jpg',
      '/',
      `${first}?x=1`,
      first.replace(/^\/[^/]+/, ''),
    ]) {
      assert.equal((await fetch(`${server.url}${path}`)).status, 404, `${path} should 404`);
    }
    assert.equal((await fetch(`${server.url}${first}`, { method: 'POST' })).status, 405);
    const head = await fetch(`${server.url}${first}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.ok(Number(head.headers.get('content-length')) > 0);
  } finally {
    await server.close();
  }
  await assert.rejects(
    startPhotoServer({ imagesDir: demo.imagesDir, routes: new Map([['/x', { file: '../../etc/passwd' }]]) }),
    /lies outside/,
  );
});

test('the real downloader fetches the demo list through the server, failing exactly the planned lines', async () => {
  const server = await startPhotoServer({ imagesDir: demo.imagesDir, routes: demo.routes });
  try {
    const list = parseFaceList(await readFile(demo.listFile, 'utf8'), demo.listFile);
    const summary = await downloadPhotos({
      lines: list.lines,
      list: demo.listFile,
      cacheDir: join(root, 'cache'),
      mirror: server.url,
      retryDelayMs: 5,
    });
    assert.equal(summary.photos, 6 * PER_PERSON);
    assert.equal(summary.duplicates, demo.duplicates);
    assert.deepEqual(summary.failed, { 'http 404': 1, 'hash mismatch': 1, 'not an image': 1 });
    assert.equal(summary.unfinished, 0);
  } finally {
    await server.close();
  }
});
