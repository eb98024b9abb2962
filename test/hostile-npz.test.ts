/**
 * Issue 12, case 2: a damaged `.npz` never trains silently. Every member read is checked
 * against its stored CRC-32 (as Python's `zipfile` does); a mismatch is a `FileFormatError`
 * naming the file and the member, and the CLI prints one line and exits with 2.
 */
import assert from 'node:assert/strict';
import { mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { npyHeader } from '../src/data/npy.js';
import { decodeNpz, encodeNpz, readNpz, writeNpz } from '../src/data/npz.js';
import { readZipMembers } from '../src/data/zip-read.js';
import { StoredZipWriter } from '../src/data/zip-stored.js';
import { FileFormatError } from '../src/errors.js';
import { runCli } from './helpers/capture-cli.js';
import { makePreparedData } from './helpers/fake-cache.js';
import { pythonMissing, runPython } from './helpers/python.js';

let temp = '';
before(async () => {
  temp = await mkdtemp(join(tmpdir(), 'facelab-hostile-npz-'));
});
after(async () => {
  await rm(temp, { recursive: true, force: true });
});

const arrays = () => ({
  images: {
    data: Uint8Array.from({ length: 4 * 8 * 8 * 3 }, (_, i) => (i * 37) & 0xff),
    shape: [4, 8, 8, 3],
  },
  labels: { data: Int32Array.from([0, 1, 0, 1]), shape: [4] },
});

/** Flips one byte in the middle of member `name`'s data (found from its .npy header). */
function flipInside(bytes: Uint8Array, marker: string): void {
  const at = Buffer.from(bytes).indexOf(marker, 0, 'latin1');
  assert.ok(at > 0, `no ${marker} in the archive`);
  bytes[at + 200]! ^= 0x01;
}

const isCrcError = (file: RegExp, member: string) => (error: unknown) =>
  error instanceof FileFormatError &&
  file.test(error.message) &&
  error.message.includes(`member ${member} fails its CRC-32 check`);

test('one flipped byte in a stored member is a FileFormatError naming file and member', async (t) => {
  const path = join(temp, 'faces_8.npz');
  await writeNpz(path, arrays());
  const bytes = new Uint8Array(await readFile(path));
  flipInside(bytes, "'shape': (4, 8, 8, 3)");
  await writeFile(path, bytes);
  await assert.rejects(readNpz(path), isCrcError(/faces_8\.npz: /, 'images.npy'));
  assert.throws(() => decodeNpz(bytes, 'memory.npz'), isCrcError(/^memory\.npz: /, 'images.npy'));
  const missing = pythonMissing('numpy');
  if (missing) {
    t.diagnostic(`skipped the zipfile cross-check: ${missing}`);
    return;
  }
  // Python's zipfile finds the same member bad.
  const bad = runPython('import sys, zipfile\nprint(zipfile.ZipFile(sys.argv[1]).testzip())', {
    args: [path],
  });
  assert.equal(bad.toString().trim(), 'images.npy');
});

test('a flipped byte in a deflated member, a truncated archive and a lying size are refused too', () => {
  const deflated = encodeNpz(arrays(), { level: 6 });
  const members = readZipMembers(deflated, 'ok.npz');
  assert.deepEqual([...members.keys()], ['images.npy', 'labels.npy']);
  // Flip a byte in the compressed body of images.npy (just after its local header).
  const local = 30 + 'images.npy'.length;
  const damaged = deflated.slice();
  damaged[local + 40]! ^= 0x10;
  assert.throws(
    () => decodeNpz(damaged, 'deflated.npz'),
    (error: unknown) =>
      error instanceof FileFormatError &&
      /^deflated\.npz: member images\.npy (fails its CRC-32|does not inflate|has)/.test(error.message),
  );
  const stored = encodeNpz(arrays());
  for (const cut of [stored.length - 1, stored.length - 30, 100]) {
    assert.throws(
      () => decodeNpz(stored.subarray(0, cut), 'cut.npz'),
      (error: unknown) =>
        error instanceof FileFormatError && /^cut\.npz: not a readable \.npz archive/.test(error.message),
      `cut at ${cut}`,
    );
  }
});

test('a row read back while writing is checked against the CRC-32 it was written with', async () => {
  const dir = join(temp, 'rows');
  const path = join(dir, 'x.npz');
  const zip = await StoredZipWriter.create(path);
  const member = await zip.reserveRows('images.npy', npyHeader('|u1', [2, 4]), 2, 4);
  member.writeRow(0, Uint8Array.of(1, 2, 3, 4));
  member.writeRow(1, Uint8Array.of(5, 6, 7, 8));
  const back = new Uint8Array(4);
  member.readRow(1, back);
  assert.deepEqual([...back], [5, 6, 7, 8]);
  // Damage row 1 on disk behind the writer's back.
  const [temp0] = await readdir(dir);
  const handle = await open(join(dir, temp0!), 'r+');
  const size = (await handle.stat()).size;
  await handle.write(Uint8Array.of(0xee), 0, 1, size - 1);
  await handle.close();
  assert.throws(
    () => member.readRow(1, back),
    (error: unknown) =>
      error instanceof FileFormatError &&
      error.message.startsWith(`${path}: row 1 of member images.npy fails its CRC-32 check`) &&
      !error.message.includes('.tmp'),
  );
  await zip.abort();
});

test('train on a faces_32.npz with one flipped pixel byte: one line, exit 2', async () => {
  const data = await makePreparedData(temp, {
    actors: ['Peri Gilpin', 'Bill Hader'],
    sizes: [32],
    name: 'data',
  });
  const file = join(data, 'faces_32.npz');
  const bytes = new Uint8Array(await readFile(file));
  flipInside(bytes, "'shape': (");
  await writeFile(file, bytes);
  const run = await runCli(['train', '--data', data, '--epochs', '1', '--out', join(temp, 'model')]);
  assert.equal(run.code, 2, run.stderr);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0]!, /^facelab train: .*faces_32\.npz: member images\.npy fails its CRC-32 check/);
});
