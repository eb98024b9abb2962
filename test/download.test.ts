import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { downloadPhotos, hashFile } from '../src/data/download.js';
import { readFaceList } from '../src/data/face-list.js';
import { sniffImage } from '../src/data/image-sniff.js';
import { readManifest } from '../src/data/manifest.js';
import { mirrorUrl, parseMirrorBase } from '../src/data/mirror-url.js';
import { InvalidOptionError } from '../src/errors.js';
import { runCliProcess } from './helpers/cli-process.js';
import { type MirrorServer, startMirror } from './helpers/mirror-server.js';
import { facescrubImages, facescrubList, SIX_ACTORS } from './helpers/shared.js';

test('mirrorUrl rewrites http(s)://HOST/PATH?QUERY to MIRROR/HOST/PATH?QUERY', () => {
  const m = 'http://127.0.0.1:8080';
  assert.equal(mirrorUrl('http://a.com/x/y.jpg', m), 'http://127.0.0.1:8080/a.com/x/y.jpg');
  assert.equal(
    mirrorUrl('https://a.com/y.jpg?w=1&h=2#frag', `${m}/`),
    'http://127.0.0.1:8080/a.com/y.jpg?w=1&h=2',
  );
  assert.equal(
    mirrorUrl('http://A.com:81/p%21/../q.jpg', `${m}/base`),
    'http://127.0.0.1:8080/base/a.com:81/q.jpg',
  );
  assert.equal(mirrorUrl('http://user:pw@a.com', m), 'http://127.0.0.1:8080/a.com/');
  assert.equal(mirrorUrl('http://a.com/a b.jpg', m), 'http://127.0.0.1:8080/a.com/a%20b.jpg');
  for (const bad of ['ftp://a.com/x', 'not a url'])
    assert.throws(
      () => mirrorUrl(bad, m),
      (e) => e instanceof InvalidOptionError && e.message.includes(bad),
    );
});

test('parseMirrorBase accepts http(s) bases and names the flag otherwise', () => {
  assert.equal(parseMirrorBase('http://localhost:9/m//'), 'http://localhost:9/m');
  for (const bad of ['not a url', 'ftp://x/', 'http://x/?q=1', 'http://x/#f']) {
    assert.throws(
      () => parseMirrorBase(bad),
      (e) => e instanceof InvalidOptionError && /--mirror/.test(e.message) && e.message.includes(bad),
    );
  }
});

test('sniffImage recognises image signatures and rejects HTML, text and short bodies', async () => {
  const names = await readdir(facescrubImages);
  const jpg = names.find((n) => n.endsWith('.jpg'))!;
  const png = names.find((n) => n.endsWith('.png'))!;
  assert.equal(sniffImage((await readFile(join(facescrubImages, jpg))).subarray(0, 12)), 'jpeg');
  assert.equal(sniffImage((await readFile(join(facescrubImages, png))).subarray(0, 12)), 'png');
  const bytes = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));
  assert.equal(sniffImage(bytes('GIF89a\x01\x00\x01\x00\x00\x00')), 'gif');
  assert.equal(sniffImage(bytes('RIFF\x10\x00\x00\x00WEBPVP8 ')), 'webp');
  assert.equal(sniffImage(bytes('BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36\x00')), 'bmp');
  assert.equal(sniffImage(bytes('II*\x00\x08\x00\x00\x00')), 'tiff');
  assert.equal(sniffImage(bytes('MM\x00*\x00\x00\x00\x08')), 'tiff');
  for (const notImage of [
    '<!DOCTYPE html><html>',
    '  <html>',
    'BMW is a car brand',
    'RIFF\x10\x00\x00\x00WAVE',
    '',
  ]) {
    assert.equal(sniffImage(bytes(notImage)), undefined, JSON.stringify(notImage));
  }
  assert.equal(sniffImage(Uint8Array.from([0xff, 0xd8])), undefined, 'two bytes are not enough for JPEG');
});

let mirror: MirrorServer;
let cache: string;
const lines = (await readFaceList(facescrubList, { actors: SIX_ACTORS })).lines;
// The expected counts, derived from the data rather than trusted: a line is verifiable when its
// photo is in the shared images folder.
const available = new Set((await readdir(facescrubImages)).map((n) => n.split('.')[0]!));
const verifiableLines = lines.filter((l) => available.has(l.sha256));
const verifiablePhotos = new Set(verifiableLines.map((l) => l.sha256));

before(async () => {
  mirror = await startMirror({ lines, imagesDir: facescrubImages });
  cache = await mkdtemp(join(tmpdir(), 'facelab-download-'));
});
after(async () => {
  await mirror.close();
  await rm(cache, { recursive: true, force: true });
});

const runCli = runCliProcess;

test('the six-actor job through the mirror: 1,492 lines, 581 verified, 1 duplicate, 580 photos, 911 failed', async () => {
  assert.equal(lines.length, 1492);
  assert.equal(verifiableLines.length, 581, 'lines with a photo in the shared set');
  assert.equal(verifiablePhotos.size, 580, 'distinct photos in the shared set');

  const run = await runCli([
    'download',
    '--subset',
    facescrubList,
    '--actors',
    SIX_ACTORS.join(','),
    '--mirror',
    mirror.url,
    '--cache',
    cache,
    '--json',
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /warning: .*faces_subset\.txt:3105: expected 6 tab-separated fields/);
  const summary = JSON.parse(run.stdout.trim().split('\n').pop()!);
  const { seconds, ...counts } = summary;
  assert.deepEqual(counts, {
    lines: 1492,
    verified: 581,
    duplicates: 1,
    photos: 580,
    failed: { 'http 404': 911 },
    malformed: 1,
  });
  assert.ok(typeof seconds === 'number' && seconds >= 0);

  const manifest = await readManifest(cache);
  assert.equal(manifest.complete, true);
  assert.equal(manifest.entries.length, 1492);
  const by = (status: string) => manifest.entries.filter((e) => e.status === status);
  assert.equal(by('verified').length, 580);
  assert.equal(by('duplicate').length, 1);
  assert.equal(by('failed').length, 911);
  assert.deepEqual(
    new Set([...by('verified'), ...by('duplicate')].map((e) => e.line)),
    new Set(verifiableLines.map((l) => l.line)),
  );
  const duplicate = by('duplicate')[0]!;
  const first = manifest.entries.find((e) => e.sha256 === duplicate.sha256 && e.status === 'verified')!;
  assert.ok(first.line < duplicate.line);
  assert.equal(duplicate.reason, `duplicate of line ${first.line}`);
  assert.equal(duplicate.file, first.file);
  // Lines that share a hash but whose photo is gone keep their own failure.
  const deadShared = manifest.entries.filter(
    (e) => e.status === 'failed' && manifest.entries.filter((o) => o.sha256 === e.sha256).length > 1,
  );
  assert.equal(deadShared.length, 8);
  assert.ok(deadShared.every((e) => e.reason === 'http 404'));

  const files = await readdir(join(cache, 'photos'));
  assert.equal(files.length, 580);
  for (const name of files) {
    assert.match(name, /^[0-9a-f]{64}\.(jpg|png)$/);
    assert.equal(await hashFile(join(cache, 'photos', name)), name.split('.')[0], name);
  }
  assert.deepEqual(new Set(files.map((n) => n.split('.')[0])), verifiablePhotos);
  assert.deepEqual((await readdir(cache)).sort(), ['manifest.json', 'photos']);
});

test('a re-run re-hashes and skips cached photos, and replaces a corrupt one', async () => {
  assert.ok(existsSync(join(cache, 'manifest.json')), 'needs the previous test');
  const victim = (await readManifest(cache)).entries.find((e) => e.status === 'verified')!;
  await writeFile(join(cache, victim.file!), 'not the photo');
  await writeFile(join(cache, 'photos', `.${victim.sha256}.999999.deadbeef.tmp`), 'stale half file');
  const before = new Map(mirror.requests);
  // A relative list path is recorded absolute.
  const list = relative(process.cwd(), facescrubList);
  const summary = await downloadPhotos({ lines, list, cacheDir: cache, mirror: mirror.url });
  assert.equal((await readManifest(cache)).list, facescrubList);
  assert.equal(summary.verified, 581);
  assert.equal(summary.photos, 580);
  assert.equal(summary.cached, 579, 'every photo but the corrupted one comes from the cache');
  const fetchedAgain = [...mirror.requests].filter(([path, n]) => n > (before.get(path) ?? 0));
  const livePaths = new Set(verifiableLines.map((l) => mirror.pathOf(l.url)));
  assert.deepEqual(
    fetchedAgain.filter(([path]) => livePaths.has(path)).map(([path]) => path),
    [mirror.pathOf(victim.url)],
  );
  assert.equal(await hashFile(join(cache, victim.file!)), victim.sha256);
  assert.ok(!(await readdir(join(cache, 'photos'))).some((n) => n.endsWith('.tmp')), 'stale temp removed');
});
