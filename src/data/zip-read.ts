/**
 * Reading the members of a zip archive (an `.npz`), every one checked against its stored
 * CRC-32. fflate's `unzipSync` checks no CRC, so one flipped byte in a dataset's pixels used to
 * train silently; here a mismatch is a `FileFormatError` naming the file and the member.
 *
 * Stored members (what facelab and `numpy.savez` write) are returned as views of `bytes`, not
 * copies; deflated ones (`numpy.savez_compressed`, `writeNpz` with a level) are inflated with
 * fflate. Zip64 sizes and offsets (NumPy writes Zip64 extra fields) are understood.
 *
 * Cost, measured once (2026-12-02, the 2-core test machine, three runs) on the 227 px dataset
 * of the 580 shared photos (`faces_227.npz`, 88 MB, in the page cache): reading its members
 * with every CRC-32 checked took 40–84 ms, the old unchecked `unzipSync` (which copied every
 * member) 143–227 ms, and `readFile` of the archive itself 165–413 ms. The check runs at
 * memory speed (Node's native `zlib.crc32`), so checking costs less than the copy it replaced.
 */
import { inflateSync } from 'fflate';
import { FileFormatError } from '../errors.js';
import { crc32 } from './crc32.js';

const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_END_LOCATOR = 0x07064b50;
const ZIP64_END = 0x06064b50;
const CENTRAL_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const ZIP64_EXTRA = 0x0001;
const FULL32 = 0xffffffff;

/**
 * The members of the zip archive `bytes`, by name, each checked against its CRC-32. `source`
 * names the archive in errors: a `FileFormatError` for anything that is not a readable zip
 * ("not a readable .npz archive (…)") or a member whose bytes fail their CRC-32.
 */
export function readZipMembers(bytes: Uint8Array, source: string): Map<string, Uint8Array> {
  const unreadable = (why: string): FileFormatError =>
    new FileFormatError(source, `not a readable .npz archive (${why})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number): number => view.getUint16(at, true);
  const u32 = (at: number): number => view.getUint32(at, true);
  const u64 = (at: number): number => Number(view.getBigUint64(at, true));
  const inside = (at: number, length: number): boolean =>
    at >= 0 && length >= 0 && at + length <= bytes.length;

  // The end record is the last 22 bytes, unless a comment (at most 64 KiB) follows it.
  let end = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
    if (u32(at) === END_OF_DIRECTORY) {
      end = at;
      break;
    }
  }
  if (end < 0) throw unreadable('no end of central directory');
  let entries = u16(end + 10);
  let directoryOffset = u32(end + 16);
  if (
    (entries === 0xffff || directoryOffset === FULL32) &&
    end >= 20 &&
    u32(end - 20) === ZIP64_END_LOCATOR
  ) {
    const at = u64(end - 12);
    if (!inside(at, 56) || u32(at) !== ZIP64_END) throw unreadable('bad Zip64 end record');
    entries = u64(at + 32);
    directoryOffset = u64(at + 48);
  }

  const members = new Map<string, Uint8Array>();
  const decoder = new TextDecoder();
  let at = directoryOffset;
  for (let i = 0; i < entries; i++) {
    if (!inside(at, 46) || u32(at) !== CENTRAL_ENTRY) throw unreadable(`bad central directory entry ${i}`);
    const flags = u16(at + 8);
    const method = u16(at + 10);
    const crc = u32(at + 16);
    let packed = u32(at + 20);
    let size = u32(at + 24);
    const nameLength = u16(at + 28);
    const extraLength = u16(at + 30);
    const commentLength = u16(at + 32);
    let local = u32(at + 42);
    if (!inside(at + 46, nameLength + extraLength + commentLength)) throw unreadable('truncated directory');
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    // Zip64: the 64-bit values follow in this order, each only where its field is all ones.
    for (let e = at + 46 + nameLength; e + 4 <= at + 46 + nameLength + extraLength; ) {
      const id = u16(e);
      const length = u16(e + 2);
      if (id === ZIP64_EXTRA) {
        let field = e + 4;
        const next = (): number => {
          const value = field + 8 <= e + 4 + length ? u64(field) : FULL32;
          field += 8;
          return value;
        };
        if (size === FULL32) size = next();
        if (packed === FULL32) packed = next();
        if (local === FULL32) local = next();
      }
      e += 4 + length;
    }
    at += 46 + nameLength + extraLength + commentLength;

    if (flags & 1) throw unreadable(`member ${name} is encrypted`);
    if (!inside(local, 30) || u32(local) !== LOCAL_HEADER) throw unreadable(`bad local header of ${name}`);
    const start = local + 30 + u16(local + 26) + u16(local + 28);
    if (!inside(start, packed)) throw unreadable(`member ${name} is truncated`);
    const raw = bytes.subarray(start, start + packed);
    let data: Uint8Array;
    if (method === 0) {
      data = raw;
    } else if (method === 8) {
      // Deflate expands at most about 1032:1: a header claiming more lies, and is not allocated.
      if (size > packed * 1032 + 1024) {
        throw new FileFormatError(source, `member ${name} claims ${size} bytes from ${packed} compressed`);
      }
      try {
        data = inflateSync(raw, { out: new Uint8Array(size) });
      } catch (error) {
        throw new FileFormatError(source, `member ${name} does not inflate (${(error as Error).message})`);
      }
    } else {
      throw unreadable(`member ${name} uses compression method ${method}`);
    }
    if (data.length !== size) {
      throw new FileFormatError(source, `member ${name} has ${data.length} bytes, its header says ${size}`);
    }
    const actual = crc32(data);
    if (actual !== crc) {
      throw new FileFormatError(
        source,
        `member ${name} fails its CRC-32 check (stored ${hex(crc)}, computed ${hex(actual)}): the file is damaged`,
      );
    }
    members.set(name, data);
  }
  return members;
}

function hex(value: number): string {
  return value.toString(16).padStart(8, '0');
}
