import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidOptionError } from '../src/errors.js';
import { rankHiddenUnits } from '../src/viz/unit-ranking.js';

/**
 * A hand-made first layer: 4 input pixels, 4 hidden units, ReLU. Unit u (u < 3) copies pixel u
 * with gain `gains[u]`; unit 3 has negative weights everywhere, so it never fires on
 * non-negative photos. Each photo lights exactly one pixel, so the winner of a photo is known
 * by construction.
 */
const gains = [1, 10, 2];
const weights = [
  [gains[0]!, 0, 0, -1],
  [0, gains[1]!, 0, -1],
  [0, 0, gains[2]!, -1],
  [0, 0, 0, -1],
]; // weights[pixel][unit]

function relu(photos: number[][]): Float32Array {
  const out = new Float32Array(photos.length * 4);
  photos.forEach((x, p) => {
    for (let u = 0; u < 4; u++) {
      let z = 0;
      for (let i = 0; i < 4; i++) z += x[i]! * weights[i]![u]!;
      out[p * 4 + u] = Math.max(0, z);
    }
  });
  return out;
}

// Pixel 2 lit on 3 photos, pixel 0 on 2, pixel 1 on 1 (brightness 1 each).
const photos = [
  [0, 0, 1, 0],
  [1, 0, 0, 0],
  [0, 0, 1, 0],
  [0, 1, 0, 0],
  [1, 0, 0, 0],
  [0, 0, 1, 0],
];

test('frequency: units ranked by how many photos they win (3, 2, 1 by construction)', () => {
  const ranked = rankHiddenUnits(relu(photos), 6, 4, { top: 3 });
  assert.deepEqual(
    ranked.map((u) => [u.index, u.wins]),
    [
      [2, 3],
      [0, 2],
      [1, 1],
    ],
  );
  // Mean activation of unit 2 = gain 2 × 3 lit photos / 6 photos = 1.
  assert.ok(Math.abs(ranked[0]!.meanActivation - 1) < 1e-6, `mean of unit 2: ${ranked[0]!.meanActivation}`);
});

test('mean: the high-gain unit that wins once ranks first (10 × 1/6 > 2 × 3/6 > 1 × 2/6)', () => {
  const ranked = rankHiddenUnits(relu(photos), 6, 4, { top: 4, rank: 'mean' });
  assert.deepEqual(
    ranked.map((u) => u.index),
    [1, 2, 0, 3],
  );
  const expected = [10 / 6, 1, 2 / 6, 0];
  ranked.forEach((u, i) => {
    assert.ok(Math.abs(u.meanActivation - expected[i]!) < 1e-6, `rank ${i}: ${u.meanActivation}`);
  });
  assert.deepEqual(
    ranked.map((u) => u.wins),
    [1, 3, 2, 0],
  );
});

test('ties: equal wins are broken by mean activation, then by the lower index', () => {
  // Three photos; unit 0 and unit 2 each win one, the third fires nothing; unit 2 has the higher mean.
  const a = Float32Array.from([5, 0, 0, 0, 0, 7, 0, 0, 0]);
  assert.deepEqual(
    rankHiddenUnits(a, 3, 3, { top: 3 }).map((u) => u.index),
    [2, 0, 1],
  );
  // Identical units: the lower index first; on an exact tie inside a photo the lower index wins.
  const b = Float32Array.from([3, 3, 3, 3]);
  const r = rankHiddenUnits(b, 2, 2, { top: 2 });
  assert.deepEqual(
    r.map((u) => [u.index, u.wins]),
    [
      [0, 2],
      [1, 0],
    ],
  );
});

test('a photo on which no unit fires is won by nobody', () => {
  const a = Float32Array.from([0, 0, 0, 0, 2, 0]);
  const r = rankHiddenUnits(a, 2, 3, { top: 3 });
  assert.equal(
    r.reduce((n, u) => n + u.wins, 0),
    1,
  );
  assert.deepEqual(r[0], { index: 1, wins: 1, meanActivation: 1 });
});

test('top is capped at the number of units; default is 3', () => {
  assert.equal(rankHiddenUnits(relu(photos), 6, 4).length, 3);
  assert.equal(rankHiddenUnits(relu(photos), 6, 4, { top: 10 }).length, 4);
});

test('bad input is named in the error', () => {
  assert.throws(
    () => rankHiddenUnits(new Float32Array(5), 2, 3),
    (e: unknown) => {
      assert.ok(e instanceof InvalidOptionError);
      assert.match(e.message, /Expected 6 values \(2 photos × 3 units\) for activations but received 5/);
      return true;
    },
  );
  assert.throws(() => rankHiddenUnits(new Float32Array(6), 2, 3, { top: 0 }), /for top but received 0/);
  assert.throws(() => rankHiddenUnits(Float32Array.from([1, Number.NaN]), 1, 2), /activations\[1\]/);
  assert.throws(
    // @ts-expect-error: checking the run-time guard for JavaScript callers
    () => rankHiddenUnits(new Float32Array(2), 1, 2, { rank: 'median' }),
    /for rank but received 'median'/,
  );
});
