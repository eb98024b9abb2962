import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidOptionError } from '../src/errors.js';
import type { LayerSweep } from '../src/transfer/layer-sweep.js';
import { perActorAccuracySvg } from '../src/viz/bar-chart.js';
import { bluesColor, hex } from '../src/viz/colormap.js';
import { confusionMatrixSvg } from '../src/viz/confusion-matrix.js';
import { cropSampleSvg, misclassifiedFacesSvg } from '../src/viz/galleries.js';
import { gridHeatmapSvg, type HeatmapPoint } from '../src/viz/grid-heatmap.js';
import { hiddenUnitsSvg } from '../src/viz/hidden-units.js';
import { imageGridSvg } from '../src/viz/image-grid.js';
import { learningCurveSvg } from '../src/viz/learning-curve.js';
import { svgToPng } from '../src/viz/rasterize.js';
import { theme } from '../src/viz/theme.js';
import { transferLayersSvg } from '../src/viz/transfer-layers.js';
import {
  countDark,
  countPixels,
  decodePng,
  pixel,
  pixelStdDev,
  type Raster,
  svgSize,
} from './helpers/viz-raster.js';

/** Renders at 72 dpi and checks the PNG has the SVG's size, is not blank and holds no <text>. */
async function render(svg: string, name: string): Promise<Raster> {
  assert.equal(svg.includes('<text'), false, `${name}: text must be drawn as paths`);
  const size = svgSize(svg);
  const png = await decodePng(await svgToPng(svg));
  assert.deepEqual([png.width, png.height], [size.width, size.height], `${name}: PNG size`);
  const sd = pixelStdDev(png);
  assert.ok(sd > 15, `${name}: looks blank (pixel std dev ${sd.toFixed(1)})`);
  // A title in bold near the top: dark pixels in the top 44 px.
  assert.ok(countDark(png, 0, 0, png.width, 44) > 150, `${name}: no title pixels`);
  return png;
}

/** Pixels within `tolerance` (per channel) of a `#rrggbb` colour. */
function near(png: Raster, color: string, tolerance = 12): number {
  const target = [1, 3, 5].map((i) => Number.parseInt(color.slice(i, i + 2), 16));
  return countPixels(png, (p) => p.every((c, i) => Math.abs(c - target[i]!) <= tolerance));
}

test('learning curves: expected size, three coloured series, width option renders sharper not stretched', async () => {
  const train = [0.3, 0.5, 0.7, 0.8, 0.9, 0.95];
  const val = [0.25, 0.45, 0.6, 0.68, 0.7, 0.72];
  const testAcc = [0.22, 0.4, 0.58, 0.66, 0.69, 0.7];
  const svg = learningCurveSvg({ train, val, test: testAcc }, { title: 'curves' });
  const png = await render(svg, 'learning curve');
  assert.deepEqual([png.width, png.height], [640, 400]);
  for (const color of theme.series.slice(0, 3))
    assert.ok(near(png, color) > 150, `series ${color} barely drawn`);
  const wide = await decodePng(await svgToPng(svg, { width: 1280 }));
  assert.deepEqual([wide.width, wide.height], [1280, 800]);
  assert.ok(
    near(wide, theme.series[0]) > 3 * near(png, theme.series[0]),
    'lines should be 2× thicker and longer at 2×',
  );
  assert.ok(
    learningCurveSvg({ train, val: [], test: [] }, { title: 'x', width: 500, height: 300 }).startsWith(
      '<svg',
    ),
  );
  assert.throws(() => learningCurveSvg({ train: [], val: [], test: [] }, { title: 'x' }), InvalidOptionError);
  assert.throws(
    () => learningCurveSvg({ train: [0.1, Number.NaN], val: [], test: [] }, { title: 'x' }),
    /curves\.train\[1\]/,
  );
});

test('grid heat-map: one cell per point, values written, the chosen point outlined in red', async () => {
  const points: HeatmapPoint[] = [];
  for (const epochs of [10, 30]) {
    for (const hidden of [32, 64]) {
      for (const lr of [0.001, 0.01, 0.1])
        points.push({ epochs, batch: 32, hidden, lr, val: 0.5 + 0.01 * points.length });
    }
  }
  points[7]!.chosen = true;
  const svg = gridHeatmapSvg(points);
  const png = await render(svg, 'grid');
  assert.equal([...svg.matchAll(/<rect [^>]*stroke="#fff"/g)].length, points.length, 'cells');
  assert.equal(
    [...svg.matchAll(new RegExp(`stroke="${theme.highlight}" stroke-width="3"`, 'g'))].length,
    2,
    'chosen outline + legend',
  );
  assert.ok(near(png, theme.highlight, 20) > 100, 'red outline pixels');
  const unchosen = await decodePng(await svgToPng(gridHeatmapSvg(points.map(({ chosen: _, ...p }) => p))));
  assert.equal(near(unchosen, theme.highlight, 20), 0, 'no red without a chosen point');
  assert.throws(() => gridHeatmapSvg([]), /at least one grid point/);
});

test('confusion matrix: counts in cells, diagonal shaded darkest, size grows with the actors', async () => {
  const actors = ['Alec Baldwin', 'Bill Hader', 'Steve Carell'];
  const svg = confusionMatrixSvg(
    [
      [10, 0, 0],
      [2, 8, 0],
      [0, 5, 5],
    ],
    actors,
  );
  await render(svg, 'confusion');
  // Shade = share of the row: 10/10 → darkest blue; 8/10 and 5/10 lighter; zeros white.
  assert.equal([...svg.matchAll(new RegExp(`fill="${hex(bluesColor(1))}"`, 'g'))].length, 1);
  assert.equal([...svg.matchAll(new RegExp(`fill="${hex(bluesColor(0.5))}"`, 'g'))].length, 2);
  assert.equal([...svg.matchAll(/fill="#ffffff" stroke/g)].length, 4);
  const six = confusionMatrixSvg(
    Array.from({ length: 6 }, (_, i) => Array.from({ length: 6 }, (_, j) => (i === j ? 3 : 0))),
    ['a', 'b', 'c', 'd', 'e', 'f'],
  );
  assert.ok(svgSize(six).height > svgSize(confusionMatrixSvg([[1]], ['a'])).height);
  assert.throws(() => confusionMatrixSvg([[1, 2]], ['a']), /matrix\[0\]/);
  assert.throws(() => confusionMatrixSvg([[1.5]], ['a']), /non-negative integer count/);
});

test('per-actor bars: bar lengths proportional to accuracy', async () => {
  const rows = [
    { actor: 'Alec Baldwin', accuracy: 0.9, count: 20 },
    { actor: 'Bill Hader', accuracy: 0.45, count: 20 },
    { actor: 'Steve Carell', accuracy: 0, count: 10 },
  ];
  const svg = perActorAccuracySvg(rows, { barWidth: 400 });
  await render(svg, 'bars');
  const widths = [
    ...svg.matchAll(new RegExp(`<rect [^>]*width="([\\d.]+)"[^>]*fill="${theme.series[0]}"`, 'g')),
  ].map((m) => Number(m[1]));
  assert.deepEqual(widths, [360, 180, 0]);
  assert.match(svg, /<title>Accuracy per actor<\/title>/);
  const sorted = perActorAccuracySvg([...rows].reverse(), { sort: true, barWidth: 400 });
  const sortedWidths = [
    ...sorted.matchAll(new RegExp(`<rect [^>]*width="([\\d.]+)"[^>]*fill="${theme.series[0]}"`, 'g')),
  ].map((m) => Number(m[1]));
  assert.deepEqual(sortedWidths, [360, 180, 0]);
  assert.throws(() => perActorAccuracySvg([{ actor: 'x', accuracy: 1.2, count: 1 }]), /rows\[0\]\.accuracy/);
});

/** A side×side image of 2×2 colour blocks: red, green / blue, yellow quadrants. */
function quadrants(side: number): Uint8Array {
  const colors = [
    [220, 20, 20],
    [20, 200, 20],
    [20, 20, 220],
    [230, 220, 20],
  ];
  const px = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++)
      px.set(colors[(y < side / 2 ? 0 : 2) + (x < side / 2 ? 0 : 1)]!, (y * side + x) * 3);
  }
  return px;
}

test('image grid: pixels land where placed and stay sharp when enlarged', async () => {
  const side = 4;
  const svg = imageGridSvg([{ pixels: quadrants(side), side, caption: ['caption'] }], {
    cellSize: 96,
    title: 'gallery',
  });
  const png = await render(svg, 'image grid');
  const [ix, iy] = /<image x="([\d.]+)" y="([\d.]+)"/.exec(svg)!.slice(1).map(Number) as [number, number];
  const q = 96 / 2;
  const expect: [number, number, number[]][] = [
    [ix + q / 2, iy + q / 2, [220, 20, 20]],
    [ix + q * 1.5, iy + q / 2, [20, 200, 20]],
    [ix + q / 2, iy + q * 1.5, [20, 20, 220]],
    [ix + q * 1.5, iy + q * 1.5, [230, 220, 20]],
  ];
  for (const [x, y, rgb] of expect) {
    const got = pixel(png, Math.round(x), Math.round(y));
    assert.ok(
      got.every((c, i) => Math.abs(c - rgb[i]!) <= 2),
      `at ${x},${y}: ${got} vs ${rgb}`,
    );
  }
  // Nearest neighbour: across the red|green edge a row has only the two colours (no blend),
  // apart from the 1-px frame.
  const row = Math.round(iy + q / 2);
  const colours = new Set<string>();
  for (let x = Math.ceil(ix) + 2; x < Math.floor(ix + 96) - 2; x++) colours.add(pixel(png, x, row).join());
  assert.equal(colours.size, 2, `blended colours along the row: ${[...colours].join(' ')}`);
  assert.throws(() => imageGridSvg([{ pixels: new Uint8Array(5), side: 2 }]), /12 bytes \(2×2×3 RGB\)/);
});

test('galleries: misclassified faces with three caption lines, crops per actor in rows', async () => {
  const faces = Array.from({ length: 7 }, (_, i) => ({
    pixels: quadrants(8),
    side: 8,
    trueActor: `Actor ${i}`,
    predictedActor: 'Someone Else',
    probability: 0.5 + i / 20,
  }));
  const mis = misclassifiedFacesSvg(faces, { columns: 4 });
  const png = await render(mis, 'misclassified');
  assert.equal([...mis.matchAll(/<image /g)].length, 7);
  assert.ok(near(png, theme.highlight, 20) > 7 * 100, 'red frames and predicted names');
  const crops = cropSampleSvg(
    [
      { actor: 'A', images: [quadrants(8), quadrants(8)], total: 40 },
      { actor: 'B', images: [quadrants(8)] },
    ],
    8,
  );
  await render(crops, 'crops');
  assert.equal([...crops.matchAll(/<image /g)].length, 3);
});

test('hidden units: signed weights on the diverging map, channels summed, mean face beside', async () => {
  const side = 8;
  // Unit 0: left half +, right half −. Unit 1: the same pattern 10× weaker.
  // Channels are +3a, −a, −a so that only their sum (a) carries the sign.
  const unit = (scale: number): Float32Array => {
    const w = new Float32Array(side * side * 3);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const a = (x < side / 2 ? 1 : -1) * scale;
        w.set([3 * a, -a, -a], (y * side + x) * 3);
      }
    }
    return w;
  };
  const input = {
    side,
    weights: [unit(0.1), unit(0.01)],
    titles: ['hidden unit #4 (won 9 of 12 photos)', 'hidden unit #1 (won 3 of 12 photos)'],
    meanFace: quadrants(side),
    actor: 'Bill Hader',
  };
  const svg = hiddenUnitsSvg(input);
  const png = await render(svg, 'hidden units');
  const images = [...svg.matchAll(/<image x="([\d.]+)" y="([\d.]+)" width="([\d.]+)"/g)].map((m) =>
    m.slice(1).map(Number),
  );
  assert.equal(images.length, 3, 'mean face + 2 units');
  const at = (k: number, fx: number, fy: number): [number, number, number] => {
    const [x, y, s] = images[k]!;
    return pixel(png, Math.round(x! + fx * s!), Math.round(y! + fy * s!));
  };
  for (const k of [1, 2]) {
    const [r, , b] = at(k, 0.2, 0.5);
    const [r2, , b2] = at(k, 0.8, 0.5);
    assert.ok(r > b + 80, `unit ${k} left half should be red: ${at(k, 0.2, 0.5)}`);
    assert.ok(b2 > r2 + 60, `unit ${k} right half should be blue: ${at(k, 0.8, 0.5)}`);
  }
  // Per-unit scale: the weak unit is as saturated as the strong one; shared: it fades.
  assert.deepEqual(at(1, 0.2, 0.5), at(2, 0.2, 0.5));
  const shared = await decodePng(await svgToPng(hiddenUnitsSvg({ ...input, scale: 'shared' })));
  const sharedImages = [
    ...hiddenUnitsSvg({ ...input, scale: 'shared' }).matchAll(
      /<image x="([\d.]+)" y="([\d.]+)" width="([\d.]+)"/g,
    ),
  ].map((m) => m.slice(1).map(Number));
  const weak = pixel(
    shared,
    Math.round(sharedImages[2]![0]! + 0.2 * sharedImages[2]![2]!),
    Math.round(sharedImages[2]![1]! + 0.5 * sharedImages[2]![2]!),
  );
  assert.ok(Math.min(...weak) > 200, `weak unit on the shared scale should be pale: ${weak}`);
  assert.throws(() => hiddenUnitsSvg({ ...input, titles: ['one'] }), /2 titles/);
  assert.throws(
    () => hiddenUnitsSvg({ ...input, weights: [new Float32Array(3), unit(1)] }),
    /192 values \(8×8×3\)/,
  );
});

test('svgToPng rejects a bad width', async () => {
  await assert.rejects(
    svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>', { width: 0 }),
    /for width/,
  );
});

test('transfer layers: every layer named under the axis per backbone, the baseline and each choice in the legend', async () => {
  const baseline = {
    method: 'raw pixels 32 px',
    features: 3072,
    accuracy: { train: 1, val: 0.875, test: 0.829 },
    testError: 0.171,
  };
  const sweep = (backbone: string, layers: [string, number, number][], chosen: string): LayerSweep => {
    const best = layers.find(([l]) => l === chosen)!;
    return {
      backbone,
      trainedOn: 'a task',
      layers: layers.map(([layer, val, test]) => ({ layer, features: 10, train: 1, val, test })),
      chosen,
      accuracy: { train: 1, val: best[1], test: best[2] },
      baseline,
      errorReduction: 0.5,
      chosenDir: '/x',
      seconds: 1,
    };
  };
  const ssd = sweep(
    'ssd',
    [
      ['conv5_pool', 0.81, 0.84],
      ['conv7_grid', 0.952, 0.962],
      ['conv13', 0.8, 0.78],
    ],
    'conv7_grid',
  );
  const agegender = sweep(
    'agegender',
    [
      ['reduction1', 0.952, 0.924],
      ['features', 0.7, 0.72],
    ],
    'reduction1',
  );
  const one = transferLayersSvg([ssd]);
  const two = transferLayersSvg([ssd, agegender]);
  await render(two, 'transfer layers');
  const titles = (svg: string) => [...svg.matchAll(/<g><title>([^<]*)<\/title>/g)].map((m) => m[1]);
  assert.deepEqual(titles(one), [
    'ssd conv5_pool',
    'ssd conv7_grid',
    'ssd conv13',
    'raw pixels 32 px: test 0.829 (the baseline)',
    'ssd: validation (solid), test (dashed); chosen by validation: conv7_grid (validation 0.952, test 0.962)',
  ]);
  assert.deepEqual(titles(two).slice(3, 5), ['agegender reduction1', 'agegender features']);
  assert.match(
    titles(two).at(-1)!,
    /^agegender: .* chosen by validation: reduction1 \(validation 0\.952, test 0\.924\)$/,
  );
  // A second backbone adds a legend row and a row of names: the figure grows instead of crowding.
  assert.ok(
    svgSize(two).height > svgSize(one).height + 30,
    `${svgSize(one).height} → ${svgSize(two).height}`,
  );
  // The chosen layer of each backbone is circled.
  assert.equal([...two.matchAll(/<circle [^>]*r="8" fill="none"/g)].length, 2);
});
