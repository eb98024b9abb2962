/**
 * facelab's landmark detector against `@vladmandic/face-api` itself: the same weights, the same
 * real FaceScrub photos and listed boxes, the same 68 points. The package runs on TF.js's WASM
 * backend (dev dependencies only), the rebuild on ONNX Runtime. Each stage is checked on its
 * own: the 112 px input square, the dense-block features, the final landmarks.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  DENSE_BLOCK_TAPS,
  DENSE_BLOCKS,
  FEATURE_SIDE,
  FEATURES_TAP,
  faceFeatureExtractor,
} from '../src/align/face-feature-extractor.js';
import { squareGeometry, writeFaceSquare } from '../src/align/face-square.js';
import { landmarkManifestPath, landmarkNetGraph } from '../src/align/landmark-net.js';
import { LandmarkDetector, type Point } from '../src/align/landmarks.js';
import type { FaceBox } from '../src/data/face-list.js';
import { readFaceList } from '../src/data/face-list.js';
import { decodePhoto, type RgbImage } from '../src/data/photo-decode.js';
import { GraphBuilder } from '../src/engine/onnx-builder.js';
import { EngineSession } from '../src/engine/session.js';
import { InvalidOptionError, UserError } from '../src/errors.js';
import { readTfjsWeights } from '../src/transfer/tfjs-weights.js';
import { facescrubImages, facescrubList, SIX_ACTORS } from './helpers/shared.js';

// biome-ignore lint/suspicious/noExplicitAny: face-api's CommonJS bundle is untyped here
type Any = any;

/** Photos compared per actor (10 × 6 = 60 distinct real photos). */
const PER_ACTOR = 10;
/** The bar: every landmark within this many photo pixels of face-api's (Euclidean). */
const LANDMARK_TOLERANCE_PX = 1;

const require = createRequire(import.meta.url);
let faceapi: Any;
let tf: Any;
let detector: LandmarkDetector;
let samples: { file: string; image: RgbImage; box: FaceBox }[] = [];

before(async () => {
  faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  tf = faceapi.tf;
  await tf.setBackend('wasm');
  await tf.ready();
  const manifestPath = landmarkManifestPath();
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
  const bin = await readFile(manifestPath.replace('-weights_manifest.json', '.bin'));
  // What face-api's own loaders do after fetching: decode the manifest's weights, build params.
  const weightMap = tf.io.decodeWeights(
    bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length),
    manifest[0].weights,
  );
  faceapi.nets.faceLandmark68Net.loadFromWeightMap(weightMap);
  detector = await LandmarkDetector.load({ threads: 2 });
  const files = new Map((await readdir(facescrubImages)).map((f) => [f.slice(0, 64), f]));
  const list = await readFaceList(facescrubList, { actors: SIX_ACTORS });
  const seen = new Set<string>();
  for (const actor of SIX_ACTORS) {
    let taken = 0;
    for (const line of list.lines) {
      const file = files.get(line.sha256);
      if (taken === PER_ACTOR || line.name !== actor || !file || seen.has(line.sha256)) continue;
      seen.add(line.sha256);
      const image = await decodePhoto(join(facescrubImages, file));
      samples.push({ file, image, box: line.box });
      taken++;
    }
  }
});

after(async () => {
  faceapi?.nets.faceLandmark68Net.dispose();
  await detector?.dispose();
  samples = [];
});

/** face-api's crop of a listed box: `extractFaceTensors` on the whole photo, as its tasks do. */
async function packageFace(image: RgbImage, box: FaceBox): Promise<Any> {
  const photo = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
  try {
    const rect = new faceapi.Rect(box.x1, box.y1, box.x2 - box.x1, box.y2 - box.y1);
    const [face] = await faceapi.extractFaceTensors(photo, [rect]);
    return face;
  } finally {
    photo.dispose();
  }
}

/** face-api's landmarks in photo pixels: the net's points on the cut, shifted by the box (`extendWithFaceLandmarks`). */
async function packageLandmarks(image: RgbImage, box: FaceBox): Promise<Point[]> {
  const face = await packageFace(image, box);
  try {
    const landmarks = await faceapi.nets.faceLandmark68Net.detectLandmarks(face);
    return landmarks.positions.map((p: Point) => ({ x: p.x + box.x1, y: p.y + box.y1 }));
  } finally {
    face.dispose();
  }
}

test('the 112 px square and the dense-block features match face-api on real faces', async () => {
  const g = landmarkNetGraph(await readTfjsWeights(landmarkManifestPath()));
  for (const [name, channels, side] of DENSE_BLOCKS)
    g.output(name, 'float32', ['batch', channels, side, side]);
  g.output(FEATURES_TAP, 'float32', ['batch', 256]);
  const session = await EngineSession.create(g.toBytes(), { threads: 2 });
  try {
    let worstInput = 0;
    let worstFeature = 0;
    for (const { image, box } of samples.slice(0, 12)) {
      const ours = new Float32Array(FEATURE_SIDE * FEATURE_SIDE * 3);
      writeFaceSquare(image, squareGeometry(box), ours, 0);
      const face = await packageFace(image, box);
      const netInput = await faceapi.toNetInput(face);
      const batch = netInput.toBatchTensor(FEATURE_SIDE, true);
      const features = faceapi.nets.faceLandmark68Net.faceFeatureExtractor.forwardInput(netInput);
      const expectedInput: Float32Array = await batch.data();
      const expectedFeatures: Float32Array = await features.data();
      for (const t of [face, batch, features]) t.dispose();
      for (let i = 0; i < ours.length; i++)
        worstInput = Math.max(worstInput, Math.abs(ours[i]! - expectedInput[i]!));
      const result = await session.run({ image: { data: ours, dims: [1, FEATURE_SIDE, FEATURE_SIDE, 3] } });
      assert.deepEqual(result.dense3!.dims, [1, 256, 7, 7]);
      const got = result[FEATURES_TAP]!.data as Float32Array;
      assert.equal(got.length, expectedFeatures.length);
      const largest = expectedFeatures.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      assert.ok(largest > 0.01, `face-api's features are all near 0 (max ${largest}): nothing compared`);
      for (let i = 0; i < got.length; i++) {
        const diff = Math.abs(got[i]! - expectedFeatures[i]!);
        if (!(diff <= 1e-4 + 1e-4 * Math.abs(expectedFeatures[i]!)))
          assert.fail(`feature ${i}: ours ${got[i]}, face-api ${expectedFeatures[i]} (|Δ| ${diff})`);
        worstFeature = Math.max(worstFeature, diff);
      }
    }
    // Pixels are 0–255 floats; TF resizes in float32 (measured ≤ 0.002), facelab in float64.
    assert.ok(worstInput <= 1e-2, `input square differs from face-api's by ${worstInput}`);
    console.log(`input square max |Δ| ${worstInput}, features max |Δ| ${worstFeature}`);
  } finally {
    await session.dispose();
  }
});

test('two feature extractors live in one graph under different prefixes, with their own taps', async () => {
  const weights = await readTfjsWeights(landmarkManifestPath());
  const g = new GraphBuilder('two_extractors');
  const x = g.input('image', 'float32', ['batch', FEATURE_SIDE, FEATURE_SIDE, 3]);
  const plain = faceFeatureExtractor(g, x, weights);
  const other = faceFeatureExtractor(g, x, weights, 'expr/');
  assert.equal(plain, FEATURES_TAP);
  assert.equal(other, `expr/${FEATURES_TAP}`);
  g.output(plain, 'float32', ['batch', 256]);
  g.output(other, 'float32', ['batch', 256]);
  g.output(`expr/${DENSE_BLOCK_TAPS[1]}`, 'float32', ['batch', 64, 28, 28]);
  const session = await EngineSession.create(g.toBytes(), { threads: 2 });
  try {
    const input = new Float32Array(2 * FEATURE_SIDE * FEATURE_SIDE * 3);
    writeFaceSquare(samples[0]!.image, squareGeometry(samples[0]!.box), input, 0);
    writeFaceSquare(samples[1]!.image, squareGeometry(samples[1]!.box), input, input.length / 2);
    const out = await session.run({ image: { data: input, dims: [2, FEATURE_SIDE, FEATURE_SIDE, 3] } });
    assert.deepEqual(out[plain]!.data, out[other]!.data);
    assert.deepEqual(out['expr/dense1']!.dims, [2, 64, 28, 28]);
  } finally {
    await session.dispose();
  }
});

test(`landmarks are within ${LANDMARK_TOLERANCE_PX} px of face-api's on ${6 * PER_ACTOR} real photos`, async () => {
  assert.equal(samples.length, 6 * PER_ACTOR);
  let worst = 0;
  let total = 0;
  let count = 0;
  for (const { file, image, box } of samples) {
    const [ours] = await detector.detect(image, [box]);
    const expected = await packageLandmarks(image, box);
    assert.equal(ours!.length, 68);
    assert.equal(expected.length, 68);
    for (const [i, p] of ours!.entries()) {
      const q = expected[i]!;
      const distance = Math.hypot(p.x - q.x, p.y - q.y);
      if (!(distance <= LANDMARK_TOLERANCE_PX))
        assert.fail(`${file} point ${i}: ours (${p.x}, ${p.y}), face-api (${q.x}, ${q.y}): ${distance} px`);
      worst = Math.max(worst, distance);
      total += distance;
      count++;
    }
  }
  console.log(`landmarks vs face-api: max ${worst.toFixed(4)} px, mean ${(total / count).toFixed(5)} px`);
});

test("non-square boxes (padded to a square, odd and even differences) give face-api's landmarks", async () => {
  // The FaceScrub boxes are all square; these exercise face-api's pad-to-square and its mapping back.
  let worst = 0;
  for (const [i, { file, image, box }] of samples.slice(0, 12).entries()) {
    const w = box.x2 - box.x1;
    const h = box.y2 - box.y1;
    const cut = 2 * Math.round((w * [0.1, 0.17, 0.23][i % 3]!) / 2) + (i % 2); // odd on odd i, even on even i
    const variant =
      i % 4 < 2
        ? { x1: box.x1 + cut, y1: box.y1, x2: box.x2, y2: box.y2 } // taller than wide
        : { x1: box.x1, y1: box.y1 + cut, x2: box.x2, y2: box.y2 }; // wider than tall
    assert.notEqual(variant.x2 - variant.x1, variant.y2 - variant.y1);
    assert.ok(w > cut && h > cut);
    const [ours] = await detector.detect(image, [variant]);
    const expected = await packageLandmarks(image, variant);
    for (const [k, p] of ours!.entries()) {
      const q = expected[k]!;
      const distance = Math.hypot(p.x - q.x, p.y - q.y);
      if (!(distance <= LANDMARK_TOLERANCE_PX))
        assert.fail(
          `${file} box ${JSON.stringify(variant)} point ${k}: ours (${p.x}, ${p.y}), face-api (${q.x}, ${q.y})`,
        );
      worst = Math.max(worst, distance);
    }
  }
  console.log(`non-square boxes vs face-api: max ${worst.toFixed(4)} px`);
});

test('several boxes of one photo are found in one call, in order, as one by one, and concurrent calls agree', async () => {
  const { image, box } = samples[0]!;
  const shifted = { x1: box.x1 + 7, y1: box.y1 - 5, x2: box.x2 + 3, y2: box.y2 - 9 };
  const both = await detector.detect(image, [box, shifted]);
  const [first] = await detector.detect(image, [box]);
  const [second] = await detector.detect(image, [shifted]);
  assert.equal(both.length, 2);
  assert.deepEqual(both[0], first);
  assert.deepEqual(both[1], second);
  assert.deepEqual(await detector.detect(image, []), []);
  // Concurrent calls (a pipeline decodes several photos at once) give the same as one by one.
  const some = samples.slice(0, 6);
  const together = await Promise.all(some.map(({ image: im, box: b }) => detector.detect(im, [b])));
  for (const [i, { image: im, box: b }] of some.entries())
    assert.deepEqual(together[i], await detector.detect(im, [b]));
});

test('a box reaching outside the photo sees black there, like the same photo with a black border', async () => {
  const { image, box } = samples[1]!;
  const border = 40;
  const padded: RgbImage = {
    width: image.width + 2 * border,
    height: image.height + 2 * border,
    data: new Uint8Array((image.width + 2 * border) * (image.height + 2 * border) * 3),
  };
  for (let y = 0; y < image.height; y++)
    padded.data.set(
      image.data.subarray(y * image.width * 3, (y + 1) * image.width * 3),
      ((y + border) * padded.width + border) * 3,
    );
  // A box sticking 30 px out of the top-left corner of the photo.
  const out = { x1: -30, y1: -30, x2: box.x2 - box.x1 - 30, y2: box.y2 - box.y1 - 30 };
  const [ours] = await detector.detect(image, [out]);
  const [reference] = await detector.detect(padded, [
    { x1: out.x1 + border, y1: out.y1 + border, x2: out.x2 + border, y2: out.y2 + border },
  ]);
  for (const [i, p] of ours!.entries()) {
    const q = reference![i]!;
    assert.ok(Math.abs(p.x + border - q.x) < 1e-3 && Math.abs(p.y + border - q.y) < 1e-3, `point ${i}`);
  }
});

test('bad boxes, images and options are clear errors', async () => {
  const { image } = samples[0]!;
  await assert.rejects(
    detector.detect(image, [
      { x1: 0, y1: 0, x2: 10, y2: 10 },
      { x1: 5, y1: 5, x2: 5, y2: 50 },
    ]),
    (e: unknown) =>
      e instanceof InvalidOptionError && /boxes\[1\]/.test(e.message) && /5,5,5,50/.test(e.message),
  );
  await assert.rejects(
    detector.detect(image, [{ x1: Number.NaN, y1: 0, x2: 10, y2: 10 }]),
    (e: unknown) => e instanceof InvalidOptionError && /finite.*boxes\[0\].*NaN/.test(e.message),
  );
  await assert.rejects(
    detector.detect(image, [{ x1: -1e12, y1: 0, x2: 10, y2: 10 }]),
    (e: unknown) => e instanceof InvalidOptionError && /within ±1000000 px for boxes\[0\]/.test(e.message),
  );
  await assert.rejects(
    detector.detect({ width: 10, height: 10, data: new Uint8Array(12) }, [{ x1: 0, y1: 0, x2: 5, y2: 5 }]),
    /300 RGB bytes.*image\.data.*12/,
  );
  await assert.rejects(LandmarkDetector.load({ threads: 0 }), /threads/);
  const weights = await readTfjsWeights(landmarkManifestPath());
  weights.delete('dense2/conv3/pointwise_filter');
  assert.throws(
    () => landmarkNetGraph(weights, 'my-manifest.json'),
    (e: unknown) =>
      e instanceof UserError && /my-manifest\.json.*dense2\/conv3\/pointwise_filter/.test(e.message),
  );
});
