/**
 * Issue 12, case 1: huge face boxes. A box is a per-line problem: an absurd one is refused with
 * the reason 'box too large' (it used to end the whole `prepare` with "Invalid typed array
 * length"), and a padded box is resized without building the padded box, still equal to
 * Pillow's crop-then-resize byte for byte.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { boxProblem, cropFace, MAX_BOX_TO_PHOTO } from '../src/data/crop.js';
import { clippedCoefficients } from '../src/data/crop-padded.js';
import type { FaceBox } from '../src/data/face-list.js';
import { prepareDataset } from '../src/data/prepare.js';
import { resizeBilinearMany } from '../src/data/resample.js';
import { coefficients } from '../src/data/resample-passes.js';
import { ImageError } from '../src/errors.js';
import { runCli } from './helpers/capture-cli.js';
import { type FakeCache, makeFakeCache, makePreparedData } from './helpers/fake-cache.js';
import { cutBox, decodeWhole } from './helpers/image-reference.js';
import { pythonMissing, runPython } from './helpers/python.js';
import { facescrubList } from './helpers/shared.js';

const ACTOR = 'Peri Gilpin';
let cache: FakeCache;
let temp = '';
let photo = '';
let width = 0;
let height = 0;

before(async () => {
  cache = await makeFakeCache({ actors: [ACTOR] });
  temp = await mkdtemp(join(tmpdir(), 'facelab-hostile-crop-'));
  const manifest = JSON.parse(await readFile(join(cache.dir, 'manifest.json'), 'utf8'));
  const first = manifest.entries.find((e: { status: string }) => e.status === 'verified');
  photo = join(cache.dir, first.file);
  const meta = await sharp(photo).metadata();
  width = meta.width;
  height = meta.height;
});

after(async () => {
  await cache.cleanup();
  await rm(temp, { recursive: true, force: true });
});

async function reason(box: FaceBox): Promise<string> {
  try {
    await cropFace(photo, box, { sides: [32, 227] });
    return 'cropped';
  } catch (error) {
    assert.ok(error instanceof ImageError, `not an ImageError: ${String(error)}`);
    return error.reason;
  }
}

test('absurd boxes are refused with the reason "box too large", naming box and photo size', async () => {
  for (const side of [100_000_000, 100_000, 40_000, 20_000]) {
    assert.equal(await reason({ x1: 0, y1: 0, x2: side, y2: side }), 'box too large', `${side}²`);
  }
  await assert.rejects(
    cropFace(photo, { x1: -5 * width, y1: 0, x2: 10, y2: 10 }),
    new RegExp(`more than ${MAX_BOX_TO_PHOTO} times the size of the ${width}×${height} image`),
  );
  // Up to the limit, even mostly off the photo, a box crops.
  const limit = { x1: -3 * width, y1: -3 * height, x2: width, y2: height };
  assert.equal(await reason(limit), 'cropped');
  assert.equal(await reason({ ...limit, x1: limit.x1 - 1 }), 'box too large');
  // Past 2^53 a coordinate is no exact integer.
  assert.equal(await reason({ x1: 0, y1: 0, x2: 2 ** 60, y2: 10 }), 'empty box');
});

test('clipped coefficients are the full ones restricted to the kept inputs', () => {
  for (const [inSize, outSize, first, count] of [
    [100, 32, 0, 100],
    [100, 32, 30, 40],
    [40, 227, 5, 20],
    [227, 227, 0, 227],
    [2000, 32, 1990, 10],
    [9, 3, 8, 1],
  ] as const) {
    const full = coefficients(inSize, outSize);
    const clipped = clippedCoefficients(inSize, outSize, first, count);
    for (let o = 0; o < outSize; o++) {
      const expected = new Map<number, number>();
      const start = full.bounds[o * 2]!;
      for (let k = 0; k < full.bounds[o * 2 + 1]!; k++) {
        const x = start + k;
        if (x >= first && x < first + count) expected.set(x - first, full.weights[o * full.size + k]!);
      }
      const got = new Map<number, number>();
      const from = clipped.bounds[o * 2]!;
      for (let k = 0; k < clipped.bounds[o * 2 + 1]!; k++)
        got.set(from + k, clipped.weights[o * clipped.size + k]!);
      assert.deepEqual(got, expected, `${inSize}→${outSize}, inputs ${first}+${count}, output ${o}`);
    }
  }
});

test('padded boxes equal the padded box built in full and resized, and Pillow', async (t) => {
  const whole = await decodeWhole(photo);
  const boxes: FaceBox[] = [
    { x1: -20, y1: -30, x2: 100, y2: 90 },
    { x1: width - 50, y1: height - 10, x2: width + 150, y2: height + 190 },
    { x1: -width, y1: -height, x2: 2 * width, y2: 2 * height },
    { x1: -3 * width, y1: 10, x2: 40, y2: 60 },
    { x1: 10, y1: -200, x2: 237, y2: 27 }, // 227 wide: no horizontal resampling at 227 px
  ];
  for (const box of boxes) {
    const { crops, padded } = await cropFace(photo, box, { sides: [32, 227] });
    assert.equal(padded, true);
    const full = resizeBilinearMany(cutBox(whole, box), { width: box.x2 - box.x1, height: box.y2 - box.y1 }, [
      { outWidth: 32, outHeight: 32 },
      { outWidth: 227, outHeight: 227 },
    ]);
    assert.deepEqual(crops[0], full[0], `32 px of ${JSON.stringify(box)}`);
    assert.deepEqual(crops[1], full[1], `227 px of ${JSON.stringify(box)}`);
  }
  const missing = pythonMissing('numpy', 'PIL');
  if (missing) {
    t.diagnostic(`skipped the Pillow comparison: ${missing}`);
    return;
  }
  const pil = runPython(
    `import sys, numpy as np
from PIL import Image
im = Image.open(sys.argv[1]).convert('RGB')
for b in sys.argv[2:]:
    for s in (32, 227):
        sys.stdout.buffer.write(np.asarray(im.crop(tuple(int(v) for v in b.split(','))).resize((s, s), Image.BILINEAR), dtype=np.uint8).tobytes())`,
    { args: [photo, ...boxes.map((b) => `${b.x1},${b.y1},${b.x2},${b.y2}`)] },
  );
  let at = 0;
  for (const box of boxes) {
    const { crops } = await cropFace(photo, box, { sides: [32, 227] });
    for (const crop of crops) {
      assert.deepEqual(
        crop,
        new Uint8Array(pil.subarray(at, at + crop.length)),
        `Pillow, ${JSON.stringify(box)}`,
      );
      at += crop.length;
    }
  }
  assert.equal(at, pil.length);
});

test('prepare: a list line with a huge box fails alone, with its reason; the rest is prepared', async () => {
  const text = await readFile(facescrubList, 'utf8');
  const manifest = JSON.parse(await readFile(join(cache.dir, 'manifest.json'), 'utf8'));
  const victim = manifest.entries.find((e: { status: string }) => e.status === 'verified').line as number;
  const rows = text.split('\n');
  const fields = rows[victim - 1]!.split('\t');
  fields[4] = '0,0,100000000,100000000';
  rows[victim - 1] = fields.join('\t');
  const list = join(temp, 'huge-box.txt');
  await writeFile(list, rows.join('\n'));
  const warnings: string[] = [];
  // Alignment off: the crop step is the one under test. (With it on, landmarks are found on the
  // box first, in locate-faces.ts, which must refuse such a box the same way: boxProblem.)
  const result = await prepareDataset({
    list,
    actors: [ACTOR],
    cacheDir: cache.dir,
    outDir: join(temp, 'data'),
    sizes: [32],
    align: 'off',
    onProgress: (e) => {
      if (e.kind === 'warning') warnings.push(e.message);
    },
  });
  assert.deepEqual(result.failed, { 'box too large': 1 });
  assert.equal(result.failures[0]!.line, victim);
  assert.equal(result.photos, cache.verified - 1);
  assert.ok(
    warnings.some((w) => /list line \d+.*face box 0,0,100000000,100000000 is more than 4 times/.test(w)),
    warnings.join('\n'),
  );
});

test('boxProblem: the one rule for a box against a photo', () => {
  assert.equal(boxProblem({ x1: 0, y1: 0, x2: 400, y2: 300 }, 100, 100), undefined);
  assert.equal(boxProblem({ x1: 0, y1: 0, x2: 401, y2: 300 }, 100, 100)?.reason, 'box too large');
  assert.equal(boxProblem({ x1: 0, y1: -301, x2: 10, y2: 100 }, 100, 100)?.reason, 'box too large');
  assert.equal(boxProblem({ x1: 100, y1: 0, x2: 120, y2: 10 }, 100, 100)?.reason, 'box outside image');
  assert.equal(boxProblem({ x1: -20, y1: 0, x2: 0, y2: 10 }, 100, 100)?.reason, 'box outside image');
  assert.equal(boxProblem({ x1: -20, y1: 0, x2: 1, y2: 10 }, 100, 100), undefined);
});

test('predict --box far larger than the photo: one line naming the box, exit 2', async () => {
  const data = await makePreparedData(temp, {
    actors: ['Peri Gilpin', 'Bill Hader'],
    sizes: [32],
    splitSizes: { train: 10, val: 2, test: 2 },
    name: 'tiny',
  });
  const out = join(temp, 'tiny-model');
  const trained = await runCli(['train', '--data', data, '--epochs', '1', '--hidden', '4', '--out', out]);
  assert.equal(trained.code, 0, trained.stderr);
  const model = join(out, 'model.onnx');
  for (const box of ['0,0,100000,100000', '0,0,100000000,100000000']) {
    const run = await runCli(['predict', '--model', model, photo, '--box', box]);
    assert.equal(run.code, 2, run.stderr);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, new RegExp(`face box ${box} is more than 4 times the size of the`));
  }
});
