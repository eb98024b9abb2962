import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bluesColor,
  colorBarSvg,
  divergingColor,
  hex,
  luma,
  NEUTRAL,
  sequentialColor,
} from '../src/viz/colormap.js';

test('zero maps to the neutral colour, whatever the scale', () => {
  for (const maxAbs of [1e-6, 0.05, 1, 300])
    assert.deepEqual(divergingColor(0, maxAbs), NEUTRAL, `maxAbs ${maxAbs}`);
  assert.deepEqual(divergingColor(-0, 1), NEUTRAL);
  // Near-white: every channel high and equal.
  assert.ok(NEUTRAL.every((c) => c > 240 && c === NEUTRAL[0]));
});

test('the sign of a value maps to the hue: red above zero, blue below', () => {
  for (const v of [0.05, 0.2, 0.5, 0.9, 1]) {
    const [r, , b] = divergingColor(v, 1);
    const [r2, , b2] = divergingColor(-v, 1);
    // Clearly tinted away from the neutral grey once |v| is a fifth of the scale.
    const margin = v >= 0.2 ? 20 : 0;
    assert.ok(r > b + margin, `+${v} should be red, got ${hex(divergingColor(v, 1))}`);
    assert.ok(b2 > r2 + margin, `-${v} should be blue, got ${hex(divergingColor(-v, 1))}`);
  }
});

test('symmetric magnitudes map to mirrored intensities (equal luma, same distance from neutral in luma)', () => {
  for (let k = 0; k <= 40; k++) {
    const v = (k / 40) * 0.7;
    const up = luma(divergingColor(v, 0.7));
    const down = luma(divergingColor(-v, 0.7));
    assert.ok(
      Math.abs(up - down) <= 1.5,
      `|v| = ${v}: luma +${up.toFixed(2)} vs -${down.toFixed(2)} differ by more than 1.5`,
    );
  }
});

test('intensity grows with |value|: luma falls monotonically away from zero on both sides', () => {
  for (const sign of [1, -1]) {
    let previous = luma(NEUTRAL);
    for (let k = 1; k <= 20; k++) {
      const l = luma(divergingColor((sign * k) / 20, 1));
      assert.ok(l < previous, `sign ${sign}, step ${k}: luma ${l} not below ${previous}`);
      previous = l;
    }
  }
});

test('values beyond ±maxAbs clamp to the end colours; NaN and a zero scale give neutral', () => {
  assert.deepEqual(divergingColor(5, 2), divergingColor(2, 2));
  assert.deepEqual(divergingColor(-1e9, 2), divergingColor(-2, 2));
  assert.notDeepEqual(divergingColor(2, 2), divergingColor(-2, 2));
  assert.deepEqual(divergingColor(Number.NaN, 1), NEUTRAL);
  assert.deepEqual(divergingColor(0.3, 0), NEUTRAL);
  assert.deepEqual(divergingColor(0.3, -1), NEUTRAL);
});

test('sequential maps: viridis runs dark to bright and clamps; blues is white at 0', () => {
  assert.ok(luma(sequentialColor(0, 0, 1)) < luma(sequentialColor(1, 0, 1)) - 100);
  assert.deepEqual(sequentialColor(-3, 0, 1), sequentialColor(0, 0, 1));
  assert.deepEqual(sequentialColor(7, 0, 1), sequentialColor(1, 0, 1));
  assert.deepEqual(bluesColor(0), [255, 255, 255]);
  assert.ok(luma(bluesColor(1)) < 60);
});

test('colour bar: strips span the range from blue to red with labelled ends', () => {
  const svg = colorBarSvg({ x: 0, y: 0, width: 10, height: 128, kind: 'diverging', max: 2 });
  const fills = [...svg.matchAll(/<rect [^>]*fill="(#[0-9a-f]{6})"/g)].map((m) => m[1]!);
  assert.equal(fills.length, 128 + 3, '128 strips then 3 tick marks');
  // Vertical bars are drawn bottom-up: first strip is the most negative value.
  assert.equal(fills[0], hex(divergingColor(-2 + 2 / 128, 2)));
  assert.equal(fills[127], hex(divergingColor(2 - 2 / 128, 2)));
  assert.equal(svg.includes('<text'), false);
  // Three tick labels (−2, 0, 2) drawn as paths.
  assert.equal([...svg.matchAll(/<path /g)].length, 3);
});
