/**
 * Issue 12, case 5: servers that ask to wait, and bodies sent encoded. `429 Too Many Requests`
 * is retried like a 5xx, after the `Retry-After` the server asks for (within a bound); a gzip
 * (deflate, br) body is decoded before it is checked; an encoding facelab cannot decode is
 * said so. Messages never name a temp file.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import zlib from 'node:zlib';
import { writeFileAtomic } from '../src/data/atomic-file.js';
import { downloadPhotos } from '../src/data/download.js';
import { type FaceLine, readFaceList } from '../src/data/face-list.js';
import { parseRetryAfter } from '../src/data/http-encoding.js';
import { StoredZipWriter } from '../src/data/zip-stored.js';
import { facescrubImages, facescrubList, SIX_ACTORS } from './helpers/shared.js';

type Behaviour = (req: IncomingMessage, res: ServerResponse, photo: Buffer, hit: number) => void;

const lines = (await readFaceList(facescrubList, { actors: SIX_ACTORS })).lines;
const images = new Map((await readdir(facescrubImages)).map((n) => [n.slice(0, 64), n]));
const counts = new Map<string, number>();
const live = lines.filter((l) => {
  counts.set(l.sha256, (counts.get(l.sha256) ?? 0) + 1);
  return images.has(l.sha256);
});
const unique = live.filter((l) => counts.get(l.sha256) === 1);

let server: ReturnType<typeof createServer>;
let base = '';
let temp = '';
/** What each line's URL does, by list line; requests counted per line. */
const behaviours = new Map<number, Behaviour>();
const hits = new Map<number, number>();
const byPath = new Map<string, FaceLine>();

before(async () => {
  temp = await mkdtemp(join(tmpdir(), 'facelab-hostile-fetch-'));
  server = createServer((req, res) => {
    const line = byPath.get(req.url ?? '');
    if (!line) return void res.writeHead(404).end();
    const hit = (hits.get(line.line) ?? 0) + 1;
    hits.set(line.line, hit);
    readFile(join(facescrubImages, images.get(line.sha256)!)).then(
      (photo) => behaviours.get(line.line)!(req, res, photo, hit),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(temp, { recursive: true, force: true });
});

/** Downloads `cases` (one unique live line each) through the test server; entries by case. */
async function run(cases: Behaviour[], options: { retries?: number; maxRetryAfterMs?: number } = {}) {
  const chosen = cases.map((behaviour, i) => {
    const line = unique[i * 5]!;
    behaviours.set(line.line, behaviour);
    hits.delete(line.line);
    byPath.set(new URL(line.url).pathname + new URL(line.url).search, line);
    return line;
  });
  const cacheDir = await mkdtemp(join(temp, 'cache-'));
  const started = Date.now();
  const summary = await downloadPhotos({
    lines: chosen.map((l) => ({ ...l, url: `${base}${new URL(l.url).pathname}${new URL(l.url).search}` })),
    list: facescrubList,
    cacheDir,
    retryDelayMs: 10,
    ...options,
  });
  return {
    seconds: (Date.now() - started) / 1000,
    results: chosen.map((line) => ({
      entry: summary.entries.find((e) => e.line === line.line)!,
      requests: hits.get(line.line) ?? 0,
    })),
  };
}

const sendPhoto: Behaviour = (_req, res, photo) => {
  res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': photo.length }).end(photo);
};

test('429 with Retry-After is retried after the wait asked for; too long a wait is not waited for', async () => {
  const retryThen =
    (header: () => string): Behaviour =>
    (req, res, photo, hit) => {
      if (hit === 1) return void res.writeHead(429, { 'retry-after': header() }).end('slow down');
      sendPhoto(req, res, photo, hit);
    };
  const { results, seconds } = await run(
    [
      retryThen(() => '1'),
      retryThen(() => new Date(Date.now() + 1500).toUTCString()),
      (_req, res) => void res.writeHead(429, { 'retry-after': '3600' }).end(),
      (_req, res) => void res.writeHead(429).end(), // no Retry-After: retried with backoff, then fails
      (req, res, photo, hit) => {
        if (hit === 1) return void res.writeHead(503, { 'retry-after': '1' }).end();
        sendPhoto(req, res, photo, hit);
      },
    ],
    { retries: 2 },
  );
  const [seconds1, date, tooLong, bare, unavailable] = results;
  assert.equal(seconds1!.entry.status, 'verified', seconds1!.entry.detail);
  assert.equal(seconds1!.requests, 2);
  assert.equal(date!.entry.status, 'verified', date!.entry.detail);
  assert.equal(date!.requests, 2);
  assert.equal(unavailable!.entry.status, 'verified', unavailable!.entry.detail);
  assert.equal(tooLong!.entry.reason, 'http 429');
  assert.equal(tooLong!.requests, 1);
  assert.match(
    tooLong!.entry.detail!,
    /HTTP 429 .*asked to retry after 3600 s\), longer than the 60 s facelab waits/,
  );
  assert.equal(bare!.entry.reason, 'http 429');
  assert.equal(bare!.requests, 3, 'the first attempt and two retries');
  // The waits asked for were honoured (1 s; about 1 s to the date, which has whole seconds).
  assert.ok(seconds >= 1, `took ${seconds} s`);
});

test('parseRetryAfter reads delay-seconds and HTTP dates', () => {
  const now = Date.parse('2026-12-02T03:00:00Z');
  assert.equal(parseRetryAfter('120', now), 120_000);
  assert.equal(parseRetryAfter('Wed, 02 Dec 2026 03:00:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Wed, 02 Dec 2026 02:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter(undefined, now), undefined);
  assert.equal(parseRetryAfter('soon', now), undefined);
});

test('gzip, deflate and br bodies are decoded and verified; an unknown or broken encoding says so', async () => {
  const encoded =
    (encoding: string, encode: (b: Buffer) => Buffer): Behaviour =>
    (_req, res, photo) => {
      const body = encode(photo);
      res.writeHead(200, {
        'content-type': 'image/jpeg',
        'content-encoding': encoding,
        'content-length': body.length,
      });
      res.end(body);
    };
  const { results } = await run([
    encoded('gzip', (b) => zlib.gzipSync(b)),
    encoded('deflate', (b) => zlib.deflateSync(b)),
    encoded('br', (b) => zlib.brotliCompressSync(b)),
    encoded('deflate', (b) => zlib.deflateRawSync(b)), // not the zlib format HTTP's deflate is
    encoded('compress', (b) => b),
    encoded('gzip', (b) => zlib.gzipSync(b).subarray(0, 300)),
    encoded('gzip', (b) => b), // labelled gzip, sent plain
  ]);
  const outcome = results.map((r) => `${r.entry.status} ${r.entry.reason}`);
  assert.deepEqual(outcome, [
    'verified verified',
    'verified verified',
    'verified verified',
    'failed bad encoding',
    'failed bad encoding',
    'failed bad encoding',
    'failed bad encoding',
  ]);
  assert.match(results[3]!.entry.detail!, /the deflate body does not decode/);
  assert.match(results[4]!.entry.detail!, /Content-Encoding 'compress', which facelab does not decode/);
  assert.match(results[5]!.entry.detail!, /the gzip body does not decode/);
  assert.ok(
    results.every((r) => r.requests === 1),
    'a bad encoding is not retried',
  );
  for (const { entry } of results) assert.doesNotMatch(`${entry.detail ?? ''}`, /\.tmp|line 0/);
});

test('a failed atomic write names its target, not the temp file', async () => {
  const target = join(temp, 'busy', 'manifest.json');
  await mkdir(target, { recursive: true }); // a folder where the file goes: the rename fails
  await assert.rejects(writeFileAtomic(target, 'x'), (error: NodeJS.ErrnoException) => {
    assert.equal(error.code, 'EISDIR');
    assert.equal(error.path, target);
    assert.doesNotMatch(error.message, /\.tmp/);
    assert.match(error.message, /cannot write .*busy\/manifest\.json$/);
    return true;
  });
  const cache = join(temp, 'cache-blocked');
  await mkdir(join(cache, 'manifest.json'), { recursive: true });
  await assert.rejects(
    downloadPhotos({ lines: [], list: facescrubList, cacheDir: cache }),
    (error: Error) => /manifest\.json/.test(error.message) && !/\.tmp/.test(error.message),
  );
});

test('an .npz that cannot be written names the archive, not its temp file', async () => {
  const target = join(temp, 'npz-blocked', 'faces_32.npz');
  await mkdir(target, { recursive: true }); // a folder where the archive goes: the rename fails
  const zip = await StoredZipWriter.create(target);
  await zip.append('a.npy', [Uint8Array.of(1, 2, 3)]);
  await assert.rejects(zip.close(), (error: NodeJS.ErrnoException) => {
    assert.equal(error.path, target);
    assert.doesNotMatch(error.message, /\.tmp/);
    return true;
  });
});
