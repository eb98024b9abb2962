/**
 * `facelab units`: the ranking through a real model.onnx on a tiny hand-made model and dataset
 * where the answer is known by construction (frequency and mean rankings differ on purpose),
 * the figure's colours, the first-layer activations against ONNX Runtime's own, and the CLI
 * end to end on a small real run of the shared photos.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { writeJsonAtomic } from '../src/data/atomic-file.js';
import { loadPrepared } from '../src/data/dataset.js';
import { writeNpz } from '../src/data/npz.js';
import type { SplitAssignment } from '../src/data/split.js';
import { type SplitManifest, writeSplitManifest } from '../src/data/split-manifest.js';
import { buildClassifierModel, type ClassifierInput } from '../src/engine/classifier-model.js';
import { describeModel, tapModel } from '../src/engine/model-surgery.js';
import { EngineSession } from '../src/engine/session.js';
import { UserError } from '../src/errors.js';
import { writeActorUnits } from '../src/viz/actor-units.js';
import { firstLayerActivations, readFirstLayer } from '../src/viz/first-layer.js';
import { locateRun } from '../src/viz/run-folder.js';
import { lastJson, runCli } from './helpers/capture-cli.js';
import { repoRoot } from './helpers/shared.js';
import { makeSmallRun, SMALL_RUN_SPLIT, type SmallRun } from './helpers/small-run.js';
import { decodePng, pixel, type Raster } from './helpers/viz-raster.js';

const SIDE = 4;
const D = SIDE * SIDE * 3;
const HIDDEN = 5;
const ACTORS = ['Ann Example', 'Bob Example'];

let temp = '';
let small: SmallRun;

before(async () => {
  temp = await mkdtemp(join(tmpdir(), 'facelab-units-'));
  small = await makeSmallRun();
});

after(async () => {
  await mkdir(join(repoRoot, 'test-output'), { recursive: true });
  await copyFile(join(temp, 'ann.png'), join(repoRoot, 'test-output', 'units-hand-made.png')).catch(() => {});
  for (const name of ['bill-hader.png', 'peri-gilpin-mean.png'])
    await copyFile(join(temp, 'cli', name), join(repoRoot, 'test-output', `units-${name}`)).catch(() => {});
  await rm(temp, { recursive: true, force: true });
  await small?.cleanup();
});

/** Pixel indices (row-major) of quadrant q of the 4×4 image: 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right. */
function quadrant(q: number): number[] {
  const top = q < 2 ? 0 : 2;
  const left = q % 2 === 0 ? 0 : 2;
  return [0, 1].flatMap((dy) => [0, 1].map((dx) => (top + dy) * SIDE + left + dx));
}

/** A photo black except quadrant q, which is white: normalised, +1 there and −1 elsewhere. */
function litPhoto(q: number): Uint8Array {
  const photo = new Uint8Array(D);
  for (const p of quadrant(q)) photo.fill(255, 3 * p, 3 * p + 3);
  return photo;
}

/**
 * The hand-made first layer: unit u < 4 has weight gains[u] on every channel of quadrant u and
 * 0 elsewhere, so on a photo lit at quadrant q it gives 12·gains[u] when q = u and −12·gains[u]
 * (ReLU: 0) otherwise. Unit 4 has zero weights and bias −1: it never fires.
 */
const GAINS = [1, 1, 1, 10];

function handMadeModel(input: ClassifierInput): Uint8Array {
  const inputDim = input.kind === 'image' ? D : 7;
  const w1 = new Float32Array(HIDDEN * inputDim);
  if (input.kind === 'image') {
    GAINS.forEach((gain, u) => {
      for (const p of quadrant(u)) w1.fill(gain, u * D + 3 * p, u * D + 3 * p + 3);
    });
  }
  const b1 = Float32Array.from([0, 0, 0, 0, -1]);
  return buildClassifierModel({
    params: {
      inputDim,
      hidden: HIDDEN,
      classes: 2,
      w1,
      b1,
      w2: new Float32Array(2 * HIDDEN).fill(0.1),
      b2: new Float32Array(2),
    },
    input,
    labels: ACTORS,
  });
}

/**
 * Ann's training photos: 5 lit at quadrant 2, 3 at quadrant 0, 1 at quadrant 3. By frequency
 * the units rank 2 (5 wins), 0 (3), 3 (1); by mean activation 3 (12·10/9 = 13.3), 2 (60/9 = 6.7),
 * 0 (36/9 = 4). Bob's 2 training photos are lit at quadrant 1, so unit 1 must not appear for Ann.
 */
const PHOTOS: { actor: string; split: SplitAssignment; q: number }[] = [
  ...[2, 2, 0, 2, 3, 0, 2, 0, 2].map((q) => ({ actor: ACTORS[0]!, split: 'train' as const, q })),
  ...[1, 1].map((q) => ({ actor: ACTORS[1]!, split: 'train' as const, q })),
  { actor: ACTORS[0]!, split: 'val', q: 2 },
  { actor: ACTORS[1]!, split: 'val', q: 1 },
  { actor: ACTORS[0]!, split: 'test', q: 0 },
  { actor: ACTORS[1]!, split: 'test', q: 1 },
];

/** Writes a prepared-data folder holding PHOTOS, as `facelab prepare` would. */
async function writeTinyData(dir: string): Promise<void> {
  const parts = ['train', 'val', 'test'] as const;
  const rows = parts.flatMap((part) =>
    PHOTOS.filter((p) => p.split === part).sort((a, b) => ACTORS.indexOf(a.actor) - ACTORS.indexOf(b.actor)),
  );
  const hashes = rows.map((_, i) => i.toString(16).padStart(64, '0'));
  const images = new Uint8Array(rows.length * D);
  rows.forEach((r, i) => {
    images.set(litPhoto(r.q), i * D);
  });
  await mkdir(dir, { recursive: true });
  await writeNpz(join(dir, `faces_${SIDE}.npz`), {
    images: { data: images, shape: [rows.length, SIDE, SIDE, 3] },
    labels: { data: Int32Array.from(rows.map((r) => ACTORS.indexOf(r.actor))), shape: [rows.length] },
    actors: { data: ACTORS, shape: [ACTORS.length] },
    hashes: { data: hashes, shape: [rows.length] },
    split: {
      data: Uint8Array.from(rows.map((r) => parts.indexOf(r.split as 'train'))),
      shape: [rows.length],
    },
  });
  const zero = { train: 0, val: 0, test: 0, unused: 0 };
  const counts: SplitManifest['counts'] = Object.fromEntries(ACTORS.map((a) => [a, { ...zero }]));
  const totals = { ...zero };
  const photos: SplitManifest['photos'] = {};
  rows.forEach((r, i) => {
    counts[r.actor]![r.split]++;
    totals[r.split]++;
    photos[hashes[i]!] = { actor: r.actor, split: r.split, line: i + 1 };
  });
  await writeSplitManifest(dir, {
    version: 1,
    seed: 1,
    sizes: { train: 9, val: 1, test: 1 },
    list: 'hand-made',
    sides: [SIDE],
    actors: ACTORS,
    counts,
    totals,
    photos,
    cropFailures: [],
  });
}

/** A train folder: the hand-made model.onnx and the metrics.json fields the units need. */
async function writeHandMadeRun(dir: string, input: ClassifierInput): Promise<void> {
  const data = join(dir, 'data');
  await writeTinyData(data);
  await writeFile(join(dir, 'model.onnx'), handMadeModel(input));
  await writeJsonAtomic(join(dir, 'metrics.json'), {
    data,
    config: { hidden: HIDDEN, batch: 1, lr: 1, seed: 0, epochs: 1, inputDim: D, classes: 2, input },
    epochs: 1,
    confusion: { labels: ACTORS, rows: 'true', columns: 'predicted', matrix: [] },
  });
}

test('ranking by frequency and by mean activation on a hand-made model: the known answer', async () => {
  const dir = join(temp, 'hand-made');
  await writeHandMadeRun(dir, { kind: 'image', side: SIDE });
  const out = join(temp, 'ann.png');
  const byFrequency = await writeActorUnits({ run: dir, actor: 'Ann Example', out });
  assert.deepEqual(byFrequency, {
    actor: 'Ann Example',
    rank: 'frequency',
    units: [
      { index: 2, wins: 5 },
      { index: 0, wins: 3 },
      { index: 3, wins: 1 },
    ],
    out,
  });
  const byMean = await writeActorUnits({
    run: dir,
    actor: 'ann example',
    rank: 'mean',
    top: 2,
    out: join(temp, 'ann-mean.png'),
  });
  assert.equal(byMean.actor, 'Ann Example', 'case-insensitive name, canonical spelling back');
  assert.deepEqual(byMean.units, [
    { index: 3, wins: 1 },
    { index: 2, wins: 5 },
  ]);
  const bob = await writeActorUnits({ run: dir, actor: 'Bob Example', top: 1, out: join(temp, 'bob.png') });
  assert.deepEqual(bob.units, [{ index: 1, wins: 2 }]);
});

/** Pixels within 10 per channel of an RGB colour. */
function countNear(png: Raster, rgb: [number, number, number]): number {
  let n = 0;
  for (let y = 0; y < png.height; y++)
    for (let x = 0; x < png.width; x++)
      if (pixel(png, x, y).every((c, i) => Math.abs(c - rgb[i]!) <= 10)) n++;
  return n;
}

test('the figure: positive weights in dark red, a quarter of each unit picture, no strong blue', async () => {
  const png = await decodePng(await readFile(join(temp, 'ann.png')));
  // At 2 px per SVG unit each unit picture is 320×320 px and its lit quadrant 160×160, drawn in
  // the red end of the scale (each unit on its own scale, so its largest weight is the end).
  const darkRed = countNear(png, [178, 24, 43]);
  const expected = 3 * 160 * 160;
  assert.ok(
    darkRed >= expected * 0.97 && darkRed <= expected * 1.05,
    `dark red pixels ${darkRed}, expected ${expected} (±3–5 %: edges and colour-bar ends)`,
  );
  // Only the colour bars' blue ends (2 px strips) may be dark blue: no weight is negative.
  const darkBlue = countNear(png, [21, 64, 108]);
  assert.ok(darkBlue < 400, `dark blue pixels ${darkBlue}: only colour-bar ends expected`);
  assert.ok(png.width > 1500 && png.height > 500, `rendered at 2×: ${png.width}×${png.height}`);
});

test('unknown actors, feature models and folders without a model are user errors naming the problem', async () => {
  const dir = join(temp, 'hand-made');
  await assert.rejects(
    writeActorUnits({ run: dir, actor: 'Carl Nobody', out: join(temp, 'x.png') }),
    (error: unknown) =>
      error instanceof UserError &&
      /unknown actor 'Carl Nobody': the model knows Ann Example, Bob Example/.test(error.message),
  );
  const features = join(temp, 'features-model');
  await writeHandMadeRun(features, { kind: 'features' });
  await assert.rejects(
    writeActorUnits({ run: features, actor: 'Ann Example', out: join(temp, 'x.png') }),
    /takes backbone features, not face crops/,
  );
  await assert.rejects(
    writeActorUnits({ run: temp, actor: 'Ann Example', out: join(temp, 'x.png') }),
    /is not a run, grid or train folder/,
  );
  await assert.rejects(writeActorUnits({ run: dir, actor: 'Ann Example', top: 0, out: 'x.png' }), /for top/);
});

test('first-layer activations equal ONNX Runtime on the real model (within 1e-4)', async () => {
  const run = await locateRun(small.dir);
  const layer = await readFirstLayer(run.modelPath);
  const data = await loadPrepared(run.dataDir!, 32);
  const { images, count } = data.train;
  const ours = firstLayerActivations(images, count, layer);

  const bytes = await readFile(run.modelPath);
  const relu = describeModel(bytes).nodes.find((n) => n.opType === 'Relu')!.outputs[0]!;
  const session = await EngineSession.create(tapModel(bytes, { outputs: [relu] }), { threads: 1 });
  try {
    const out = await session.run({ image: { data: Float32Array.from(images), dims: [count, 32, 32, 3] } });
    // The model's hidden layer is Relu(Gemm(x, fc1.weight, fc1.bias, transB = 1)): [photos, hidden],
    // the layout of `ours`. (Until ee8eab6 it was w1 · xᵀ, [hidden, photos].) The dims are checked
    // first so that a change of layout fails here by name, not as a large difference.
    const tapped = out[relu]!;
    assert.deepEqual(tapped.dims, [count, layer.hidden], `dims of ${relu}`);
    const hidden = tapped.data as Float32Array;
    let worst = 0;
    for (let p = 0; p < count; p++)
      for (let u = 0; u < layer.hidden; u++)
        worst = Math.max(worst, Math.abs(ours[p * layer.hidden + u]! - hidden[p * layer.hidden + u]!));
    assert.ok(worst < 1e-4, `largest difference ${worst}`);
    assert.ok(
      ours.some((v) => v > 0.1),
      'some units fire',
    );
  } finally {
    await session.dispose();
  }
});

test('facelab units end to end on a small real run (--json contract, --rank mean, errors)', async () => {
  const png = join(temp, 'cli', 'bill-hader.png');
  const result = await runCli(['units', '--run', small.dir, '--actor', 'bill hader', '--out', png, '--json']);
  assert.equal(result.code, 0, result.stderr);
  const summary = lastJson(result.stdout) as { actor: string; units: { index: number; wins: number }[] };
  assert.equal(summary.actor, 'Bill Hader');
  assert.equal(summary.units.length, 3);
  const wins = summary.units.map((u) => u.wins);
  assert.deepEqual(
    wins,
    [...wins].sort((a, b) => b - a),
    'most wins first',
  );
  assert.ok(wins.reduce((a, b) => a + b, 0) <= SMALL_RUN_SPLIT.train, 'wins counted on training photos');
  assert.ok(wins[0]! > 0);
  const image = await decodePng(await readFile(png));
  assert.ok(image.width > 1500, `PNG ${image.width}×${image.height}`);

  const mean = await runCli([
    'units',
    '--run',
    small.dir,
    '--actor',
    'Peri Gilpin',
    '--rank',
    'mean',
    '--top',
    '2',
    '--out',
    join(temp, 'cli', 'peri-gilpin-mean.png'),
    '--json',
  ]);
  assert.equal(mean.code, 0, mean.stderr);
  assert.equal((lastJson(mean.stdout).units as unknown[]).length, 2);

  const unknown = await runCli(['units', '--run', small.dir, '--actor', 'Nobody', '--out', png]);
  assert.equal(unknown.code, 2);
  assert.match(
    unknown.stderr,
    /unknown actor 'Nobody': the model knows Alec Baldwin, Bill Hader, Lorraine Bracco, Peri Gilpin/,
  );
  assert.equal(unknown.stderr.trim().split('\n').length, 1, 'one line, no stack trace');
  const badRank = await runCli([
    'units',
    '--run',
    small.dir,
    '--actor',
    'Bill Hader',
    '--rank',
    'best',
    '--out',
    png,
  ]);
  assert.equal(badRank.code, 2);
  assert.match(badRank.stderr, /'frequency' or 'mean' for --rank but received 'best'/);
  const help = await runCli(['units', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--out FILE\.png/);
});
