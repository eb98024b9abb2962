import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { downloadPhotos, hashFile } from '../src/data/download.js';
import type { FaceLine } from '../src/data/face-list.js';
import { readFaceList } from '../src/data/face-list.js';
import type { DownloadManifest, ManifestEntry } from '../src/data/manifest.js';
import { InvalidOptionError } from '../src/errors.js';
import { type Fault, type MirrorServer, startMirror } from './helpers/mirror-server.js';
import { facescrubImages, facescrubList, repoRoot, SIX_ACTORS } from './helpers/shared.js';

const lines = (await readFaceList(facescrubList, { actors: SIX_ACTORS })).lines;
const available = new Set((await readdir(facescrubImages)).map((n) => n.split('.')[0]!));
const hashCount = new Map<string, number>();
for (const l of lines) hashCount.set(l.sha256, (hashCount.get(l.sha256) ?? 0) + 1);
/** Lines with a photo in the shared set that no other line shares. */
const live = lines.filter((l) => available.has(l.sha256) && hashCount.get(l.sha256) === 1);
const dead = lines.filter((l) => !available.has(l.sha256));

const temps: string[] = [];
let mirror: MirrorServer;
let slowMirror: MirrorServer;
before(async () => {
  mirror = await startMirror({ lines, imagesDir: facescrubImages });
  slowMirror = await startMirror({ lines, imagesDir: facescrubImages, latencyMs: 80 });
});
after(async () => {
  await mirror.close();
  await slowMirror.close();
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

async function freshCache(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'facelab-faults-'));
  temps.push(dir);
  return dir;
}

/** Every photo in the cache is whole and verified, and no temp file is left. */
async function assertCacheClean(cache: string): Promise<void> {
  const names = await readdir(join(cache, 'photos'));
  for (const name of names) {
    assert.match(name, /^[0-9a-f]{64}\.(jpg|png)$/, `unexpected file ${name} in the cache`);
    assert.equal(await hashFile(join(cache, 'photos', name)), name.split('.')[0], `${name} is corrupt`);
  }
  assert.ok(!(await readdir(cache)).some((n) => n.endsWith('.tmp')), 'temp file left in the cache folder');
}

test('injected faults end with the right reason, retried only when transient', async () => {
  const cases: { fault: Fault | '404'; status: string; reason: string; requests: number }[] = [
    { fault: '500-then-200', status: 'verified', reason: 'verified', requests: 2 },
    { fault: 'stall', status: 'failed', reason: 'timeout', requests: 3 },
    { fault: 'truncate', status: 'failed', reason: 'hash mismatch', requests: 1 },
    { fault: 'alter-bytes', status: 'failed', reason: 'hash mismatch', requests: 1 },
    { fault: 'html-as-jpeg', status: 'failed', reason: 'not an image', requests: 1 },
    { fault: 'oversized', status: 'failed', reason: 'too large', requests: 1 },
    { fault: 'oversized-announced', status: 'failed', reason: 'too large', requests: 1 },
    // the first request plus 5 followed redirects, then the limit stops it
    { fault: 'redirect-loop', status: 'failed', reason: 'too many redirects', requests: 6 },
    { fault: 'redirect', status: 'verified', reason: 'verified', requests: 1 },
    { fault: 'reset', status: 'failed', reason: 'connection error', requests: 3 },
    { fault: '404', status: 'failed', reason: 'http 404', requests: 1 },
  ];
  const chosen: FaceLine[] = cases.map((c, i) => (c.fault === '404' ? dead[0]! : live[i * 7]!));
  cases.forEach((c, i) => {
    if (c.fault !== '404') mirror.setFault(mirror.pathOf(chosen[i]!.url), c.fault);
  });
  const cache = await freshCache();
  const summary = await downloadPhotos({
    lines: chosen,
    list: facescrubList,
    cacheDir: cache,
    mirror: mirror.url,
    // Long enough that a loaded machine (six engineers on two cores) times out only the stall.
    timeoutMs: 1500,
    retries: 2,
    retryDelayMs: 10,
  });
  cases.forEach((c, i) => {
    const line = chosen[i]!;
    const entry = summary.entries.find((e) => e.line === line.line)!;
    assert.equal(
      `${entry.status}/${entry.reason}`,
      `${c.status}/${c.reason}`,
      `fault ${c.fault}: ${entry.detail}`,
    );
    assert.equal(mirror.requests.get(mirror.pathOf(line.url)), c.requests, `requests for fault ${c.fault}`);
  });
  assert.equal(summary.verified, 2);
  assert.equal(summary.unfinished, 0);
  const mismatch = summary.entries.find((e) => e.line === chosen[2]!.line)!;
  assert.match(
    mismatch.detail!,
    new RegExp(`expected SHA-256 ${chosen[2]!.sha256} but received [0-9a-f]{64}`),
  );
  assert.equal((await readdir(join(cache, 'photos'))).length, 2);
  await assertCacheClean(cache);
  for (const line of chosen) mirror.setFault(mirror.pathOf(line.url), undefined);
});

test('a failed periodic manifest save does not fail the run when the final save succeeds', async () => {
  const cache = await freshCache();
  // A folder where manifest.json goes makes every save fail (rename onto a folder) until it
  // is removed at the first photo's outcome; the 80 ms mirror latency spans many 2 ms periods.
  const blocker = join(cache, 'manifest.json');
  await mkdir(blocker);
  let removed = false;
  const summary = await downloadPhotos({
    lines: live.slice(0, 2),
    list: facescrubList,
    cacheDir: cache,
    mirror: slowMirror.url,
    concurrency: 1,
    manifestIntervalMs: 2,
    onProgress: (event) => {
      if (event.kind === 'advance' && !removed) {
        removed = true;
        rmSync(blocker, { recursive: true });
      }
    },
  });
  assert.ok(removed, 'the blocking folder was removed during the run');
  assert.equal(summary.verified, 2);
  const manifest = JSON.parse(await readFile(blocker, 'utf8')) as DownloadManifest;
  assert.equal(manifest.complete, true);
  assert.equal(manifest.entries.length, 2);
});

test('a failed final manifest save fails the run, naming the manifest', async () => {
  const cache = await freshCache();
  await mkdir(join(cache, 'manifest.json'));
  await assert.rejects(
    downloadPhotos({ lines: live.slice(0, 1), list: facescrubList, cacheDir: cache, mirror: mirror.url }),
    /manifest\.json/,
  );
});

test('concurrency must be a positive integer', async () => {
  const cache = await freshCache();
  for (const concurrency of [0, -1, 1.5, Number.NaN]) {
    await assert.rejects(
      downloadPhotos({ lines: live.slice(0, 1), list: facescrubList, cacheDir: cache, concurrency }),
      (error: Error) =>
        error instanceof InvalidOptionError && /positive integer for concurrency/.test(error.message),
      `concurrency ${concurrency}`,
    );
  }
});

/** Starts the CLI as a child process downloading `subset` lines into `cache` via the slow mirror. */
function startChild(cache: string, actors: string): ChildProcess {
  const args = ['download', '--subset', facescrubList, '--actors', actors, '--mirror', slowMirror.url];
  return spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'test/helpers/cli-entry.ts',
      ...args,
      '--cache',
      cache,
      '--concurrency',
      '4',
      '--json',
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/** Waits until `count` photos are in the cache (and, with `manifest`, a periodic manifest too). */
async function waitForPhotos(
  cache: string,
  count: number,
  child: ChildProcess,
  manifest = false,
): Promise<void> {
  const dir = join(cache, 'photos');
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`the child exited (${child.exitCode}) before ${count} photos`);
    const names = existsSync(dir) ? await readdir(dir) : [];
    const manifestReady = !manifest || existsSync(join(cache, 'manifest.json'));
    if (manifestReady && names.filter((n) => !n.startsWith('.')).length >= count) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

const outcome = (entries: ManifestEntry[]) =>
  entries.map((e) => `${e.line} ${e.status} ${e.reason} ${e.file ?? ''}`).sort();

test('killing a download midway, then re-running, ends with the same verified set', async () => {
  const actors = 'Peri Gilpin,Angie Harmon';
  const subset = lines.filter((l) => actors.split(',').includes(l.name));
  const reference = await downloadPhotos({
    lines: subset,
    list: facescrubList,
    cacheDir: await freshCache(),
    mirror: mirror.url,
  });
  assert.equal(reference.unfinished, 0);

  const cache = await freshCache();
  const child = startChild(cache, actors);
  const done = exited(child);
  // The CLI rewrites its manifest every 5 s; waiting for the first one makes the kill land
  // after a periodic write, with requests in flight (80 ms mirror latency, ~9 s job).
  await waitForPhotos(cache, 20, child, true);
  child.kill('SIGKILL');
  assert.deepEqual(await done, { code: null, signal: 'SIGKILL' });
  const photosAtKill = (await readdir(join(cache, 'photos'))).filter((n) => !n.startsWith('.'));
  assert.ok(photosAtKill.length < reference.photos, `killed after all ${photosAtKill.length} photos`);
  for (const name of photosAtKill) {
    assert.equal(await hashFile(join(cache, 'photos', name)), name.split('.')[0], `${name} is corrupt`);
  }
  const partial = JSON.parse(await readFile(join(cache, 'manifest.json'), 'utf8')) as DownloadManifest;
  assert.equal(partial.complete, false);
  assert.ok(partial.entries.length > 0 && partial.entries.length < subset.length);
  for (const e of partial.entries.filter((x) => x.status !== 'failed')) {
    assert.equal(await hashFile(join(cache, e.file!)), e.sha256, `manifest line ${e.line}`);
  }

  const rerun = await downloadPhotos({
    lines: subset,
    list: facescrubList,
    cacheDir: cache,
    mirror: mirror.url,
  });
  assert.ok(rerun.cached >= photosAtKill.length, 'photos of the killed run are reused');
  assert.deepEqual(outcome(rerun.entries), outcome(reference.entries));
  const manifest = JSON.parse(await readFile(join(cache, 'manifest.json'), 'utf8')) as DownloadManifest;
  assert.equal(manifest.complete, true);
  assert.deepEqual(outcome(manifest.entries), outcome(reference.entries));
  await assertCacheClean(cache);
  assert.ok(!(await readdir(join(cache, 'photos'))).some((n) => n.endsWith('.tmp')), 'stale temps removed');
});

test('SIGTERM stops the CLI with 143 and leaves a valid, partial manifest', async () => {
  const cache = await freshCache();
  const child = startChild(cache, 'Bill Hader');
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  const done = exited(child);
  await waitForPhotos(cache, 5, child);
  child.kill('SIGTERM');
  assert.deepEqual(await done, { code: 143, signal: null });
  const summary = JSON.parse(stdout.trim().split('\n').pop()!);
  assert.ok(summary.unfinished > 0, `nothing left unfinished: ${stdout}`);
  const failed = Object.values(summary.failed as Record<string, number>).reduce((a, b) => a + b, 0);
  assert.equal(summary.verified + failed + summary.unfinished, summary.lines);
  const manifest = JSON.parse(await readFile(join(cache, 'manifest.json'), 'utf8')) as DownloadManifest;
  assert.equal(manifest.complete, false);
  assert.equal(manifest.entries.length, summary.lines - summary.unfinished);
  await assertCacheClean(cache);
});
