import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodeNpy, encodeNpy, type NpyArray } from '../src/data/npy.js';
import { decodeNpz, encodeNpz, readNpz, writeNpz } from '../src/data/npz.js';
import { UserError } from '../src/errors.js';
import { pythonMissing, runPython } from './helpers/python.js';

let temp = '';
before(async () => {
  temp = await mkdtemp(join(tmpdir(), 'facelab-npz-'));
});
after(async () => {
  await rm(temp, { recursive: true, force: true });
});

/** One array of every supported dtype, with awkward values. */
function sampleArrays(): Record<string, NpyArray> {
  return {
    images: {
      data: Uint8Array.from({ length: 2 * 3 * 3 * 3 }, (_, i) => (i * 37) % 256),
      shape: [2, 3, 3, 3],
    },
    labels: { data: Int32Array.from([0, 5, -7, 2147483647, -2147483648]), shape: [5] },
    big: { data: BigInt64Array.from([0n, -1n, 9007199254740993n]), shape: [3] },
    floats: { data: Float32Array.from([0.1, -2.5, 3e38, Number.NaN]), shape: [2, 2] },
    doubles: { data: Float64Array.from([Math.PI]), shape: [] },
    names: { data: ['Alec Baldwin', 'Zoë Saldaña', '照片 😀', ''], shape: [4] },
    empty: { data: new Float32Array(0), shape: [0, 4] },
  };
}

function assertSameArrays(actual: Record<string, NpyArray>, expected: Record<string, NpyArray>): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const [name, array] of Object.entries(expected)) {
    assert.deepEqual(actual[name]!.shape, array.shape, `${name} shape`);
    assert.equal(actual[name]!.data.constructor, array.data.constructor, `${name} type`);
    assert.deepEqual([...actual[name]!.data], [...array.data], `${name} values`);
  }
}

test('.npy: header is version 1.0, 64-byte aligned, with the NumPy dtype and shape', () => {
  const bytes = encodeNpy({ data: new Uint8Array(12), shape: [2, 2, 3] });
  assert.deepEqual([...bytes.subarray(0, 8)], [0x93, 78, 85, 77, 80, 89, 1, 0]);
  const headerLength = bytes[8]! | (bytes[9]! << 8);
  assert.equal((10 + headerLength) % 64, 0);
  const header = Buffer.from(bytes.subarray(10, 10 + headerLength)).toString('latin1');
  assert.match(header, /^\{'descr': '\|u1', 'fortran_order': False, 'shape': \(2, 2, 3\), \} *\n$/);
  assert.equal(bytes.length, 10 + headerLength + 12);
  const one = Buffer.from(encodeNpy({ data: ['ab', 'cde'], shape: [2] })).toString('latin1');
  assert.match(one, /'descr': '<U3'.*'shape': \(2,\)/);
});

test('.npy and .npz round-trip every dtype, scalars, empty arrays and non-ASCII names', async () => {
  const arrays = sampleArrays();
  for (const [name, array] of Object.entries(arrays)) {
    assertSameArrays({ [name]: decodeNpy(encodeNpy(array), name) }, { [name]: array });
  }
  assertSameArrays(decodeNpz(encodeNpz(arrays), 'memory'), arrays);
  assertSameArrays(decodeNpz(encodeNpz(arrays, { level: 6 }), 'memory'), arrays);
  const path = join(temp, 'all.npz');
  await writeNpz(path, arrays);
  assertSameArrays(await readNpz(path), arrays);
  // The streamed writer and the fflate encoder make byte-identical stored archives.
  assert.deepEqual(new Uint8Array(await readFile(path)), encodeNpz(arrays));
});

test('shape mismatches and bad member names are refused', () => {
  assert.throws(
    () => encodeNpy({ data: new Uint8Array(5), shape: [2, 3] }),
    /Expected dimensions whose product is 5 for shape but received '\(2, 3\)'/,
  );
  assert.throws(
    () => encodeNpz({ 'a/b': { data: new Uint8Array(1), shape: [1] } }),
    /for npz member name but received 'a\/b'/,
  );
});

test('unreadable files are UserErrors naming the file and the problem', async () => {
  const check = (fn: () => unknown, message: RegExp) =>
    assert.throws(fn, (error: unknown) => error instanceof UserError && message.test(error.message));
  check(
    () => decodeNpy(new TextEncoder().encode('not numpy at all'), 'x.npy'),
    /x\.npy: not a readable \.npy array \(bad magic\)/,
  );
  const good = encodeNpy({ data: Float32Array.from([1, 2, 3]), shape: [3] });
  check(() => decodeNpy(good.subarray(0, good.length - 2), 'cut.npy'), /cut\.npy: .*truncated data/);
  const bool16 = Buffer.from(good);
  bool16.write("'<f2'", bool16.indexOf("'<f4'"), 'latin1');
  check(() => decodeNpy(bool16, 'half.npy'), /unsupported dtype '<f2'/);
  const bigEndian = Buffer.from(good);
  bigEndian.write("'>f4'", bigEndian.indexOf("'<f4'"), 'latin1');
  check(() => decodeNpy(bigEndian, 'be.npy'), /unsupported dtype '>f4'/);
  check(() => decodeNpz(new Uint8Array([1, 2, 3, 4]), 'junk.npz'), /junk\.npz: not a readable \.npz archive/);
  const missing = join(temp, 'absent.npz');
  await assert.rejects(
    readNpz(missing),
    (error: unknown) => error instanceof UserError && /absent\.npz \(ENOENT\)/.test(error.message),
  );
});

test('numpy.load reads facelab .npz files, stored and deflated, and facelab reads numpy.savez files', async (t) => {
  const missing = pythonMissing('numpy');
  if (missing) {
    t.diagnostic(`skipped: ${missing}`);
    t.skip(missing);
    return;
  }
  const arrays = sampleArrays();
  const stored = join(temp, 'stored.npz');
  const deflated = join(temp, 'deflated.npz');
  await writeNpz(stored, arrays);
  await writeNpz(deflated, arrays, { level: 6 });
  const describe = `
import sys, json, numpy as np, zipfile
out = {}
for path in sys.argv[1:]:
    assert zipfile.ZipFile(path).testzip() is None, path  # every member's CRC-32 checks out
    z = np.load(path)
    out[path] = {k: {'dtype': z[k].dtype.str, 'shape': list(z[k].shape),
                     'values': [str(v) if isinstance(v, str) else (None if v != v else float(v) if z[k].dtype.kind == 'f' else int(v)) for v in z[k].reshape(-1).tolist()]}
                 for k in z.files}
print(json.dumps(out))
`;
  const seen = JSON.parse(runPython(describe, { args: [stored, deflated] }).toString()) as Record<
    string,
    Record<string, { dtype: string; shape: number[]; values: (number | string | null)[] }>
  >;
  const dtypes: Record<string, string> = {
    images: '|u1',
    labels: '<i4',
    big: '<i8',
    floats: '<f4',
    doubles: '<f8',
    names: '<U12', // 'Alec Baldwin' is the longest name
    empty: '<f4',
  };
  for (const path of [stored, deflated]) {
    for (const [name, array] of Object.entries(arrays)) {
      const got = seen[path]![name]!;
      assert.equal(got.dtype, dtypes[name], `${path} ${name} dtype`);
      assert.deepEqual(got.shape, array.shape, `${path} ${name} shape`);
      const expected = [...array.data].map((v) =>
        typeof v === 'bigint' ? Number(v) : typeof v === 'number' && Number.isNaN(v) ? null : v,
      );
      if (array.data instanceof Float32Array) {
        got.values.forEach((v, i) => {
          if (expected[i] === null) assert.equal(v, null);
          else
            assert.ok(
              Math.abs((v as number) - (expected[i] as number)) <= Math.abs(expected[i] as number) * 1e-7,
              `${name}[${i}]`,
            );
        });
      } else if (name === 'big') {
        assert.deepEqual(got.values.slice(0, 2), expected.slice(0, 2));
        assert.equal(BigInt(String(got.values[2])), 9007199254740992n, 'JSON floats round the last value');
      } else {
        assert.deepEqual(got.values, expected, `${path} ${name} values`);
      }
    }
  }

  const fromNumpy = join(temp, 'numpy.npz');
  const fromNumpyCompressed = join(temp, 'numpy-compressed.npz');
  runPython(
    `
import sys, numpy as np
arrays = dict(a=np.arange(24, dtype=np.uint8).reshape(2, 3, 4), b=np.array([1.5, -2], dtype=np.float32),
              c=np.array(['x', 'Zoë'], dtype='<U3'), d=np.array(7, dtype=np.int64), e=np.arange(3, dtype=np.int32),
              f=np.asfortranarray(np.arange(4, dtype=np.float64)))
np.savez(sys.argv[1], **arrays)
np.savez_compressed(sys.argv[2], **arrays)
`,
    { args: [fromNumpy, fromNumpyCompressed] },
  );
  for (const path of [fromNumpy, fromNumpyCompressed]) {
    const read = await readNpz(path);
    assert.deepEqual(
      [...read.a!.data],
      Array.from({ length: 24 }, (_, i) => i),
    );
    assert.deepEqual(read.a!.shape, [2, 3, 4]);
    assert.deepEqual([...read.b!.data], [1.5, -2]);
    assert.deepEqual(read.c!.data, ['x', 'Zoë']);
    assert.deepEqual([...read.d!.data], [7n]);
    assert.deepEqual(read.d!.shape, []);
    assert.deepEqual([...read.e!.data], [0, 1, 2]);
    assert.deepEqual([...read.f!.data], [0, 1, 2, 3], 'a 1-D Fortran-order array is the same as C order');
  }
});

test('a file that is not a zip, written where an .npz should be, is refused by name', async () => {
  const path = join(temp, 'fake.npz');
  await writeFile(path, 'PK but not really');
  await assert.rejects(readNpz(path), /fake\.npz: not a readable \.npz archive/);
});

test('.npy from a Node Buffer at any byteOffset (a view into a shared pool) decodes every dtype', () => {
  for (const [name, array] of Object.entries(sampleArrays())) {
    const file = encodeNpy(array);
    // The file sits inside a larger buffer behind leading junk bytes, as a pooled Buffer does;
    // offsets 0–8 cover aligned and misaligned starts for every element size.
    for (let offset = 0; offset <= 8; offset++) {
      const pool = new ArrayBuffer(offset + file.length + 5);
      new Uint8Array(pool).fill(0xa5);
      new Uint8Array(pool, offset, file.length).set(file);
      const buffer = Buffer.from(pool, offset, file.length);
      const decoded = decodeNpy(buffer, `${name}@${offset}`);
      assertSameArrays({ [name]: decoded }, { [name]: array });
      if (!Array.isArray(decoded.data) && decoded.data.length > 0) {
        const element = decoded.data.BYTES_PER_ELEMENT;
        assert.equal(decoded.data.byteOffset % element, 0, `${name}@${offset} is aligned`);
      }
    }
  }
  // A small Buffer.from copy lands in Node's shared pool at a non-zero offset.
  const pooled = Buffer.from(encodeNpy({ data: Float64Array.from([1.25, -3]), shape: [2] }));
  assert.deepEqual([...decodeNpy(pooled, 'pooled.npy').data], [1.25, -3]);
});
