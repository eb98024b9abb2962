/**
 * Face alignment on real FaceScrub photos: the fitted transform puts the eyes level and on the
 * template, `alignedCrop` is OpenCV's `cv2.warpAffine` (INTER_LINEAR, black border) on the
 * same matrix, a crop reaching outside the photo is black there, bad landmarks are clear
 * errors, and the landmark net run again on an aligned crop finds the eyes level.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  type Affine2x3,
  alignedCrop,
  alignmentTransform,
  FACESCRUB_TEMPLATE,
  warpAffine,
} from '../src/align/face-align.js';
import { LandmarkDetector, type Point } from '../src/align/landmarks.js';
import { readFaceList } from '../src/data/face-list.js';
import { decodePhoto, type RgbImage } from '../src/data/photo-decode.js';
import { InvalidOptionError } from '../src/errors.js';
import { pythonMissing, runPython } from './helpers/python.js';
import { facescrubImages, facescrubList, SIX_ACTORS } from './helpers/shared.js';

/** Photos per actor (5 × 6 = 30 real photos). */
const PER_ACTOR = 5;

let detector: LandmarkDetector;
let samples: { file: string; image: RgbImage; landmarks: Point[] }[] = [];

before(async () => {
  detector = await LandmarkDetector.load({ threads: 2 });
  const files = new Map((await readdir(facescrubImages)).map((f) => [f.slice(0, 64), f]));
  const list = await readFaceList(facescrubList, { actors: SIX_ACTORS });
  const seen = new Set<string>();
  for (const actor of SIX_ACTORS) {
    let taken = 0;
    // From the end of the list: other photos than the landmark test's.
    for (const line of [...list.lines].reverse()) {
      const file = files.get(line.sha256);
      if (taken === PER_ACTOR || line.name !== actor || !file || seen.has(line.sha256)) continue;
      seen.add(line.sha256);
      const image = await decodePhoto(join(facescrubImages, file));
      const [landmarks] = await detector.detect(image, [line.box]);
      samples.push({ file, image, landmarks: landmarks! });
      taken++;
    }
  }
});

after(async () => {
  await detector?.dispose();
  samples = [];
});

const apply = (m: Affine2x3, p: Point): Point => ({
  x: m[0] * p.x + m[1] * p.y + m[2],
  y: m[3] * p.x + m[4] * p.y + m[5],
});
const eyeCentre = (points: readonly Point[], from: number): Point => ({
  x: points.slice(from, from + 6).reduce((s, p) => s + p.x, 0) / 6,
  y: points.slice(from, from + 6).reduce((s, p) => s + p.y, 0) / 6,
});
/** Angle of the line from the left eye to the right eye, in degrees (0 = level). */
const eyeAngle = (left: Point, right: Point): number =>
  (Math.atan2(right.y - left.y, right.x - left.x) * 180) / Math.PI;

test('the transform is a similarity that maps the eye centres level and onto the template', () => {
  // Stated tolerances (a least-squares fit of five points, so nose and mouth pull a little):
  // eye line within 6° of level, each eye within 6 % of the side of its template place.
  const side = 150;
  let worstAngle = 0;
  let worstEye = 0;
  for (const { file, landmarks } of samples) {
    const m = alignmentTransform(landmarks, { side });
    assert.ok(Math.abs(m[0] - m[4]) < 1e-9 && Math.abs(m[1] + m[3]) < 1e-9, `${file}: not a similarity`);
    const left = apply(m, eyeCentre(landmarks, 36));
    const right = apply(m, eyeCentre(landmarks, 42));
    const angle = Math.abs(eyeAngle(left, right));
    const off =
      Math.max(
        Math.hypot(
          left.x - FACESCRUB_TEMPLATE.leftEye.x * side,
          left.y - FACESCRUB_TEMPLATE.leftEye.y * side,
        ),
        Math.hypot(
          right.x - FACESCRUB_TEMPLATE.rightEye.x * side,
          right.y - FACESCRUB_TEMPLATE.rightEye.y * side,
        ),
      ) / side;
    assert.ok(angle <= 6, `${file}: eye line at ${angle.toFixed(2)}°`);
    assert.ok(off <= 0.06, `${file}: an eye ${(off * 100).toFixed(1)} % of the side from the template`);
    worstAngle = Math.max(worstAngle, angle);
    worstEye = Math.max(worstEye, off);
    // Any side: the same transform scaled.
    const small = alignmentTransform(landmarks, { side: 32 });
    for (let k = 0; k < 6; k++)
      assert.ok(Math.abs(small[k]! - (m[k]! * 32) / 150) < 1e-9, `${file}: side 32, entry ${k}`);
  }
  console.log(
    `eye line max ${worstAngle.toFixed(2)}° from level; eyes max ${(worstEye * 100).toFixed(2)} % of the side off the template`,
  );
});

/** cv2.warpAffine of each job's image with its matrix, INTER_LINEAR, black border: one Python run. */
function opencvWarps(jobs: readonly { image: RgbImage; m: Affine2x3; side: number }[]): Uint8Array[] {
  const script = `
import sys, json, numpy as np, cv2
data = sys.stdin.buffer.read()
offset = 0
for job in json.loads(sys.argv[1]):
    w, h, side = job['width'], job['height'], job['side']
    img = np.frombuffer(data, dtype=np.uint8, count=w * h * 3, offset=offset).reshape(h, w, 3)
    offset += w * h * 3
    m = np.array(job['m'], dtype=np.float64).reshape(2, 3)
    out = cv2.warpAffine(img, m, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    sys.stdout.buffer.write(np.ascontiguousarray(out).tobytes())
`;
  const spec = jobs.map(({ image, m, side }) => ({ width: image.width, height: image.height, side, m }));
  const input = Buffer.concat(jobs.map((j) => j.image.data));
  const out = runPython(script, { args: [JSON.stringify(spec)], input });
  let offset = 0;
  return jobs.map(({ side }) => {
    const crop = new Uint8Array(out.subarray(offset, offset + side * side * 3));
    offset += side * side * 3;
    return crop;
  });
}

/**
 * Stated tolerance against OpenCV: OpenCV rounds the source position to 1/32 px and the
 * weights to 1/2048, so on a sharp edge it can differ by a few levels (measured: max 3, mean
 * 0.09 on nine real photos): max |Δ| ≤ 8, mean |Δ| ≤ 0.2, at most 0.2 % of the values off by more than 2.
 */
function assertLikeOpenCV(
  ours: Uint8Array,
  reference: Uint8Array,
  what: string,
): { max: number; mean: number } {
  assert.equal(ours.length, reference.length, `${what}: size`);
  let max = 0;
  let total = 0;
  let far = 0;
  for (let i = 0; i < ours.length; i++) {
    const diff = Math.abs(ours[i]! - reference[i]!);
    max = Math.max(max, diff);
    total += diff;
    if (diff > 2) far++;
  }
  const mean = total / ours.length;
  assert.ok(max <= 8, `${what}: max |Δ| ${max} > 8`);
  assert.ok(mean <= 0.2, `${what}: mean |Δ| ${mean} > 0.2`);
  assert.ok(far <= 0.002 * ours.length, `${what}: ${far} of ${ours.length} values off by more than 2`);
  return { max, mean };
}

test('alignedCrop equals cv2.warpAffine (INTER_LINEAR, black border) on the same matrix and photo', (t) => {
  const missing = pythonMissing('numpy', 'cv2');
  if (missing) {
    t.skip(missing);
    return;
  }
  let max = 0;
  let mean = 0;
  let count = 0;
  const jobs = samples.slice(0, 9).map(({ file, image, landmarks }, i) => {
    const side = [150, 32, 227][i % 3]!;
    return { file, image, landmarks, side, m: alignmentTransform(landmarks, { side }) };
  });
  const references = opencvWarps(jobs);
  for (const [i, { file, image, landmarks, side }] of jobs.entries()) {
    const ours = alignedCrop(image, landmarks, { side });
    assert.equal(ours.length, side * side * 3);
    const stats = assertLikeOpenCV(ours, references[i]!, `${file} at ${side}`);
    max = Math.max(max, stats.max);
    mean += stats.mean;
    count++;
  }
  console.log(`vs OpenCV: max |Δ| ${max}, mean |Δ| ${(mean / count).toFixed(4)}`);
});

test('a transform reaching outside the photo is black there (and still OpenCV)', (t) => {
  const { image, landmarks } = samples[0]!;
  // Cut the photo just above and left of the face's centre, so the aligned crop reaches out of it.
  const fitted = [
    eyeCentre(landmarks, 36),
    eyeCentre(landmarks, 42),
    landmarks[30]!,
    landmarks[48]!,
    landmarks[54]!,
  ];
  const cutX = Math.round(fitted.reduce((s, p) => s + p.x, 0) / 5) - 5;
  const cutY = Math.round(fitted.reduce((s, p) => s + p.y, 0) / 5) - 5;
  const width = image.width - cutX;
  const height = image.height - cutY;
  const part: RgbImage = { width, height, data: new Uint8Array(width * height * 3) };
  for (let y = 0; y < height; y++)
    part.data.set(
      image.data.subarray(
        ((y + cutY) * image.width + cutX) * 3,
        ((y + cutY) * image.width + image.width) * 3,
      ),
      y * width * 3,
    );
  const moved = landmarks.map((p) => ({ x: p.x - cutX, y: p.y - cutY }));
  const side = 150;
  const m = alignmentTransform(moved, { side });
  const ours = alignedCrop(part, moved, { side });
  const whole = alignedCrop(image, landmarks, { side });
  // Inverse map of each crop pixel: fully outside the part is black, fully inside is the whole photo's pixel.
  const det = m[0] * m[4] - m[1] * m[3];
  let black = 0;
  let inside = 0;
  for (let v = 0; v < side; v++) {
    for (let u = 0; u < side; u++) {
      const x = (m[4] * (u - m[2]) - m[1] * (v - m[5])) / det;
      const y = (-m[3] * (u - m[2]) + m[0] * (v - m[5])) / det;
      const at = (v * side + u) * 3;
      if (x < -1 || y < -1) {
        for (let k = 0; k < 3; k++)
          assert.equal(ours[at + k], 0, `pixel (${u}, ${v}) maps outside the photo`);
        black++;
      } else if (x >= 0 && y >= 0 && x < width - 1 && y < height - 1) {
        for (let k = 0; k < 3; k++)
          assert.equal(ours[at + k], whole[at + k], `pixel (${u}, ${v}) maps inside the photo`);
        inside++;
      }
    }
  }
  assert.ok(black > side * side * 0.3 && inside > side * side * 0.1, `black ${black}, inside ${inside}`);
  // A transform that misses the photo entirely gives an all-black crop.
  const away = warpAffine(part, [1, 0, -1e5, 0, 1, -1e5], 32);
  assert.ok(away.every((v) => v === 0));
  const missing = pythonMissing('numpy', 'cv2');
  if (missing) {
    t.skip(missing);
    return;
  }
  assertLikeOpenCV(ours, opencvWarps([{ image: part, m, side }])[0]!, 'cut photo');
});

test('bad landmarks, sides and images are clear errors, not crops', () => {
  const { image, landmarks } = samples[0]!;
  const error = (pattern: RegExp) => (e: unknown) =>
    e instanceof InvalidOptionError && pattern.test(e.message);
  const same = landmarks.map(() => ({ x: 50, y: 60 }));
  assert.throws(
    () => alignmentTransform(same),
    error(/a face at least a pixel across.*within 0\.00 px of \(50, 60\)/),
  );
  assert.throws(() => alignedCrop(image, same), error(/a face at least a pixel across/));
  const elsewhere = landmarks.map((p) => ({ x: p.x + image.width, y: p.y }));
  assert.doesNotThrow(() => alignmentTransform(elsewhere));
  assert.throws(
    () => alignedCrop(image, elsewhere),
    error(new RegExp(`a face centred inside the ${image.width}×${image.height} photo for landmarks`)),
  );
  const nan = landmarks.map((p, i) => (i === 40 ? { x: Number.NaN, y: p.y } : p));
  assert.throws(() => alignedCrop(image, nan), error(/landmarks\[40\].*NaN/));
  const huge = landmarks.map((p) => ({ x: p.x * 1e30, y: p.y * 1e30 }));
  assert.throws(() => alignmentTransform(huge), error(/within ±1000000 px for landmarks\[0\]/));
  assert.throws(() => alignmentTransform(landmarks.slice(0, 5)), error(/68 points for landmarks.*5 points/));
  for (const side of [0, 1.5, 5000, Number.NaN])
    assert.throws(() => alignedCrop(image, landmarks, { side }), error(/integer from 1 to 4096 for side/));
  assert.throws(
    () => alignedCrop({ width: 4, height: 4, data: new Uint8Array(10) }, landmarks),
    error(/48 RGB bytes.*image\.data/),
  );
  assert.throws(
    () =>
      alignmentTransform(landmarks, { template: { ...FACESCRUB_TEMPLATE, nose: { x: Number.NaN, y: 0.6 } } }),
    error(/template point 2/),
  );
  const dot = { x: 0.5, y: 0.5 };
  const collapsed = { leftEye: dot, rightEye: dot, nose: dot, mouthLeft: dot, mouthRight: dot };
  assert.throws(
    () => alignmentTransform(landmarks, { template: collapsed }),
    error(/not all in one place for template/),
  );
});

test('the landmark net run again on an aligned crop finds the eyes level, where the template puts them', async () => {
  // Stated tolerance: eye line within 6° of level on every photo, mean within 2°.
  const side = 150;
  let worst = 0;
  let total = 0;
  for (const { file, image, landmarks } of samples) {
    const crop: RgbImage = { width: side, height: side, data: alignedCrop(image, landmarks, { side }) };
    // The template frames the face as a listed box does: the whole crop is the face box.
    const [again] = await detector.detect(crop, [{ x1: 0, y1: 0, x2: side, y2: side }]);
    const left = eyeCentre(again!, 36);
    const right = eyeCentre(again!, 42);
    const angle = Math.abs(eyeAngle(left, right));
    assert.ok(angle <= 6, `${file}: eyes at ${angle.toFixed(2)}° in the aligned crop`);
    assert.ok(
      Math.abs((left.y + right.y) / 2 / side - FACESCRUB_TEMPLATE.leftEye.y) <= 0.06,
      `${file}: eye height`,
    );
    worst = Math.max(worst, angle);
    total += angle;
  }
  assert.ok(total / samples.length <= 2, `mean eye angle ${total / samples.length}°`);
  console.log(
    `re-detected eyes: max ${worst.toFixed(2)}°, mean ${(total / samples.length).toFixed(2)}° from level`,
  );
});
