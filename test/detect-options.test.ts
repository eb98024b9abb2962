/**
 * The face detector's edges: bad options are `InvalidOptionError`s naming the option, a photo
 * with no face gives no faces, a file that is not a photo is `decodePhoto`'s `ImageError`, and
 * two real faces side by side are two faces.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { readFaceList } from '../src/data/face-list.js';
import { decodePhoto, type RgbImage } from '../src/data/photo-decode.js';
import { DETECTOR_KINDS, detectFaces, FaceDetector } from '../src/detect/face-detector.js';
import { ImageError, InvalidOptionError } from '../src/errors.js';
import { boxIou } from './helpers/face-api-detectors.js';
import { facescrubImages, facescrubList, SIX_ACTORS } from './helpers/shared.js';

let ssd: FaceDetector;
let tiny: FaceDetector;

before(async () => {
  ssd = await FaceDetector.load({ threads: 2 });
  tiny = await FaceDetector.load({ detector: 'tiny', threads: 2 });
});

after(async () => {
  await ssd?.dispose();
  await tiny?.dispose();
});

/** The listed face of two different actors' photos, each cropped with a margin to a 300 × 360 portrait. */
async function twoPortraits(): Promise<{ left: Buffer; right: Buffer }> {
  const files = new Map((await readdir(facescrubImages)).map((f) => [f.slice(0, 64), f]));
  const list = await readFaceList(facescrubList, { actors: SIX_ACTORS });
  const portraits: Buffer[] = [];
  for (const actor of ['Alec Baldwin', 'Angie Harmon']) {
    const line = list.lines.find((l) => l.name === actor && files.has(l.sha256))!;
    const image = await decodePhoto(join(facescrubImages, files.get(line.sha256)!));
    const { x1, y1, x2, y2 } = line.box;
    const margin = Math.round((x2 - x1) * 0.6);
    const left = Math.max(0, x1 - margin);
    const top = Math.max(0, y1 - margin);
    const width = Math.min(image.width, x2 + margin) - left;
    const height = Math.min(image.height, y2 + margin) - top;
    portraits.push(
      await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
        .extract({ left, top, width, height })
        .resize(300, 360, { fit: 'fill' })
        .raw()
        .toBuffer(),
    );
  }
  return { left: portraits[0]!, right: portraits[1]! };
}

test('two faces side by side (two shared photos composed with sharp) are two faces, for both detectors', async () => {
  const { left, right } = await twoPortraits();
  const png = await sharp({ create: { width: 640, height: 400, channels: 3, background: '#808080' } })
    .composite([
      { input: left, raw: { width: 300, height: 360, channels: 3 }, left: 10, top: 20 },
      { input: right, raw: { width: 300, height: 360, channels: 3 }, left: 330, top: 20 },
    ])
    .png()
    .toBuffer();
  for (const detector of [ssd, tiny]) {
    const faces = await detectFaces(png, { detector: detector.kind, threads: 2 });
    assert.equal(faces.length, 2, `${detector.kind}: ${JSON.stringify(faces)}`);
    const [a, b] = [...faces].sort((p, q) => p.box.x1 - q.box.x1);
    assert.ok(
      a!.box.x2 <= 320 && b!.box.x1 >= 320,
      `${detector.kind}: one face in each half: ${JSON.stringify(faces)}`,
    );
    assert.ok(faces[0]!.score >= faces[1]!.score, 'highest score first');
    // The same result from a loaded detector and from the decoded image.
    const again = await detector.detect(await decodePhoto(png));
    assert.deepEqual(again, faces);
  }
});

test('a photo with no face gives no faces', async () => {
  // A smooth gradient with a few soft shapes: nothing face-like.
  const width = 400;
  const height = 300;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = (x * 255) / width;
      data[i + 1] = (y * 255) / height;
      data[i + 2] = 128 + 60 * Math.sin(x / 37) * Math.cos(y / 23);
    }
  const image: RgbImage = { data, width, height };
  for (const detector of [ssd, tiny]) assert.deepEqual(await detector.detect(image), [], detector.kind);
});

test('boxes are clipped to the photo and scores descend', async () => {
  const files = (await readdir(facescrubImages)).sort().slice(0, 8);
  for (const file of files) {
    const image = await decodePhoto(join(facescrubImages, file));
    for (const detector of [ssd, tiny]) {
      const faces = await detector.detect(image, { minScore: 0.2 });
      for (const [i, { box, score }] of faces.entries()) {
        assert.ok(
          box.x1 >= 0 && box.y1 >= 0 && box.x2 <= image.width && box.y2 <= image.height,
          `${file}: ${JSON.stringify(box)}`,
        );
        assert.ok(box.x2 >= box.x1 && box.y2 >= box.y1);
        assert.ok(score > 0.2 && score <= 1);
        if (i > 0) assert.ok(faces[i - 1]!.score >= score);
      }
      const few = await detector.detect(image, { minScore: 0.2, maxResults: 1 });
      assert.deepEqual(few, faces.slice(0, 1));
      // Overlapping boxes were suppressed: no two kept faces overlap much.
      for (let i = 0; i < faces.length; i++)
        for (let j = i + 1; j < faces.length; j++)
          assert.ok(boxIou(faces[i]!.box, faces[j]!.box) <= 0.5, `${file}: faces ${i} and ${j} overlap`);
    }
  }
});

test('a file that is not a photo is an ImageError', async () => {
  await assert.rejects(
    detectFaces(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>')),
    (e: unknown) => e instanceof ImageError && e.reason === 'not an image',
  );
  await assert.rejects(
    detectFaces(join(facescrubImages, 'no-such-photo.jpg')),
    (e: unknown) => e instanceof ImageError && e.reason === 'missing file',
  );
});

test('bad options are InvalidOptionErrors naming the option', async () => {
  const image: RgbImage = { data: new Uint8Array(32 * 32 * 3), width: 32, height: 32 };
  const rejects = async (run: () => Promise<unknown>, option: string): Promise<void> => {
    await assert.rejects(
      run,
      (e: unknown) => e instanceof InvalidOptionError && e.option === option && e.message.includes(option),
    );
  };
  assert.deepEqual(DETECTOR_KINDS, ['ssd', 'tiny']);
  await rejects(() => FaceDetector.load({ detector: 'yolo' as 'ssd' }), 'detector');
  await rejects(() => FaceDetector.load({ threads: 0 }), 'threads');
  await rejects(() => FaceDetector.load({ threads: 1.5 }), 'threads');
  await rejects(() => ssd.detect(image, { minScore: 1 }), 'minScore');
  await rejects(() => ssd.detect(image, { minScore: -0.1 }), 'minScore');
  await rejects(() => ssd.detect(image, { minScore: Number.NaN }), 'minScore');
  await rejects(() => ssd.detect(image, { maxResults: 0 }), 'maxResults');
  await rejects(() => tiny.detect(image, { maxResults: 2.5 }), 'maxResults');
  await rejects(() => tiny.detect(image, { inputSize: 400 }), 'inputSize');
  await rejects(() => tiny.detect(image, { inputSize: 0 }), 'inputSize');
  await rejects(() => ssd.detect(image, { inputSize: 416 }), 'inputSize');
  await rejects(() => ssd.detect({ data: new Uint8Array(10), width: 32, height: 32 }, {}), 'image.data');
  await rejects(
    () => ssd.detect({ data: new Uint8Array(0), width: 0, height: 32 }, {}),
    'image.width/height',
  );
  // Valid edge values pass.
  assert.deepEqual(await tiny.detect(image, { inputSize: 128, minScore: 0.9 }), []);
  assert.deepEqual(await ssd.detect(image, { minScore: 0.99, maxResults: 1 }), []);
});
