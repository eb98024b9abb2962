/**
 * NumPy `.npz` archives: a zip of `<name>.npy` members, as `numpy.savez` writes and
 * `numpy.load` reads. facelab stores members uncompressed by default: face crops barely compress
 * and storing keeps writing and loading a ~90 MB dataset well under a second. Stored archives
 * are streamed to disk by `writeNpz` (`zip-stored.ts`, Node's native CRC-32: fflate's
 * JavaScript CRC took a quarter of a second on the 227 px dataset); compressed ones are built
 * by fflate. Reading checks every member's CRC-32 (`zip-read.ts`): a damaged file is a
 * `FileFormatError` naming it and the member, never arrays with silently wrong values.
 */
import { readFile } from 'node:fs/promises';
import { type Zippable, zipSync } from 'fflate';
import { FileFormatError, InvalidOptionError, UserError } from '../errors.js';
import { writeFileAtomic } from './atomic-file.js';
import { decodeNpy, encodeNpy, encodeNpyParts, type NpyArray } from './npy.js';
import { readZipMembers } from './zip-read.js';
import { StoredZipWriter } from './zip-stored.js';

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
    throw new FileFormatError('npz', `${total} bytes exceed the 4 GiB limit of zip without Zip64`);
  }
  return zipSync(members, { level, mtime: MEMBER_TIME });
}

/** Writes arrays to `path` atomically (temp file, then rename). */
export async function writeNpz(
  path: string,
  arrays: NpzArrays,
  options: NpzWriteOptions = {},
): Promise<void> {
  if ((options.level ?? 0) !== 0) {
    await writeFileAtomic(path, encodeNpz(arrays, options));
    return;
  }
  // Stored members are streamed to the file: the arrays are never copied into one buffer.
  const members = Object.entries(arrays).map(([name, array]) => {
    checkName(name);
    return { name: `${name}.npy`, ...encodeNpyParts(array) };
  });
  const zip = await StoredZipWriter.create(path);
  try {
    for (const { name, header, body } of members) await zip.append(name, [header, body]);
  } catch (error) {
    await zip.abort();
    throw error;
  }
  await zip.close();
}

function checkName(name: string): void {
  if (!/^[\w.-]+$/.test(name)) throw new InvalidOptionError('npz member name', '[A-Za-z0-9_.-]+', name);
}

/**
 * Decodes the bytes of an `.npz` archive; `source` names it in errors (a `FileFormatError` for
 * a damaged archive, a member failing its CRC-32, or a member that is no `.npy`). Arrays of
 * stored members share memory with `bytes`.
 */
export function decodeNpz(bytes: Uint8Array, source: string): NpzArrays {
  const members = readZipMembers(bytes, source);
  const arrays: NpzArrays = {};
  for (const [name, member] of members) {
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
