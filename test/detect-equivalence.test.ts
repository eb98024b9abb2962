/**
 * facelab's face detectors against `@vladmandic/face-api` itself (TF.js WASM backend, dev
 * dependencies only): the same pixels (each photo decoded once with `decodePhoto`; face-api gets
 * them as a `tf.tensor3d`), the same threshold and input size, the same faces — every face-api
 * box matched by one of ours at IoU ≥ 0.95 with its score within 1e-3, on 50 shared photos, for
 * the SSD and for the tiny detector. Both sides' boxes are clipped to the photo (facelab's
 * convention; face-api's SSD boxes can reach into its padding, its tiny boxes past any edge).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodePhoto, type RgbImage } from '../src/data/photo-decode.js';
import { type DetectedFace, type DetectorKind, FaceDetector } from '../src/detect/face-detector.js';
import { squareInput } from '../src/detect/preprocess.js';
import { buildSsdGraph, SSD_LAYERS } from '../src/detect/ssd-graph.js';
import { tapModel } from '../src/engine/model-surgery.js';
import { EngineSession } from '../src/engine/session.js';
import { boxIou, type FaceApi, loadFaceApi, spreadPhotos } from './helpers/face-api-detectors.js';
import { realCrops } from './helpers/real-crops.js';

const PHOTOS = 50;
const MIN_IOU = 0.95;
const MAX_SCORE_DIFF = 1e-3;
const MIN_SCORE = 0.5;

let faceApi: FaceApi;
let photos: { path: string; image: RgbImage }[];

before(async () => {
  faceApi = await loadFaceApi();
  const paths = await spreadPhotos(PHOTOS);
  photos = [];
  for (const path of paths) photos.push({ path, image: await decodePhoto(path) });
});

after(() => faceApi?.dispose());

test("preprocessing is face-api's pad-to-square and tf.image.resizeBilinear, value for value", () => {
  const { tf, faceapi } = faceApi;
  let worst = 0;
  for (const { image } of photos.slice(0, 4)) {
    for (const side of [512, 416]) {
      const ours = squareInput(image, side).pixels;
      const theirs: Float32Array = tf.tidy(() => {
        const x = tf.tensor4d(image.data, [1, image.height, image.width, 3], 'int32');
        return tf.image.resizeBilinear(faceapi.padToSquare(x, false), [side, side], false, false).dataSync();
      });
      assert.equal(ours.length, theirs.length);
      for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - theirs[i]!));
    }
  }
  assert.ok(worst <= 1e-4, `largest |Δ| between the resized pixels: ${worst}`);
});

/** Matches face-api's faces to ours; returns the failures (empty when every face matches). */
function compare(ours: DetectedFace[], theirs: DetectedFace[], where: string): string[] {
  const failures: string[] = [];
  const free = new Set(ours.map((_, i) => i));
  // A face within 1e-3 of the threshold may be kept by one side and not the other.
  const atEdge = (f: DetectedFace): boolean => Math.abs(f.score - MIN_SCORE) <= MAX_SCORE_DIFF;
  for (const face of theirs) {
    let best = -1;
    let bestIou = 0;
    for (const i of free) {
      const iou = boxIou(face.box, ours[i]!.box);
      if (iou > bestIou) [best, bestIou] = [i, iou];
    }
    if (best < 0 || bestIou < MIN_IOU || Math.abs(ours[best]!.score - face.score) > MAX_SCORE_DIFF) {
      if (!atEdge(face))
        failures.push(
          `${where}: face-api's face ${JSON.stringify(face)} best matched at IoU ${bestIou.toFixed(4)}${best < 0 ? '' : ` by ${JSON.stringify(ours[best])}`}`,
        );
      continue;
    }
    free.delete(best);
  }
  for (const i of free)
    if (!atEdge(ours[i]!))
      failures.push(`${where}: our face ${JSON.stringify(ours[i])} is not in face-api's`);
  return failures;
}

for (const kind of ['ssd', 'tiny'] as DetectorKind[]) {
  test(`the ${kind} detector finds face-api's faces on ${PHOTOS} real photos (IoU ≥ ${MIN_IOU}, |Δscore| ≤ ${MAX_SCORE_DIFF})`, async (t) => {
    const detector = await FaceDetector.load({ detector: kind, threads: 2 });
    try {
      const failures: string[] = [];
      let faces = 0;
      let worstIou = 1;
      let worstScore = 0;
      for (const { path, image } of photos) {
        const ours = await detector.detect(image, { minScore: MIN_SCORE });
        const theirs = await faceApi.detect(image, kind, { minScore: MIN_SCORE });
        failures.push(...compare(ours, theirs, path));
        faces += theirs.length;
        for (const face of theirs) {
          const match = ours.reduce(
            (b, f) => (boxIou(f.box, face.box) > boxIou(b.box, face.box) ? f : b),
            ours[0] ?? face,
          );
          worstIou = Math.min(worstIou, boxIou(match.box, face.box));
          worstScore = Math.max(worstScore, Math.abs(match.score - face.score));
        }
      }
      t.diagnostic(
        `${kind}: ${faces} face-api faces on ${photos.length} photos; worst IoU ${worstIou.toFixed(6)}, worst |Δscore| ${worstScore.toExponential(2)}`,
      );
      assert.deepEqual(failures, []);
      assert.ok(faces >= PHOTOS / 2, `only ${faces} faces found on ${photos.length} photos of faces`);
    } finally {
      await detector.dispose();
    }
  });
}

test('the SSD body serves as a backbone: uint8 batches of any size, cut at a named layer with tapModel', async () => {
  assert.deepEqual(SSD_LAYERS.slice(0, 3), ['normalized', 'conv0', 'conv1']);
  assert.ok(SSD_LAYERS.includes('conv13') && SSD_LAYERS.includes('prediction7'));
  const side = 227;
  const crops = await realCrops(side, 1);
  const tapped = tapModel(await buildSsdGraph({ input: 'uint8' }), { outputs: ['conv11', 'conv13'] });
  const session = await EngineSession.create(tapped, { threads: 2 });
  try {
    const all = await session.run({ image: { data: crops.images, dims: [crops.count, side, side, 3] } });
    // TF 'same' padding: ceil(side / stride) at strides 16 and 32.
    assert.deepEqual(all.conv11!.dims, [crops.count, 512, 15, 15]);
    assert.deepEqual(all.conv13!.dims, [crops.count, 1024, 8, 8]);
    // One image alone gives the same features as inside the batch.
    const last = crops.count - 1;
    const one = await session.run({
      image: { data: crops.images.subarray(last * side * side * 3), dims: [1, side, side, 3] },
    });
    const batch = all.conv13!.data as Float32Array;
    const alone = one.conv13!.data as Float32Array;
    const per = alone.length;
    let worst = 0;
    let nonZero = 0;
    for (let i = 0; i < per; i++) {
      worst = Math.max(worst, Math.abs(batch[last * per + i]! - alone[i]!));
      if (alone[i]! > 0) nonZero++;
      assert.ok(alone[i]! >= 0 && alone[i]! <= 6, `conv13[${i}] = ${alone[i]} is outside ReLU6's range`);
    }
    assert.ok(worst <= 1e-4, `batch vs alone: max |Δ| ${worst}`);
    // ReLU6 features are sparse (about 8 % positive on real faces), but not all zero.
    assert.ok(nonZero > per / 50, `conv13 is nearly all zero (${nonZero} of ${per} positive)`);
  } finally {
    await session.dispose();
  }
});
