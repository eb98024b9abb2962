import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { cropFace } from '../src/data/crop.js';
import { type FaceLine, readFaceList } from '../src/data/face-list.js';
import { resizeBilinear, resizeBilinearMany } from '../src/data/resample.js';
import { ImageError } from '../src/errors.js';
import { createRng } from '../src/random.js';
import { cutBox, decodeWhole, pixelDistance, referenceResize } from './helpers/image-reference.js';
import { pythonMissing, runPython } from './helpers/python.js';
import { facescrubImages, facescrubList, SIX_ACTORS } from './helpers/shared.js';

interface Sample {
  line: FaceLine;
  path: string;
  format: string;
  channels: number;
  hasAlpha: boolean;
  pixels: number;
}

const samples: Sample[] = [];
let temp = '';

before(async () => {
  temp = await mkdtemp(join(tmpdir(), 'facelab-crop-'));
  const files = new Map((await readdir(facescrubImages)).map((f) => [f.slice(0, 64), f]));
  const list = await readFaceList(facescrubList, { actors: SIX_ACTORS });
  const seen = new Set<string>();
  for (const line of list.lines) {
    const file = files.get(line.sha256);
    if (!file || seen.has(line.sha256)) continue;
    seen.add(line.sha256);
    const path = join(facescrubImages, file);
    const meta = await sharp(path).metadata();
    samples.push({
      line,
      path,
      format: meta.format,
      channels: meta.channels,
      hasAlpha: meta.hasAlpha,
      pixels: meta.width * meta.height,
    });
  }
});

after(async () => {
  await rm(temp, { recursive: true, force: true });
});

const boxSide = (s: Sample): number => s.line.box.x2 - s.line.box.x1;

/** Photos chosen by what they exercise: gray, alpha, the largest photo, the smallest box. */
function pick(): Record<string, Sample> {
  const jpegs = samples.filter((s) => s.format === 'jpeg' && s.channels === 3);
  const bySize = [...jpegs].sort((a, b) => b.pixels - a.pixels);
  const byBox = [...jpegs].sort((a, b) => boxSide(a) - boxSide(b));
  const gray = samples.find((s) => s.channels === 1);
  const alpha = samples.find((s) => s.hasAlpha);
  assert.ok(gray && alpha, 'the shared set has gray and RGBA photos');
  return { largest: bySize[0]!, smallestBox: byBox[0]!, gray, alpha };
}

test('the shared set has the documented kinds of photos: 2 gray JPEGs and 7 PNGs with alpha', () => {
  assert.equal(samples.length, 580);
  assert.equal(samples.filter((s) => s.channels === 1).length, 2);
  assert.equal(samples.filter((s) => s.hasAlpha).length, 7);
});

test('crops match an independent float reference (whole-image decode, TS cut, float tent filter)', async () => {
  // facelab rounds like Pillow (22-bit weights, rounded 8-bit intermediate after the horizontal
  // pass); the reference rounds once, so values may differ by rounding only.
  const tolerance = { max: 2, mean: 0.35 };
  for (const [kind, sample] of Object.entries(pick())) {
    const { box } = sample.line;
    const whole = await decodeWhole(sample.path);
    const cut = cutBox(whole, box);
    const result = await cropFace(sample.path, box, { sides: [32, 227] });
    assert.equal(result.padded, false);
    for (const [i, side] of [32, 227].entries()) {
      const crop = result.crops[i]!;
      assert.equal(crop.length, side * side * 3, `${kind} ${side}: 3 channels`);
      const expected = referenceResize(cut, box.x2 - box.x1, box.y2 - box.y1, side);
      const d = pixelDistance(crop, expected);
      assert.ok(
        d.max <= tolerance.max && d.mean <= tolerance.mean,
        `${kind} (${sample.path}, box ${boxSide(sample)} px) at ${side}: mean ${d.mean.toFixed(3)}, max ${d.max} at byte ${d.at}`,
      );
    }
  }
});

test('gray photos come out as three equal channels, RGBA photos as RGB', async () => {
  const { gray, alpha } = pick();
  for (const sample of [gray, alpha]) {
    assert.ok(sample, 'the shared photos hold a gray and an alpha photo');
    const { crops } = await cropFace(sample.path, sample.line.box, { sides: [32] });
    const crop = crops[0]!;
    assert.equal(crop.length, 32 * 32 * 3);
    let spread = 0;
    for (let i = 0; i < crop.length; i += 3)
      spread = Math.max(spread, crop[i]! - crop[i + 1]!, crop[i + 2]! - crop[i]!);
    if (sample === gray) assert.equal(spread, 0, 'gray replicated to R = G = B');
    else assert.ok(spread > 10, 'the RGBA face keeps its colours');
    const mean = crop.reduce((a, b) => a + b, 0) / crop.length;
    assert.ok(mean > 20 && mean < 235, `a face, not a blank: mean ${mean.toFixed(1)}`);
  }
});

test("crops equal Pillow byte for byte (the reference study's convert/crop/resize)", async (t) => {
  const missing = pythonMissing('numpy', 'PIL');
  if (missing) {
    t.diagnostic(`skipped the Pillow comparison: ${missing}`);
    t.skip(missing);
    return;
  }
  const chosen = Object.values(pick());
  const script = `
import sys, numpy as np
from PIL import Image
side = int(sys.argv[1])
for spec in sys.argv[2:]:
    path, box = spec.split('|')
    im = Image.open(path); im.load()
    im = im.convert('RGB').crop(tuple(int(v) for v in box.split(','))).resize((side, side), Image.BILINEAR)
    sys.stdout.buffer.write(np.asarray(im, dtype=np.uint8).tobytes())
`;
  for (const side of [32, 227]) {
    const specs = chosen.map(
      (s) => `${s.path}|${s.line.box.x1},${s.line.box.y1},${s.line.box.x2},${s.line.box.y2}`,
    );
    const pil = runPython(script, { args: [String(side), ...specs] });
    for (const [i, sample] of chosen.entries()) {
      const { crops } = await cropFace(sample.path, sample.line.box, { sides: [side] });
      const expected = new Uint8Array(pil.subarray(i * side * side * 3, (i + 1) * side * side * 3));
      const d = pixelDistance(crops[0]!, expected);
      assert.equal(d.max, 0, `${sample.path} at ${side}: max diff ${d.max} at byte ${d.at}`);
    }
  }
});

test('resizeBilinear: same size is a copy, one pixel spreads evenly, bad sizes are refused', () => {
  const pixels = Uint8Array.from([10, 20, 30, 40, 50, 60]);
  const same = resizeBilinear(pixels, { width: 2, height: 1, outWidth: 2, outHeight: 1 });
  assert.deepEqual(same, pixels);
  assert.notEqual(same, pixels);
  const up = resizeBilinear(Uint8Array.from([7, 8, 9]), { width: 1, height: 1, outWidth: 3, outHeight: 2 });
  assert.deepEqual([...up], [7, 8, 9, 7, 8, 9, 7, 8, 9, 7, 8, 9, 7, 8, 9, 7, 8, 9]);
  assert.throws(() => resizeBilinear(pixels, { width: 2, height: 1, outWidth: 0, outHeight: 1 }), /outWidth/);
  assert.throws(
    () => resizeBilinear(pixels, { width: 3, height: 1, outWidth: 1, outHeight: 1 }),
    /expected 3×1×3 bytes/,
  );
});

test('the SIMD and JavaScript resamplers give identical bytes, whatever the sizes', () => {
  const rng = createRng(9);
  const cases: [number, number, number, number][] = [
    [180, 150, 32, 32], // shrink
    [60, 45, 227, 227], // enlarge
    [1000, 12, 7, 40], // shrink one axis, enlarge the other
    [3, 1, 3, 9], // narrowest SIMD row: 9 bytes
    [5, 5, 5, 2], // vertical pass only
    [40, 7, 13, 7], // horizontal pass only
    [33, 33, 33, 33], // no pass: a copy
  ];
  for (const [width, height, outWidth, outHeight] of cases) {
    const pixels = Uint8Array.from({ length: width * height * 3 }, () => rng.int(256));
    const options = { width, height, outWidth, outHeight };
    const js = resizeBilinear(pixels, { ...options, engine: 'js' });
    const simd = resizeBilinear(pixels, { ...options, engine: 'simd' });
    assert.equal(js.length, outWidth * outHeight * 3);
    const d = pixelDistance(simd, js);
    assert.equal(d.max, 0, `${width}×${height} → ${outWidth}×${outHeight}: differs at byte ${d.at}`);
  }
  // Saturated extremes exercise the clamping (Pillow's clip8) in both.
  const extremes = Uint8Array.from({ length: 20 * 20 * 3 }, (_, i) => (i % 7 < 3 ? 0 : 255));
  const options = { width: 20, height: 20, outWidth: 9, outHeight: 31 };
  assert.deepEqual(
    resizeBilinear(extremes, { ...options, engine: 'simd' }),
    resizeBilinear(extremes, { ...options, engine: 'js' }),
  );
  assert.throws(
    () =>
      resizeBilinear(new Uint8Array(4), {
        width: 2,
        height: 2,
        channels: 1,
        outWidth: 4,
        outHeight: 4,
        engine: 'simd',
      }),
    /SIMD engine needs/,
  );
});

test('resizeBilinearMany: several sizes from one source, into given rows or new arrays, equal one at a time', () => {
  const rng = createRng(11);
  const pixels = Uint8Array.from({ length: 90 * 70 * 3 }, () => rng.int(256));
  const sizes: [number, number][] = [
    [32, 32],
    [227, 227],
    [90, 70], // a copy
    [5, 70], // horizontal pass only
  ];
  for (const engine of ['simd', 'js'] as const) {
    const rows = new Uint8Array(sizes.reduce((n, [w, h]) => n + w * h * 3, 0) + 6).fill(77);
    // Rows of a larger array, not at its start.
    const starts = sizes.map((_, i) => 3 + sizes.slice(0, i).reduce((n, [w, h]) => n + w * h * 3, 0));
    const into = sizes.map(([w, h], i) => rows.subarray(starts[i]!, starts[i]! + w * h * 3));
    const together = resizeBilinearMany(
      pixels,
      { width: 90, height: 70, engine },
      sizes.map(([outWidth, outHeight], i) => ({ outWidth, outHeight, into: into[i]! })),
    );
    const fresh = resizeBilinearMany(
      pixels,
      { width: 90, height: 70, engine },
      sizes.map(([outWidth, outHeight]) => ({ outWidth, outHeight })),
    );
    for (const [i, [outWidth, outHeight]] of sizes.entries()) {
      const alone = resizeBilinear(pixels, { width: 90, height: 70, outWidth, outHeight, engine: 'js' });
      assert.equal(together[i], into[i], 'the given row is returned');
      assert.deepEqual(together[i], alone, `${engine} ${outWidth}×${outHeight} into a row`);
      assert.deepEqual(fresh[i], alone, `${engine} ${outWidth}×${outHeight} new`);
    }
    assert.deepEqual([...rows.subarray(0, 3), ...rows.subarray(rows.length - 3)], [77, 77, 77, 77, 77, 77]);
  }
  assert.throws(
    () =>
      resizeBilinearMany(pixels, { width: 90, height: 70 }, [
        { outWidth: 4, outHeight: 4, into: new Uint8Array(47) },
      ]),
    /4×4×3 bytes but received 47/,
  );
});

async function expectImageError(promise: Promise<unknown>, reason: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ImageError, `an ImageError, got ${String(error)}`);
    assert.equal(error.reason, reason);
    assert.match(error.message, message);
    return true;
  });
}

/** A minimal PNG whose header declares `width × height` RGB pixels (the pixel data is 1 row). */
function pngHeaderOnly(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter, no interlace
  const row = deflateSync(Buffer.alloc(1 + width * 3));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', row),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

test('hostile inputs fail with a reason, never a crash', async () => {
  const jpeg = samples.find((s) => s.format === 'jpeg' && s.pixels < 1_000_000)!;
  const bytes = await readFile(jpeg.path);
  const whole = await sharp(jpeg.path).metadata();
  const fullBox = { x1: 0, y1: 0, x2: whole.width, y2: whole.height };

  const truncated = join(temp, 'truncated.jpg');
  await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.4)));
  await expectImageError(cropFace(truncated, fullBox), 'corrupt image', /does not decode/);

  const html = join(temp, 'page.jpg');
  await writeFile(html, '<!DOCTYPE html><html><body>Not found</body></html>');
  await expectImageError(cropFace(html, { x1: 0, y1: 0, x2: 10, y2: 10 }), 'not an image', /not a JPEG, PNG/);

  const svg = join(temp, 'vector.jpg');
  await writeFile(svg, '<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"/>');
  await expectImageError(cropFace(svg, { x1: 0, y1: 0, x2: 10, y2: 10 }), 'not an image', /not a JPEG, PNG/);

  const bomb = join(temp, 'bomb.png');
  const bombBytes = pngHeaderOnly(30000, 30000);
  assert.ok(bombBytes.length < 10_000, `a small file (${bombBytes.length} bytes) declaring 900 megapixels`);
  await writeFile(bomb, bombBytes);
  await expectImageError(
    cropFace(bomb, { x1: 0, y1: 0, x2: 100, y2: 100 }),
    'decompression bomb',
    /decompression bomb: 30000×30000 = 900000000 pixels exceeds the limit of 100000000/,
  );
  // The limit is an option: a 1000×1000 photo fails a 1-megapixel-minus-one limit.
  const mega = await sharp({ create: { width: 1000, height: 1000, channels: 3, background: '#808080' } })
    .png()
    .toBuffer();
  await expectImageError(
    cropFace(mega, { x1: 0, y1: 0, x2: 10, y2: 10 }, { maxPixels: 999_999 }),
    'decompression bomb',
    /1000×1000/,
  );

  await expectImageError(
    cropFace(jpeg.path, { x1: whole.width + 5, y1: 0, x2: whole.width + 50, y2: 40 }),
    'box outside image',
    new RegExp(`outside the ${whole.width}×${whole.height} image`),
  );
  // Wholly left of or above the photo: no pixel in it, not a corrupt photo.
  for (const box of [
    { x1: -50, y1: 0, x2: -10, y2: 20 },
    { x1: -50, y1: 0, x2: 0, y2: 20 },
    { x1: 0, y1: -40, x2: 20, y2: -5 },
    { x1: 0, y1: -40, x2: 20, y2: 0 },
  ]) {
    await expectImageError(cropFace(jpeg.path, box), 'box outside image', /lies outside the/);
  }
  await expectImageError(cropFace(jpeg.path, { x1: 10, y1: 10, x2: 10, y2: 50 }), 'empty box', /empty/);
  await expectImageError(
    cropFace(jpeg.path, { x1: 10.5, y1: 10, x2: 40, y2: 50 }),
    'empty box',
    /not integers/,
  );
  await expectImageError(
    cropFace(join(temp, 'absent.jpg'), fullBox),
    'missing file',
    /cannot read the photo/,
  );
});

test("a box partly outside the photo is padded with black, like Pillow's crop", async (t) => {
  const sample = samples.find((s) => s.format === 'jpeg' && s.pixels < 400_000)!;
  const meta = await sharp(sample.path).metadata();
  const box = { x1: -20, y1: meta.height - 60, x2: 80, y2: meta.height + 40 };
  const result = await cropFace(sample.path, box, { sides: [100] });
  assert.equal(result.padded, true);
  const crop = result.crops[0]!; // 100 px box at 100 px: no resampling
  const whole = await decodeWhole(sample.path);
  assert.deepEqual(crop, cutBox(whole, box));
  assert.equal(crop[0], 0, 'top-left corner lies outside: black');
  assert.equal(crop[(99 * 100 + 99) * 3], 0, 'bottom-right corner lies outside: black');
  const missing = pythonMissing('numpy', 'PIL');
  if (missing) {
    t.diagnostic(`skipped the Pillow comparison: ${missing}`);
    return;
  }
  const pil = runPython(
    `import sys, numpy as np
from PIL import Image
im = Image.open(sys.argv[1]).convert('RGB').crop(tuple(int(v) for v in sys.argv[2].split(','))).resize((32, 32), Image.BILINEAR)
sys.stdout.buffer.write(np.asarray(im, dtype=np.uint8).tobytes())`,
    { args: [sample.path, `${box.x1},${box.y1},${box.x2},${box.y2}`] },
  );
  const { crops } = await cropFace(sample.path, box, { sides: [32] });
  assert.equal(pixelDistance(crops[0]!, new Uint8Array(pil)).max, 0, 'equals Pillow at 32 px');
});

test('EXIF orientation is not applied: the box is in stored-pixel order', async () => {
  // A 64×32 JPEG whose left half is red and right half blue, tagged "rotate 90°": applying the
  // tag would put blue or red on top instead of red on the left.
  const raw = Buffer.alloc(64 * 32 * 3);
  for (let i = 0; i < 64 * 32; i++) raw.set(i % 64 < 32 ? [255, 0, 0] : [0, 0, 255], i * 3);
  const rotated = await sharp(raw, { raw: { width: 64, height: 32, channels: 3 } })
    .jpeg({ quality: 100, chromaSubsampling: '4:4:4' })
    .withMetadata({ orientation: 6 })
    .toBuffer();
  assert.equal((await sharp(rotated).metadata()).orientation, 6);
  const { crops } = await cropFace(rotated, { x1: 0, y1: 0, x2: 16, y2: 32 }, { sides: [4] });
  const crop = crops[0]!;
  for (let i = 0; i < 16; i++) {
    const [r, g, b] = crop.subarray(i * 3, i * 3 + 3);
    assert.ok(
      r! > 235 && g! < 20 && b! < 20,
      `the left strip of the stored pixels is red, got ${r},${g},${b}`,
    );
  }
});

test('alpha is dropped, not composited; 16-bit is reduced to 8; animations use the first frame', async () => {
  // Transparent pixels keep their stored colour, as Pillow's convert('RGB') does.
  const rgba = Buffer.alloc(8 * 8 * 4);
  for (let i = 0; i < 64; i++) rgba.set([200, 100, 50, i % 2 ? 0 : 255], i * 4);
  const png = await sharp(rgba, { raw: { width: 8, height: 8, channels: 4 } })
    .png()
    .toBuffer();
  const { crops } = await cropFace(png, { x1: 0, y1: 0, x2: 8, y2: 8 }, { sides: [8] });
  for (let i = 0; i < 64; i++) assert.deepEqual([...crops[0]!.subarray(i * 3, i * 3 + 3)], [200, 100, 50]);

  const deep = Uint16Array.from({ length: 48 }, (_, i) => 0x8040 + i); // a Uint16Array is read as 16-bit
  const png16 = await sharp(deep, { raw: { width: 4, height: 4, channels: 3 } })
    .toColourspace('rgb16')
    .png()
    .toBuffer();
  assert.equal((await sharp(png16).metadata()).depth, 'ushort');
  const eight = (await cropFace(png16, { x1: 0, y1: 0, x2: 4, y2: 4 }, { sides: [4] })).crops[0]!;
  assert.equal(eight.length, 48);
  for (const v of eight) assert.ok(Math.abs(v - 0x80) <= 1, `16-bit 0x80xx maps to about 0x80, got ${v}`);

  const frame = (rgb: number[]) =>
    sharp({
      create: { width: 10, height: 10, channels: 3, background: { r: rgb[0]!, g: rgb[1]!, b: rgb[2]! } },
    })
      .png()
      .toBuffer();
  const gif = await sharp([await frame([0, 255, 0]), await frame([255, 0, 255])], {
    join: { animated: true },
  })
    .gif()
    .toBuffer();
  assert.equal((await sharp(gif).metadata()).pages, 2);
  const first = (await cropFace(gif, { x1: 0, y1: 0, x2: 10, y2: 10 }, { sides: [5] })).crops[0]!;
  assert.equal(first.length, 75);
  for (let i = 0; i < 25; i++) {
    const [r, g, b] = first.subarray(i * 3, i * 3 + 3);
    assert.ok(r! < 20 && g! > 235 && b! < 20, `first (green) frame, got ${r},${g},${b}`);
  }
});
