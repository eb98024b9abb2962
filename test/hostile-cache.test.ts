/**
 * Issue 12, case 3: two commands sharing one download cache. A download holds the cache's lock
 * for its whole run (a second one waits, then reuses the photos), every manifest save merges
 * with the records of other lines on disk, and `prepare` refuses a list whose people have no
 * records instead of quietly building a smaller dataset.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { acquireLock } from '../src/data/cache-lock.js';
import { downloadPhotos } from '../src/data/download.js';
import { readFaceList } from '../src/data/face-list.js';
import {
  cacheLockPath,
  type DownloadManifest,
  readManifest,
  saveManifestMerged,
} from '../src/data/manifest.js';
import { prepareDataset } from '../src/data/prepare.js';
import { UserError } from '../src/errors.js';
import { runCli } from './helpers/capture-cli.js';
import type { CliProcessResult } from './helpers/cli-process.js';
import { makeFakeCache } from './helpers/fake-cache.js';
import { type MirrorServer, startMirror } from './helpers/mirror-server.js';
import { facescrubImages, facescrubList, repoRoot, SIX_ACTORS } from './helpers/shared.js';

const FIRST = SIX_ACTORS.slice(0, 3);
const SECOND = SIX_ACTORS.slice(3);
const lines = (await readFaceList(facescrubList, { actors: SIX_ACTORS })).lines;
const linesOf = (actors: readonly string[]) => lines.filter((l) => actors.includes(l.name));

let mirror: MirrorServer;
let temp = '';
before(async () => {
  // 50 ms per response: a three-actor download takes about 5 s, far longer than a CLI start.
  mirror = await startMirror({ lines, imagesDir: facescrubImages, latencyMs: 50 });
  temp = await mkdtemp(join(tmpdir(), 'facelab-hostile-cache-'));
});
after(async () => {
  await mirror.close();
  await rm(temp, { recursive: true, force: true });
});

function runChild(args: string[]): Promise<CliProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/cli-entry.ts', ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('two downloads of different people into one cache at once keep every line; prepare builds all six', async () => {
  const cache = join(temp, 'shared-cache');
  const download = (actors: readonly string[]) =>
    runChild([
      'download',
      ...['--subset', facescrubList, '--actors', actors.join(','), '--mirror', mirror.url, '--cache', cache],
      '--json',
    ]);
  // The second starts once the first is surely downloading (its first photos are in).
  const first = download(FIRST);
  const photos = join(cache, 'photos');
  for (;;) {
    const names = await readdir(photos).catch(() => [] as string[]);
    if (names.filter((n) => !n.startsWith('.')).length >= 5) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const [a, b] = await Promise.all([first, download(SECOND)]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);

  const manifest = await readManifest(cache);
  assert.equal(manifest.entries.length, lines.length, 'every line of both downloads has its record');
  assert.deepEqual(
    manifest.entries.map((e) => e.line),
    lines.map((l) => l.line),
  );
  assert.equal(manifest.entries.filter((e) => e.status !== 'failed').length, 581);
  assert.deepEqual((await readdir(cache)).sort(), ['manifest.json', 'photos'], 'no lock left behind');
  const waited = [a, b].filter((r) =>
    /is in use by another download \(process \d+\): waiting/.test(r.stderr),
  );
  assert.equal(waited.length, 1, `exactly one download waited:\n${a.stderr}\n${b.stderr}`);

  const result = await prepareDataset({
    list: facescrubList,
    actors: SIX_ACTORS,
    cacheDir: cache,
    outDir: join(temp, 'six'),
    sizes: [32],
    align: 'off', // (the records are under test, not the landmarks)
  });
  assert.deepEqual([...result.actors].sort(), [...SIX_ACTORS].sort());
  assert.equal(result.photos, 580);
});

test('two downloads in one process: the second waits for the first, and both are recorded', async () => {
  const cache = join(temp, 'in-process');
  const waits: string[] = [];
  const run = (actors: readonly string[]) =>
    downloadPhotos({
      lines: linesOf(actors).slice(0, 40),
      list: facescrubList,
      cacheDir: cache,
      mirror: mirror.url,
      onProgress: (e) => {
        if (e.kind === 'warning') waits.push(e.message);
      },
    });
  const [first, second] = await Promise.all([run(FIRST), run(SECOND)]);
  assert.equal(first.unfinished + second.unfinished, 0);
  assert.equal(waits.length, 1, waits.join('\n'));
  assert.match(waits[0]!, new RegExp(`is in use by another download \\(process ${process.pid}\\)`));
  const manifest = await readManifest(cache);
  assert.equal(manifest.entries.length, 80);
  assert.equal(manifest.complete, true);
});

test('saves merge with the records of other lines on disk, even without the lock', async () => {
  const cache = join(temp, 'merge');
  await mkdir(cache, { recursive: true });
  const [l1, l2, l3] = lines.map((l) => ({
    line: l.line,
    name: l.name,
    url: l.url,
    sha256: l.sha256,
    box: l.box,
    status: 'failed' as const,
    reason: 'http 404',
  }));
  const manifest = (entries: DownloadManifest['entries'], list = facescrubList): DownloadManifest => ({
    version: 1,
    list,
    updated: new Date().toISOString(),
    complete: true,
    entries,
  });
  await saveManifestMerged(cache, manifest([l1!, l2!]), new Set([l1!.line, l2!.line]));
  await saveManifestMerged(cache, manifest([l3!]), new Set([l3!.line]));
  // The first writer saves again (its own lines only, one now verified): the other's record stays.
  const verified = { ...l2!, status: 'verified' as const, reason: 'verified', file: 'photos/x.jpg' };
  await saveManifestMerged(cache, manifest([l1!, verified]), new Set([l1!.line, l2!.line]));
  const onDisk = await readManifest(cache);
  assert.deepEqual(
    onDisk.entries.map((e) => `${e.line} ${e.status}`),
    [`${l1!.line} failed`, `${l2!.line} verified`, `${l3!.line} failed`],
  );
  // Another list's line numbers mean other lines: its records are replaced, not merged.
  await saveManifestMerged(cache, manifest([l1!], join(temp, 'other-list.txt')), new Set([l1!.line]));
  assert.equal((await readManifest(cache)).entries.length, 1);
  assert.deepEqual((await readdir(cache)).sort(), ['manifest.json']);
});

test('a lock left by a killed process is taken over; a wait stops on its signal', async () => {
  const cache = join(temp, 'locks');
  await mkdir(cache, { recursive: true });
  const path = cacheLockPath(cache);
  // A process id that no process has (above the kernel's pid_max), then this process's own id
  // in a lock this process does not hold: both were left by dead processes.
  for (const stale of [4_194_305, process.pid]) {
    await writeFile(path, `${stale}\n`);
    const lock = await acquireLock(path);
    assert.ok(lock, `took over the lock of ${stale}`);
    await lock.release();
  }
  const held = await acquireLock(path);
  assert.ok(held);
  const controller = new AbortController();
  let owner = 0;
  const waiting = acquireLock(path, {
    signal: controller.signal,
    pollMs: 10,
    onWait: (pid) => {
      owner = pid;
      controller.abort();
    },
  });
  assert.equal(await waiting, undefined);
  assert.equal(owner, process.pid);
  // A download stopped while waiting writes nothing and reports every line unfinished.
  const stopped = await downloadPhotos({
    lines: lines.slice(0, 3),
    list: facescrubList,
    cacheDir: cache,
    signal: AbortSignal.abort(),
  });
  assert.equal(stopped.unfinished, 3);
  assert.equal(stopped.interrupted, true);
  await held.release();
  assert.deepEqual(await readdir(cache), ['photos']);
});

test('prepare refuses a list whose people have no download records, naming them (exit 2)', async () => {
  const fake = await makeFakeCache({ actors: FIRST, parent: temp });
  // The manifest of the first three actors only, as a lost save used to leave it.
  const args = ['prepare', '--subset', facescrubList, '--actors', SIX_ACTORS.join(','), '--cache', fake.dir];
  const run = await runCli([...args, '--out', join(temp, 'refused'), '--sizes', '32']);
  assert.equal(run.code, 2, run.stderr);
  // (The list's own malformed last line is warned about first.)
  const errors = run.stderr
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('warning: '));
  assert.equal(errors.length, 1, run.stderr);
  const message = errors[0]!;
  assert.match(
    message,
    new RegExp(`has no download records of 3 of the 6 people .*\\(${SECOND.join(', ')}\\)`),
  );
  await assert.rejects(
    prepareDataset({ list: facescrubList, actors: SIX_ACTORS, cacheDir: fake.dir, outDir: join(temp, 'x') }),
    (error: unknown) => error instanceof UserError && error.message.includes(SECOND[0]!),
  );
  // The three it has records of prepare as before.
  const ok = await prepareDataset({
    list: facescrubList,
    actors: FIRST,
    cacheDir: fake.dir,
    outDir: join(temp, 'y'),
    sizes: [32],
    align: 'off',
  });
  assert.equal(ok.actors.length, 3);
});
