/**
 * Measures the alignment template of `src/align/face-align.ts`: the mean position of the
 * landmarks facelab finds in the listed FaceScrub boxes of the shared photos, as fractions of
 * each box (x from its left edge over its width, y from its top over its height). Prints the
 * mean of all 68 points, then the five points the alignment uses, mirrored (the mean of the
 * faces and their mirror images, so the template is symmetric and its eyes level), rounded to
 * four decimals, with the spread across photos.
 *
 * Run: node --import tsx scripts/align-template.ts
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LandmarkDetector, type Point } from '../src/align/landmarks.js';
import { readFaceList } from '../src/data/face-list.js';
import { decodePhoto } from '../src/data/photo-decode.js';
import { facescrubImages, facescrubList, SIX_ACTORS } from '../test/helpers/shared.js';

const files = new Map((await readdir(facescrubImages)).map((f) => [f.slice(0, 64), f]));
const list = await readFaceList(facescrubList, { actors: SIX_ACTORS });
const detector = await LandmarkDetector.load({ threads: 2 });
const sum = Array.from({ length: 68 }, () => ({ x: 0, y: 0 }));
const five: Point[][] = [];
const seen = new Set<string>();
const mean = (points: readonly Point[], from: number, to: number): Point => {
  let x = 0;
  let y = 0;
  for (let i = from; i < to; i++) {
    x += points[i]!.x;
    y += points[i]!.y;
  }
  return { x: x / (to - from), y: y / (to - from) };
};
for (const line of list.lines) {
  const file = files.get(line.sha256);
  if (!file || seen.has(line.sha256)) continue;
  seen.add(line.sha256);
  const image = await decodePhoto(join(facescrubImages, file));
  const [points] = await detector.detect(image, [line.box]);
  const { x1, y1, x2, y2 } = line.box;
  const rel = points!.map((p) => ({ x: (p.x - x1) / (x2 - x1), y: (p.y - y1) / (y2 - y1) }));
  for (const [i, p] of rel.entries()) {
    sum[i]!.x += p.x;
    sum[i]!.y += p.y;
  }
  five.push([mean(rel, 36, 42), mean(rel, 42, 48), rel[30]!, rel[48]!, rel[54]!]);
}
await detector.dispose();
const n = seen.size;
console.log(`photos: ${n}`);
console.log(
  `mean of the 68 points: ${JSON.stringify(sum.map((p) => [+(p.x / n).toFixed(4), +(p.y / n).toFixed(4)]))}`,
);
const names = [
  'eye on the left of the photo',
  'eye on the right',
  'nose tip',
  'mouth corner left',
  'mouth corner right',
];
const means = names.map((_, k) =>
  mean(
    five.map((f) => f[k]!),
    0,
    n,
  ),
);
const sd = names.map((_, k) => {
  const m = means[k]!;
  const s = five.reduce((a, f) => ({ x: a.x + (f[k]!.x - m.x) ** 2, y: a.y + (f[k]!.y - m.y) ** 2 }), {
    x: 0,
    y: 0,
  });
  return { x: Math.sqrt(s.x / n), y: Math.sqrt(s.y / n) };
});
// Mirror: point k of a flipped face is point mirror[k] of the face at x → 1 − x.
const mirror = [1, 0, 2, 4, 3];
for (const [k, name] of names.entries()) {
  const m = means[k]!;
  const o = means[mirror[k]!]!;
  const x = (m.x + 1 - o.x) / 2;
  const y = (m.y + o.y) / 2;
  console.log(
    `${name.padEnd(30)} mean (${m.x.toFixed(4)}, ${m.y.toFixed(4)}) sd (${sd[k]!.x.toFixed(4)}, ${sd[k]!.y.toFixed(4)})  mirrored (${x.toFixed(4)}, ${y.toFixed(4)})`,
  );
}
