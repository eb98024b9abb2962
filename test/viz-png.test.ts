import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { encodeRgbPng, rgbPngDataUri, upscaleNearest } from '../src/viz/png-encode.js';

test('the PNG encoder round-trips through sharp (libpng) byte for byte', async () => {
  const width = 7;
  const height = 5;
  const pixels = Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 37 + 11) % 256);
  const { data, info } = await sharp(Buffer.from(encodeRgbPng(pixels, width, height)))
    .raw()
    .toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height, info.channels], [width, height, 3]);
  assert.ok(Buffer.from(pixels).equals(data));
  assert.match(rgbPngDataUri(pixels, width, height), /^data:image\/png;base64,iVBORw0KGgo/);
  assert.throws(() => encodeRgbPng(pixels, width, height + 1), /126 bytes \(7×6×3\)/);
  assert.throws(() => encodeRgbPng(pixels, 0, 1), /positive integer width and height/);
});

test('nearest-neighbour upscaling repeats each pixel factor × factor times', () => {
  const pixels = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]); // 2×2
  const big = upscaleNearest(pixels, 2, 2, 3); // 6×6
  assert.equal(big.length, 6 * 6 * 3);
  for (let y = 0; y < 6; y++) {
    for (let x = 0; x < 6; x++) {
      const src = (Math.floor(y / 3) * 2 + Math.floor(x / 3)) * 3;
      assert.deepEqual(
        [...big.subarray((y * 6 + x) * 3, (y * 6 + x) * 3 + 3)],
        [...pixels.subarray(src, src + 3)],
        `at ${x},${y}`,
      );
    }
  }
  assert.equal(upscaleNearest(pixels, 2, 2, 1), pixels);
});
