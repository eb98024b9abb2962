/**
 * The SSD detector against the FaceScrub lists on all 580 shared photos: each photo's listed box
 * (the line whose SHA-256 names the file) against the best-overlapping detection. Bar: IoU ≥ 0.5
 * on ≥ 95 % of the photos.
 *
 * minScore here is 0.2, not the default 0.5: the question is whether the listed face is found at
 * all, and a few real faces (small, blurred, in profile) score between 0.2 and 0.5; a lower score
 * cannot make the listed box overlap better than the detector's box for that face does.
 *
 * The SSD frames faces narrower than FaceScrub's annotators do (measured: listed boxes are
 * about 1.19 × as wide), which costs IoU even when the face is found. The bar is asserted on the
 * raw boxes; the IoU after `listBoxFromDetection` (the fixed scale/shift of `box-convention.ts`,
 * fitted once on the photos whose SHA-256 starts with an even byte, so the odd half is held out) is reported beside it, for
 * all photos and for the held-out half, and asserted at the same bar.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { type FaceBox, readFaceList } from '../src/data/face-list.js';
import { decodePhoto, type RgbImage } from '../src/data/photo-decode.js';
import { listBoxFromDetection } from '../src/detect/box-convention.js';
import { FaceDetector } from '../src/detect/face-detector.js';
import { boxIou } from './helpers/face-api-detectors.js';
import { facescrubImages, facescrubList, SIX_ACTORS } from './helpers/shared.js';

const MIN_SCORE = 0.2;
const DECODE_AHEAD = 3;

/** Quantiles of `values` as a short string. */
function quantiles(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): string =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(3);
  return `min ${at(0)}, 1% ${at(0.01)}, 5% ${at(0.05)}, 10% ${at(0.1)}, 25% ${at(0.25)}, median ${at(0.5)}, 75% ${at(0.75)}, max ${at(1)}`;
}

test('the SSD finds the listed face of the 580 shared FaceScrub photos', async (t) => {
  const files = new Map((await readdir(facescrubImages)).map((f) => [f.slice(0, 64), f]));
  const list = await readFaceList(facescrubList, { actors: SIX_ACTORS });
  const boxes = new Map<string, FaceBox>();
  for (const line of list.lines)
    if (files.has(line.sha256) && !boxes.has(line.sha256)) boxes.set(line.sha256, line.box);
  const photos = [...boxes.keys()];
  assert.equal(photos.length, 580);

  const detector = await FaceDetector.load({ threads: 2 });
  const raw: number[] = [];
  const mapped: { iou: number; fitted: boolean }[] = [];
  try {
    // Decoding (sharp, off the main thread) runs ahead of detection.
    const decode = (i: number): Promise<RgbImage> =>
      decodePhoto(join(facescrubImages, files.get(photos[i]!)!));
    const pending = photos.slice(0, DECODE_AHEAD).map((_, i) => decode(i));
    for (let i = 0; i < photos.length; i++) {
      const image = await pending[i]!;
      if (i + DECODE_AHEAD < photos.length) pending.push(decode(i + DECODE_AHEAD));
      delete pending[i];
      const listed = boxes.get(photos[i]!)!;
      const faces = await detector.detect(image, { minScore: MIN_SCORE });
      let best = 0;
      let bestMapped = 0;
      for (const face of faces) {
        best = Math.max(best, boxIou(face.box, listed));
        bestMapped = Math.max(bestMapped, boxIou(listBoxFromDetection(face.box), listed));
      }
      raw.push(best);
      mapped.push({ iou: bestMapped, fitted: Number.parseInt(photos[i]!.slice(0, 2), 16) % 2 === 0 });
    }
  } finally {
    await detector.dispose();
  }
  const share = (values: number[], min: number): number =>
    values.filter((v) => v >= min).length / values.length;
  const mappedAll = mapped.map((m) => m.iou);
  const heldOut = mapped.filter((m) => !m.fitted).map((m) => m.iou);
  const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
  t.diagnostic(`minScore ${MIN_SCORE}; ${photos.length} photos`);
  t.diagnostic(`raw SSD boxes: IoU ≥ 0.5 on ${pct(share(raw, 0.5))}; quantiles ${quantiles(raw)}`);
  t.diagnostic(
    `listBoxFromDetection: IoU ≥ 0.5 on ${pct(share(mappedAll, 0.5))}; quantiles ${quantiles(mappedAll)}`,
  );
  t.diagnostic(
    `listBoxFromDetection, held-out half (${heldOut.length} photos): IoU ≥ 0.5 on ${pct(share(heldOut, 0.5))}; quantiles ${quantiles(heldOut)}`,
  );
  assert.ok(share(raw, 0.5) >= 0.95, `raw: IoU ≥ 0.5 on only ${pct(share(raw, 0.5))}`);
  assert.ok(share(mappedAll, 0.5) >= 0.95, `mapped: IoU ≥ 0.5 on only ${pct(share(mappedAll, 0.5))}`);
  assert.ok(share(heldOut, 0.5) >= 0.95, `mapped, held out: IoU ≥ 0.5 on only ${pct(share(heldOut, 0.5))}`);
});
