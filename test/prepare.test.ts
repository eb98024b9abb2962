import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cropFace } from '../src/data/crop.js';
import { loadPrepared } from '../src/data/dataset.js';
import type { DownloadManifest } from '../src/data/manifest.js';
import type { SplitManifest } from '../src/data/split-manifest.js';
import { UserError } from '../src/errors.js';
import { runCli } from './helpers/capture-cli.js';
import { type FakeCache, makeFakeCache } from './helpers/fake-cache.js';
import { pythonMissing, runPython } from './helpers/python.js';
import { facescrubList, SIX_ACTORS } from './helpers/shared.js';

let cache: FakeCache;
let temp = '';
const out = () => join(temp, 'six');

const run = runCli;

const lastJson = (stdout: string): Record<string, unknown> =>
  JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;

before(async () => {
  cache = await makeFakeCache();
  temp = await mkdtemp(join(tmpdir(), 'facelab-prepare-'));
});

after(async () => {
  await cache.cleanup();
  await rm(temp, { recursive: true, force: true });
});

// Expected totals, summed from the per-actor parts worked out in split.test.ts:
// train 70+70+65+58+38+61 = 362, val 20+20+19+17+11+17 = 104, test 20+20+19+17+11+18 = 105,
// unused (111−110) + (118−110) = 9.
test('prepare of the 580 shared photos at 32 and 227 px through the CLI', async () => {
  assert.equal(cache.verified, 580);
  const args = ['prepare', '--subset', facescrubList, '--actors', SIX_ACTORS.join(','), '--cache', cache.dir];
  const { code, stdout, stderr } = await run([...args, '--out', out(), '--sizes', '32,227', '--json']);
  assert.equal(code, 0, stderr);
  const summary = lastJson(stdout);
  assert.deepEqual(Object.keys(summary), ['photos', 'sizes', 'split', 'seconds', 'unused', 'left_out']);
  assert.equal(summary.photos, 580);
  assert.deepEqual(summary.sizes, [32, 227]);
  assert.deepEqual(summary.split, { train: 362, val: 104, test: 105 });
  assert.equal(summary.unused, 9);
  assert.equal(typeof summary.seconds, 'number');
  assert.match(stderr, /faces_subset\.txt:3105/, 'the truncated last line is reported');
  assert.match(stderr, /Peri Gilpin\s+38\s+11\s+11\s+0/, 'the human table goes to stderr with --json');

  const human = await run([...args, '--out', join(temp, 'human'), '--sizes', '32']);
  assert.equal(human.code, 0);
  assert.match(human.stdout, /train\s+val\s+test\s+unused/);
  assert.match(human.stdout, /Alec Baldwin\s+70\s+20\s+20\s+1/);
  assert.match(human.stdout, /total\s+362\s+104\s+105\s+9/);
});

test('both sizes load with the same split, in the same order, matching split.json', async () => {
  const manifest = JSON.parse(await readFile(join(out(), 'split.json'), 'utf8')) as SplitManifest;
  assert.equal(manifest.seed, 1);
  assert.deepEqual(manifest.totals, { train: 362, val: 104, test: 105, unused: 9 });
  assert.equal(Object.keys(manifest.photos).length, 580);
  assert.deepEqual(manifest.cropFailures, []);
  const small = await loadPrepared(out(), 32);
  const large = await loadPrepared(out(), 227);
  assert.deepEqual(small.actors, [...SIX_ACTORS].sort());
  for (const part of ['train', 'val', 'test'] as const) {
    assert.equal(small[part].count, manifest.totals[part]);
    assert.deepEqual(small[part].hashes, large[part].hashes, `${part}: same photos in the same order`);
    assert.deepEqual([...small[part].labels], [...large[part].labels]);
    assert.equal(small[part].images.length, small[part].count * 32 * 32 * 3);
    assert.equal(large[part].images.length, large[part].count * 227 * 227 * 3);
    small[part].hashes.forEach((hash, i) => {
      const photo = manifest.photos[hash]!;
      assert.equal(photo.split, part);
      assert.equal(small.actors[small[part].labels[i]!], photo.actor);
    });
  }
  const everywhere = [...small.train.hashes, ...small.val.hashes, ...small.test.hashes];
  assert.equal(new Set(everywhere).size, everywhere.length, 'no photo in two parts');

  // Every stored row is what cropFace makes of its photo's first list line: rows are written
  // to the archives as photos finish cropping, in any order.
  const entries = (JSON.parse(await readFile(join(cache.dir, 'manifest.json'), 'utf8')) as DownloadManifest)
    .entries;
  await assertRowsAreCrops(cache.dir, entries, [small, large], manifest);
});

/** Checks every row of each dataset against a fresh `cropFace` of its photo. */
async function assertRowsAreCrops(
  cacheDir: string,
  entries: DownloadManifest['entries'],
  datasets: Awaited<ReturnType<typeof loadPrepared>>[],
  manifest: SplitManifest,
): Promise<void> {
  const verified = new Map(entries.filter((e) => e.status === 'verified').map((e) => [e.sha256, e]));
  const sides = datasets.map((d) => Math.round(Math.sqrt(d.train.images.length / d.train.count / 3)));
  for (const part of ['train', 'val', 'test'] as const) {
    for (const [i, hash] of datasets[0]![part].hashes.entries()) {
      const line = verified.get(hash)!;
      assert.equal(manifest.photos[hash]!.line, line.line);
      const { crops } = await cropFace(join(cacheDir, line.file!), line.box, { sides });
      for (const [k, dataset] of datasets.entries()) {
        const bytes = sides[k]! * sides[k]! * 3;
        const row = dataset[part].images.subarray(i * bytes, (i + 1) * bytes);
        assert.ok(Buffer.from(row).equals(crops[k]!), `${part} row ${i} (${hash}) at ${sides[k]} px`);
      }
    }
  }
}

test('numpy reads the .npz files', async (t) => {
  const missing = pythonMissing('numpy');
  if (missing) {
    t.diagnostic(`skipped: ${missing}`);
    t.skip(missing);
    return;
  }
  const seen = JSON.parse(
    runPython(
      `
import sys, json, numpy as np
out = {}
for side in (32, 227):
    z = np.load(f'{sys.argv[1]}/faces_{side}.npz')
    out[side] = {k: [z[k].dtype.str, list(z[k].shape)] for k in z.files}
    out[side]['sum'] = int(z['images'].sum(dtype=np.int64))
    out[side]['first_hash'] = str(z['hashes'][0])
    out[side]['actor_names'] = [str(a) for a in z['actors']]
print(json.dumps(out))
`,
      { args: [out()] },
    ).toString(),
  ) as Record<string, Record<string, unknown>>;
  for (const side of [32, 227]) {
    const data = await loadPrepared(out(), side);
    const got = seen[String(side)]!;
    assert.deepEqual(got.images, ['|u1', [571, side, side, 3]]);
    assert.deepEqual(got.labels, ['<i4', [571]]);
    assert.deepEqual(got.hashes, ['<U64', [571]]);
    assert.deepEqual(got.actors, ['<U15', [6]]);
    assert.deepEqual(got.split, ['|u1', [571]]);
    let sum = 0;
    for (const part of [data.train, data.val, data.test]) for (const v of part.images) sum += v;
    assert.equal(got.sum, sum, `${side}: numpy sees the same pixels`);
    assert.equal(got.first_hash, data.train.hashes[0]);
    assert.deepEqual(got.actor_names, data.actors);
  }
});

test('a stale .npz is refused, and missing sizes or folders are user errors', async () => {
  const dir = join(temp, 'stale');
  const args = [
    'prepare',
    '--subset',
    facescrubList,
    '--actors',
    'Peri Gilpin',
    '--cache',
    cache.dir,
    '--out',
    dir,
  ];
  assert.equal((await run([...args, '--sizes', '32', '--seed', '5'])).code, 0);
  await copyFile(join(dir, 'faces_32.npz'), join(temp, 'seed5.npz'));
  assert.equal((await run([...args, '--sizes', '32', '--seed', '6'])).code, 0);
  await copyFile(join(temp, 'seed5.npz'), join(dir, 'faces_32.npz'));
  await assert.rejects(loadPrepared(dir, 32), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.match(error.message, /faces_32\.npz does not match .*split\.json .*run 'facelab prepare' again/);
    return true;
  });
  await assert.rejects(loadPrepared(dir, 64), /has no 64 px crops \(prepared sides: 32\)/);
  await assert.rejects(
    loadPrepared(join(temp, 'nowhere'), 32),
    /no split manifest at .*run 'facelab prepare/,
  );
});

test('user errors exit with 2 and one clear line', async () => {
  const base = ['prepare', '--subset', facescrubList, '--cache', cache.dir];
  const noOut = await run(base);
  assert.equal(noOut.code, 2);
  assert.match(noOut.stderr, /^facelab prepare: Missing required option --out\n$/);
  const badSizes = await run([...base, '--out', join(temp, 'x'), '--sizes', '32,abc']);
  assert.equal(badSizes.code, 2);
  assert.match(
    badSizes.stderr,
    /Expected a comma-separated list of positive integers for --sizes but received '32,abc'/,
  );
  const huge = await run([...base, '--out', join(temp, 'x'), '--sizes', '32,5000']);
  assert.equal(huge.code, 2);
  assert.match(huge.stderr, /Expected crop sides from 1 to 1024 px for --sizes but received '32,5000'/);
  const noCache = await run([...base, '--out', join(temp, 'x'), '--cache', join(temp, 'no-cache')]);
  assert.equal(noCache.code, 2);
  assert.match(noCache.stderr, /no download manifest at .*no-cache.*run 'facelab download'/);
  assert.doesNotMatch(noCache.stderr, /at .*\.ts:\d+/, 'no stack trace without --verbose');
  const empty = await makeFakeCache({ actors: ['Peri Gilpin'] });
  try {
    const emptied = join(empty.dir, 'manifest.json');
    const manifest = JSON.parse(await readFile(emptied, 'utf8')) as DownloadManifest;
    for (const entry of manifest.entries) entry.status = 'failed';
    await writeFile(emptied, JSON.stringify(manifest));
    const none = await run([
      ...base,
      '--actors',
      'Peri Gilpin',
      '--out',
      join(temp, 'x'),
      '--cache',
      empty.dir,
    ]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /none of the \d+ selected list lines has a verified photo/);
  } finally {
    await empty.cleanup();
  }
  const noList = await run(['prepare', '--subset', join(temp, 'absent.txt'), '--out', join(temp, 'x')]);
  assert.equal(noList.code, 2);
  assert.match(noList.stderr, /cannot read the list .*absent\.txt \(ENOENT\)/);
});

test('photos that fail to crop are recorded with line and reason and counted in --json', async () => {
  const broken = await makeFakeCache({ actors: ['Peri Gilpin'] });
  try {
    const manifest = JSON.parse(
      await readFile(join(broken.dir, 'manifest.json'), 'utf8'),
    ) as DownloadManifest;
    const verified = manifest.entries.filter((e) => e.status === 'verified');
    const [html, truncated] = verified;
    await unlink(join(broken.dir, html!.file!));
    await writeFile(join(broken.dir, html!.file!), '<html>gone</html>');
    const original = await readFile(join(broken.dir, truncated!.file!));
    await unlink(join(broken.dir, truncated!.file!));
    await writeFile(join(broken.dir, truncated!.file!), original.subarray(0, 600));
    const dir = join(temp, 'broken');
    const result = await run([
      'prepare',
      '--subset',
      facescrubList,
      '--actors',
      'Peri Gilpin',
      '--cache',
      broken.dir,
      '--out',
      dir,
      '--sizes',
      '32',
      '--json',
    ]);
    assert.equal(result.code, 0, 'failed crops do not fail the job');
    const summary = lastJson(result.stdout);
    assert.equal(summary.photos, 58);
    assert.deepEqual(summary.failed, { 'corrupt image': 1, 'not an image': 1 });
    // 58 photos: train = floor(70/110·58) = 36, val = floor(22/2) = 11, test = 11.
    assert.deepEqual(summary.split, { train: 36, val: 11, test: 11 });
    assert.match(result.stderr, new RegExp(`list line ${html!.line}\\): the bytes are not a JPEG`));
    const split = JSON.parse(await readFile(join(dir, 'split.json'), 'utf8')) as SplitManifest;
    assert.deepEqual(
      split.cropFailures.map((f) => [f.line, f.reason]),
      [
        [html!.line, 'not an image'],
        [truncated!.line, 'corrupt image'],
      ].sort((a, b) => (a[0] as number) - (b[0] as number)),
    );
    assert.equal(split.photos[html!.sha256], undefined);
  } finally {
    await broken.cleanup();
  }
});

test('failures in an actor with surplus photos: the archives are rewritten for the new split, every row its crop', async () => {
  // Alec Baldwin has 111 photos: the split of all of them leaves one unused. With two broken,
  // the 109 left are shuffled anew, rows move, and a photo left out before may now be used.
  const actor = 'Alec Baldwin';
  const broken = await makeFakeCache({ actors: [actor] });
  try {
    const downloads = JSON.parse(
      await readFile(join(broken.dir, 'manifest.json'), 'utf8'),
    ) as DownloadManifest;
    const verified = downloads.entries.filter((e) => e.status === 'verified');
    assert.equal(verified.length, 111);
    for (const entry of [verified[5]!, verified[60]!]) {
      await unlink(join(broken.dir, entry.file!));
      await writeFile(join(broken.dir, entry.file!), '<html>gone</html>');
    }
    const dir = join(temp, 'surplus');
    const args = ['--subset', facescrubList, '--actors', actor, '--cache', broken.dir, '--sizes', '32,64'];
    const result = await run(['prepare', ...args, '--out', dir, '--json']);
    assert.equal(result.code, 0);
    // 109 photos: train = floor(70/110·109) = 69, val = floor(40/2) = 20, test = 20.
    assert.deepEqual(lastJson(result.stdout).split, { train: 69, val: 20, test: 20 });
    const manifest = JSON.parse(await readFile(join(dir, 'split.json'), 'utf8')) as SplitManifest;
    const small = await loadPrepared(dir, 32);
    const medium = await loadPrepared(dir, 64);
    await assertRowsAreCrops(broken.dir, downloads.entries, [small, medium], manifest);
    assert.deepEqual(
      (await readdir(dir)).sort(),
      ['aligned_150.npz', 'faces_32.npz', 'faces_64.npz', 'split.json'],
      'no temp file is left behind',
    );
  } finally {
    await broken.cleanup();
  }
});
