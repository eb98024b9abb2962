import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as zlib from 'node:zlib';
import { crc32, crc32Combine, crc32Portable } from '../src/data/crc32.js';
import { encodeNpyParts, npyHeader } from '../src/data/npy.js';
import { encodeNpz, writeNpz } from '../src/data/npz.js';
import { StoredZipWriter } from '../src/data/zip-stored.js';
import { createRng, type Rng, shuffleInPlace } from '../src/random.js';

let temp = '';
before(async () => {
  temp = await mkdtemp(join(tmpdir(), 'facelab-zip-'));
});
after(async () => {
  await rm(temp, { recursive: true, force: true });
});

const randomBytes = (rng: Rng, length: number): Uint8Array =>
  Uint8Array.from({ length }, () => rng.uint32() & 0xff);

test('crc32, its JavaScript fallback and crc32Combine agree with zlib on random splits', () => {
  const rng = createRng(7);
  const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
  for (let trial = 0; trial < 200; trial++) {
    const a = randomBytes(rng, rng.uint32() % 70);
    const b = randomBytes(rng, trial === 0 ? 0 : rng.uint32() % 5000);
    const joined = Buffer.concat([a, b]);
    const expected = native ? native(joined) >>> 0 : crc32Portable(joined);
    assert.equal(crc32(joined), expected);
    assert.equal(crc32Portable(joined), expected, 'the JavaScript table');
    assert.equal(crc32(b, crc32(a)), expected, 'continued');
    assert.equal(crc32Combine(crc32(a), crc32(b), b.length), expected, `combined ${a.length}+${b.length}`);
  }
  // A long run of zeros, combined in one step and continued a megabyte at a time.
  const zeros = new Uint8Array(1 << 20);
  let crc = crc32(Uint8Array.of(1, 2, 3));
  for (let i = 0; i < 3; i++) crc = crc32(zeros, crc);
  assert.equal(crc32Combine(crc32(Uint8Array.of(1, 2, 3)), crc32(new Uint8Array(3 << 20)), 3 << 20), crc);
  // Combining is associative, for any checksums and for lengths past 2^31 and 2^32.
  for (const [x, y, z] of [
    [0x12345678, 0x9abcdef0, 0x0fedcba9],
    [0xffffffff, 0, 1],
  ]) {
    const [ly, lz] = [2 ** 33 + 5, 3 * 2 ** 31];
    assert.equal(
      crc32Combine(crc32Combine(x!, y!, ly), z!, lz),
      crc32Combine(x!, crc32Combine(y!, z!, lz), ly + lz),
    );
  }
  assert.throws(() => crc32Combine(0, 0, -1), /byte count/);
});

test('rows written in any order give the bytes writeNpz gives for the whole array', async () => {
  const rng = createRng(3);
  const rows = 37;
  const rowBytes = 5 * 5 * 3;
  const images = randomBytes(rng, rows * rowBytes);
  const labels = Int32Array.from({ length: rows }, (_, i) => i % 4);
  const names = ['Zoë', 'Al'];
  const expected = encodeNpz({
    images: { data: images, shape: [rows, 5, 5, 3] },
    labels: { data: labels, shape: [rows] },
    names: { data: names, shape: [2] },
  });
  const path = join(temp, 'rows.npz');
  const zip = await StoredZipWriter.create(path);
  const member = await zip.reserveRows('images.npy', npyHeader('|u1', [rows, 5, 5, 3]), rows, rowBytes);
  const order = shuffleInPlace(
    Array.from({ length: rows }, (_, i) => i),
    rng,
  );
  const scratch = new Uint8Array(rowBytes);
  for (const row of order) {
    scratch.set(images.subarray(row * rowBytes, (row + 1) * rowBytes));
    member.writeRow(row, scratch); // the buffer is reused at once
    scratch.fill(0);
  }
  const back = new Uint8Array(rowBytes);
  member.readRow(11, back);
  assert.deepEqual(back, images.subarray(11 * rowBytes, 12 * rowBytes));
  for (const [name, data] of [
    ['labels', labels],
    ['names', names],
  ] as const) {
    const { header, body } = encodeNpyParts({ data, shape: [data.length] });
    await zip.append(`${name}.npy`, [header, body]);
  }
  await zip.close();
  assert.deepEqual(new Uint8Array(await readFile(path)), expected, 'same bytes as fflate zipSync');

  const whole = join(temp, 'whole.npz');
  await writeNpz(whole, {
    images: { data: images, shape: [rows, 5, 5, 3] },
    labels: { data: labels, shape: [rows] },
    names: { data: names, shape: [2] },
  });
  assert.deepEqual(new Uint8Array(await readFile(whole)), expected, 'writeNpz too');
});

test('an archive with a row never written, or a bad row, is refused and leaves no file', async () => {
  const dir = join(temp, 'missing');
  const path = join(dir, 'x.npz');
  const zip = await StoredZipWriter.create(path);
  const member = await zip.reserveRows('images.npy', npyHeader('|u1', [3, 2]), 3, 2);
  member.writeRow(0, Uint8Array.of(1, 2));
  member.writeRow(2, Uint8Array.of(5, 6));
  assert.throws(() => member.writeRow(3, Uint8Array.of(1, 2)), /row 3 of 3/);
  assert.throws(() => member.writeRow(1, Uint8Array.of(1, 2, 3)), /3 of 2 bytes/);
  assert.throws(() => member.readRow(1, new Uint8Array(2)), /never written/);
  await assert.rejects(zip.close(), /row 1 of 3 was never written/);
  assert.deepEqual(await readdir(dir), [], 'neither the archive nor its temp file');

  const big = await StoredZipWriter.create(join(dir, 'big.npz'));
  await assert.rejects(big.reserveRows('images.npy', new Uint8Array(64), 2 ** 20, 2 ** 12), /4 GiB/);
  await big.abort();
  assert.deepEqual(await readdir(dir), []);
});
