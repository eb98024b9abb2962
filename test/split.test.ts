import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { before, test } from 'node:test';
import { readFaceList } from '../src/data/face-list.js';
import { channelStats, normalizeImages } from '../src/data/normalize.js';
import { compareCodePoints, partSizes, type SplitItem, splitByActor } from '../src/data/split.js';
import { InvalidOptionError } from '../src/errors.js';
import { createRng, deriveSeed, shuffleInPlace } from '../src/random.js';
import { pythonMissing, runPython } from './helpers/python.js';
import { facescrubImages, facescrubList, SIX_ACTORS } from './helpers/shared.js';

/** The 580 distinct shared photos with their actor (first list line of each hash). */
const photos: SplitItem[] = [];

before(async () => {
  const present = new Set((await readdir(facescrubImages)).map((f) => f.slice(0, 64)));
  const list = await readFaceList(facescrubList, { actors: SIX_ACTORS });
  const seen = new Set<string>();
  for (const line of list.lines) {
    if (!present.has(line.sha256) || seen.has(line.sha256)) continue;
    seen.add(line.sha256);
    photos.push({ sha256: line.sha256, actor: line.name });
  }
});

// Photos per actor in the shared set (its README), and the parts the rule gives, worked by hand:
// n ≥ 110 → 70/20/20; otherwise train = floor(70/110·n), val = floor((n − train)/2), test = rest.
//   Steve Carell 103:   70/110·103 = 65.5 → 65; (103 − 65)/2 = 19; 103 − 84 = 19
//   Lorraine Bracco 92: 70/110·92 = 58.5 → 58;  (92 − 58)/2 = 17;  92 − 75 = 17
//   Peri Gilpin 60:     70/110·60 = 38.2 → 38;  (60 − 38)/2 = 11;  60 − 49 = 11
//   Angie Harmon 96:    70/110·96 = 61.1 → 61;  (96 − 61)/2 = 17.5 → 17; 96 − 78 = 18
const EXPECTED: Record<string, { n: number; train: number; val: number; test: number }> = {
  'Alec Baldwin': { n: 111, train: 70, val: 20, test: 20 },
  'Bill Hader': { n: 118, train: 70, val: 20, test: 20 },
  'Steve Carell': { n: 103, train: 65, val: 19, test: 19 },
  'Lorraine Bracco': { n: 92, train: 58, val: 17, test: 17 },
  'Peri Gilpin': { n: 60, train: 38, val: 11, test: 11 },
  'Angie Harmon': { n: 96, train: 61, val: 17, test: 18 },
};

test('part sizes follow the rule for the six actors', () => {
  for (const [actor, e] of Object.entries(EXPECTED)) {
    assert.deepEqual(partSizes(e.n), { train: e.train, val: e.val, test: e.test }, actor);
  }
  assert.deepEqual(partSizes(110), { train: 70, val: 20, test: 20 });
  assert.deepEqual(partSizes(109), { train: 69, val: 20, test: 20 });
  assert.deepEqual(partSizes(1), { train: 0, val: 0, test: 1 });
  assert.deepEqual(partSizes(0), { train: 0, val: 0, test: 0 });
});

test('the real 580 photos split per actor by the rule, no photo in two parts', () => {
  assert.equal(photos.length, 580);
  const split = splitByActor(photos, { seed: 1 });
  assert.deepEqual(split.actors, [...SIX_ACTORS].sort(compareCodePoints));
  for (const [actor, e] of Object.entries(EXPECTED)) {
    const c = split.counts[actor]!;
    assert.deepEqual(
      { n: c.train + c.val + c.test + c.unused, train: c.train, val: c.val, test: c.test },
      e,
      actor,
    );
    assert.equal(c.unused, e.n - e.train - e.val - e.test, `${actor}: surplus photos are unused`);
    for (const part of ['train', 'val', 'test'] as const) {
      const entries = split.parts[part].filter((p) => p.actor === actor);
      assert.equal(entries.length, c[part], `${actor} ${part}`);
      assert.ok(entries.every((p) => split.actors[p.label] === actor));
    }
  }
  const all = [...split.parts.train, ...split.parts.val, ...split.parts.test, ...split.parts.unused];
  assert.equal(all.length, 580);
  assert.equal(new Set(all.map((p) => p.sha256)).size, 580, 'every photo in exactly one place');
  // Parts are ordered by label, so batches of one actor are contiguous in the file.
  for (const part of Object.values(split.parts)) {
    for (let i = 1; i < part.length; i++) assert.ok(part[i - 1]!.label <= part[i]!.label);
  }
});

test('the split is a function of seed and photos only', () => {
  const hashesOf = (s: ReturnType<typeof splitByActor>) =>
    Object.fromEntries(Object.entries(s.parts).map(([k, v]) => [k, v.map((p) => p.sha256)]));
  const a = hashesOf(splitByActor(photos, { seed: 1 }));
  assert.deepEqual(hashesOf(splitByActor(photos, { seed: 1 })), a, 'same seed, same split');
  assert.deepEqual(
    hashesOf(splitByActor([...photos].reverse(), { seed: 1 })),
    a,
    'input order does not matter',
  );
  const b = hashesOf(splitByActor(photos, { seed: 2 }));
  assert.notDeepEqual(b.train, a.train, 'another seed, another split');
  assert.deepEqual(
    new Set([...b.train!, ...b.val!, ...b.test!, ...b.unused!]),
    new Set([...a.train!, ...a.val!, ...a.test!, ...a.unused!]),
  );
  // An actor's split does not depend on which other actors are selected.
  const peri = photos.filter((p) => p.actor === 'Peri Gilpin');
  const alone = hashesOf(splitByActor(peri, { seed: 1 }));
  const inFull = (part: string) =>
    splitByActor(photos, { seed: 1 })
      .parts[part as 'train'].filter((p) => p.actor === 'Peri Gilpin')
      .map((p) => p.sha256);
  for (const part of ['train', 'val', 'test']) assert.deepEqual(alone[part], inFull(part), part);
});

test('a hash given twice is refused; custom part sizes are honoured', () => {
  const twice = [photos[0]!, { ...photos[0]!, actor: 'Someone Else' }];
  assert.throws(() => splitByActor(twice), new RegExp(`photo ${photos[0]!.sha256} appears twice`));
  const small = splitByActor(photos, { seed: 3, sizes: { train: 5, val: 2, test: 1 } });
  for (const actor of SIX_ACTORS) assert.deepEqual(small.counts[actor]!.train, 5);
  assert.throws(() => splitByActor(photos, { sizes: { train: -1, val: 2, test: 1 } }), /sizes\.train/);
});

test('createRng: reproducible, in range, uniform enough, normal with mean 0 and sd 1', () => {
  const a = createRng(42);
  const b = createRng(42);
  const first = Array.from({ length: 5 }, () => a.uint32());
  assert.deepEqual(
    first,
    Array.from({ length: 5 }, () => b.uint32()),
  );
  assert.notDeepEqual(
    first,
    Array.from({ length: 5 }, () => createRng(43).uint32()),
  );
  const rng = createRng(7);
  const n = 60000;
  const buckets = new Array<number>(6).fill(0);
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    assert.ok(u >= 0 && u < 1);
    buckets[rng.int(6)]!++;
    const z = rng.normal();
    sum += z;
    squares += z * z;
  }
  // Each bucket expects 10,000 ± 91 (binomial sd); 5 sd is a generous bound.
  for (const count of buckets) assert.ok(Math.abs(count - n / 6) < 5 * 91, `bucket count ${count}`);
  const mean = sum / n;
  const sd = Math.sqrt(squares / n - mean * mean);
  // The mean of 60,000 standard normals has sd 0.004; the sd estimate has sd about 0.003.
  assert.ok(Math.abs(mean) < 0.02, `mean ${mean}`);
  assert.ok(Math.abs(sd - 1) < 0.015, `sd ${sd}`);
  assert.throws(() => rng.int(0), /from 1 to 2\^32/);
  assert.throws(() => createRng(1.5), /safe integer seed/);
});

test('shuffleInPlace gives permutations, reproducibly, with every order reachable', () => {
  const orders = new Set<string>();
  for (let seed = 0; seed < 400; seed++) {
    const shuffled = shuffleInPlace([0, 1, 2, 3], createRng(seed));
    assert.deepEqual([...shuffled].sort(), [0, 1, 2, 3]);
    orders.add(shuffled.join());
  }
  assert.equal(orders.size, 24, 'all 4! orders appear in 400 seeds');
  const typed = shuffleInPlace(
    Int32Array.from({ length: 10 }, (_, i) => i),
    createRng(5),
  );
  assert.deepEqual(
    typed,
    shuffleInPlace(
      Int32Array.from({ length: 10 }, (_, i) => i),
      createRng(5),
    ),
  );
  assert.notEqual(deriveSeed(1, 'Alec Baldwin'), deriveSeed(1, 'Bill Hader'));
  assert.notEqual(deriveSeed(1, 'Alec Baldwin'), deriveSeed(2, 'Alec Baldwin'));
});

test('minmax normalisation: per image to [-1, 1], flat images to -1', () => {
  const images = Uint8Array.from([10, 20, 30, 40, 50, 60, 7, 7, 7, 7, 7, 7]);
  const x = normalizeImages(images, { count: 2 });
  const expected = [10, 20, 30, 40, 50, 60].map((v) => (2 * (v - 10)) / 50 - 1);
  for (const [i, v] of [...x.subarray(0, 6)].entries())
    assert.ok(Math.abs(v - expected[i]!) < 1e-6, `x[${i}] = ${v}`);
  assert.deepEqual([...x.subarray(6)], [-1, -1, -1, -1, -1, -1]);
  assert.throws(() => normalizeImages(images, { count: 5 }), InvalidOptionError);
});

test('standardize: train statistics give zero mean and unit sd per channel; stats are required', () => {
  const rng = createRng(11);
  const images = Uint8Array.from({ length: 4 * 8 * 8 * 3 }, (_, i) => (i % 3 === 0 ? 200 : 50) + rng.int(40));
  const stats = channelStats(images);
  assert.ok(Math.abs(stats.mean[0]! - 219.5) < 2 && Math.abs(stats.mean[1]! - 69.5) < 2);
  const x = normalizeImages(images, { count: 4, method: 'standardize', stats });
  for (let c = 0; c < 3; c++) {
    const values = [...x].filter((_, i) => i % 3 === c);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    assert.ok(Math.abs(mean) < 1e-5 && Math.abs(sd - 1) < 1e-5, `channel ${c}: mean ${mean}, sd ${sd}`);
  }
  assert.throws(() => normalizeImages(images, { count: 4, method: 'standardize' }), /stats/);
});

test('minmax normalisation equals the reference numpy expression bit for bit', (t) => {
  const missing = pythonMissing('numpy');
  if (missing) {
    t.diagnostic(`skipped: ${missing}`);
    t.skip(missing);
    return;
  }
  const rng = createRng(3);
  const count = 20;
  const size = 32 * 32 * 3;
  const images = Uint8Array.from({ length: count * size }, (_, i) => {
    const image = Math.floor(i / size);
    return 30 + image + rng.int(120 + image * 3);
  });
  const ours = normalizeImages(images, { count });
  const theirs = runPython(
    `
import sys, numpy as np
raw = np.frombuffer(sys.stdin.buffer.read(), dtype=np.uint8).reshape(${count}, -1)
for row in raw:
    x = row.astype(np.float32)
    x = 2.0 * (x - x.min()) / max(x.max() - x.min(), 1e-8) - 1.0
    sys.stdout.buffer.write(x.astype(np.float32).tobytes())
`,
    { input: images },
  );
  const reference = new Float32Array(theirs.buffer, theirs.byteOffset, theirs.byteLength / 4);
  assert.equal(reference.length, ours.length);
  let differing = 0;
  for (let i = 0; i < ours.length; i++) if (ours[i] !== reference[i]) differing++;
  assert.equal(differing, 0, `${differing} of ${ours.length} values differ from numpy`);
});
