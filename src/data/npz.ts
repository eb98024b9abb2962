/**
 * NumPy `.npz` archives: a zip of `<name>.npy` members, as `numpy.savez` writes and
 * `numpy.load` reads. facelab stores members uncompressed by default: face crops barely compress
 * and storing keeps writing and loading a ~90 MB dataset well under a second. Stored archives
 * are streamed to disk by `writeNpz` with Node's native CRC-32 (fflate's JavaScript CRC took
 * a quarter of a second on the 227 px dataset); compressed ones are built by fflate.
 */
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as zlib from 'node:zlib';
import { unzipSync, type Zippable, zipSync } from 'fflate';
import { UserError } from '../errors.js';
import { tempPathFor, writeFileAtomic } from './atomic-file.js';
import { decodeNpy, encodeNpy, encodeNpyParts, type NpyArray } from './npy.js';

/** Named arrays: the keys become the member names (`images` → `images.npy`). */
export type NpzArrays = Record<string, NpyArray>;

/** Options of `encodeNpz` / `writeNpz`. */
export interface NpzWriteOptions {
  /** Deflate level 0–9; 0 stores the members uncompressed (like `numpy.savez`). Default 0. */
  level?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
}

// A fixed member date keeps the archive bytes a pure function of the arrays.
const MEMBER_TIME = new Date(1980, 0, 1);
// The zip format without its Zip64 extension (which fflate does not write) stops at 4 GiB.
const ZIP32_LIMIT = 0xffffffff;

/** Encodes arrays as the bytes of an `.npz` archive. */
export function encodeNpz(arrays: NpzArrays, options: NpzWriteOptions = {}): Uint8Array {
  const level = options.level ?? 0;
  const members: Zippable = {};
  let total = 0;
  for (const [name, array] of Object.entries(arrays)) {
    checkName(name);
    const bytes = encodeNpy(array);
    total += bytes.length;
    members[`${name}.npy`] = [bytes, { level, mtime: MEMBER_TIME }];
  }
  if (total >= ZIP32_LIMIT) {
    throw new RangeError(`npz of ${total} bytes exceeds the 4 GiB limit of zip without Zip64`);
  }
  return zipSync(members, { level, mtime: MEMBER_TIME });
}

/** Writes arrays to `path` atomically (temp file, then rename). */
export async function writeNpz(
  path: string,
  arrays: NpzArrays,
  options: NpzWriteOptions = {},
): Promise<void> {
  // zlib.crc32 arrived in Node 20.15; older Node falls back to fflate.
  const crc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  if ((options.level ?? 0) !== 0 || crc32 === undefined) {
    await writeFileAtomic(path, encodeNpz(arrays, options));
    return;
  }
  const members = Object.entries(arrays).map(([name, array]) => {
    checkName(name);
    return { name: `${name}.npy`, ...encodeNpyParts(array) };
  });
  await mkdir(dirname(path), { recursive: true });
  const temp = tempPathFor(path);
  try {
    const handle = await open(temp, 'w');
    try {
      const central: Uint8Array[] = [];
      let offset = 0;
      for (const { name, header, body } of members) {
        const size = header.length + body.length;
        // (zlib.crc32 of an empty view over an empty ArrayBuffer returns 0, not the running value.)
        const crc = body.length > 0 ? crc32(body, crc32(header)) : crc32(header);
        const zip = storedHeaders(name, size, crc, offset);
        await handle.write(zip.local);
        await handle.write(header);
        await handle.write(body);
        central.push(zip.central);
        offset += zip.local.length + size;
      }
      if (offset >= ZIP32_LIMIT)
        throw new RangeError(`npz of ${offset} bytes exceeds the 4 GiB limit of zip without Zip64`);
      const directory = Buffer.concat(central);
      await handle.write(directory);
      await handle.write(endOfDirectory(members.length, directory.length, offset));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** The same date fflate writes for `MEMBER_TIME`, in MS-DOS format: 1980-01-01 00:00. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

/** Local and central-directory headers of one stored (uncompressed) zip member. */
function storedHeaders(
  name: string,
  size: number,
  crc: number,
  offset: number,
): { local: Buffer; central: Buffer } {
  const nameBytes = Buffer.from(name, 'utf8');
  const local = Buffer.alloc(30 + nameBytes.length);
  local.writeUInt32LE(0x04034b50, 0); // local file header signature
  local.writeUInt16LE(20, 4); // version needed: 2.0
  local.writeUInt16LE(0, 6); // flags: none (member names are ASCII)
  local.writeUInt16LE(0, 8); // method: stored
  local.writeUInt16LE(DOS_TIME, 10);
  local.writeUInt16LE(DOS_DATE, 12);
  local.writeUInt32LE(crc >>> 0, 14);
  local.writeUInt32LE(size, 18); // compressed size
  local.writeUInt32LE(size, 22); // uncompressed size
  local.writeUInt16LE(nameBytes.length, 26);
  local.writeUInt16LE(0, 28); // extra field length
  nameBytes.copy(local, 30);
  const central = Buffer.alloc(46 + nameBytes.length);
  central.writeUInt32LE(0x02014b50, 0); // central directory signature
  central.writeUInt16LE(20, 4); // version made by
  central.writeUInt16LE(20, 6); // version needed
  central.writeUInt16LE(0, 8);
  central.writeUInt16LE(0, 10);
  central.writeUInt16LE(DOS_TIME, 12);
  central.writeUInt16LE(DOS_DATE, 14);
  central.writeUInt32LE(crc >>> 0, 16);
  central.writeUInt32LE(size, 20);
  central.writeUInt32LE(size, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  // extra length, comment length, disk number, internal and external attributes stay 0
  central.writeUInt32LE(offset, 42);
  nameBytes.copy(central, 46);
  return { local, central };
}

function endOfDirectory(entries: number, size: number, offset: number): Buffer {
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries, 8); // entries on this disk
  end.writeUInt16LE(entries, 10); // entries in total
  end.writeUInt32LE(size, 12);
  end.writeUInt32LE(offset, 16);
  return end;
}

function checkName(name: string): void {
  if (!/^[\w.-]+$/.test(name)) throw new RangeError(`npz member name '${name}' must be [A-Za-z0-9_.-]+`);
}

/** Decodes the bytes of an `.npz` archive; `source` names it in errors (a `UserError`). */
export function decodeNpz(bytes: Uint8Array, source: string): NpzArrays {
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(bytes);
  } catch (error) {
    throw new UserError(`${source}: not a readable .npz archive (${(error as Error).message})`);
  }
  const arrays: NpzArrays = {};
  for (const [name, member] of Object.entries(members)) {
    if (!name.endsWith('.npy')) continue;
    arrays[name.slice(0, -4)] = decodeNpy(member, `${source}:${name}`);
  }
  return arrays;
}

/** Reads an `.npz` file; a missing or unreadable file is a `UserError` naming it. */
export async function readNpz(path: string): Promise<NpzArrays> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read ${path}${code ? ` (${code})` : ''}`);
  }
  return decodeNpz(bytes, path);
}
