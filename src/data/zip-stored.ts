/**
 * A zip archive of stored (uncompressed) members, written straight to a temp file beside its
 * target and renamed into place when closed, so a reader never sees half an archive.
 *
 * Members are appended whole (`append`), or reserved with a known size and filled row by row
 * at any position (`reserveRows`): `prepare` writes each face crop to its dataset row as soon
 * as it is made, instead of holding every crop in memory and copying them into one array
 * first. Each row's CRC-32 is kept, and the member's CRC is combined from them on `close`.
 *
 * The bytes equal fflate's `zipSync` at level 0 with a fixed 1980-01-01 member date, which
 * `numpy.load` reads. Without Zip64 an archive stops at 4 GiB; larger ones are refused before
 * anything is written.
 */
import { readSync, writeSync } from 'node:fs';
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FacelabError, FileFormatError, InvalidOptionError } from '../errors.js';
import { aboutTarget, tempPathFor } from './atomic-file.js';
import { crc32, crc32Combine } from './crc32.js';

// The zip format without its Zip64 extension stops at 4 GiB.
const ZIP32_LIMIT = 0xffffffff;

/** A member reserved by `reserveRows`: its rows are written and read back by index. */
export interface RowMember {
  /** Rows in the member. */
  readonly rows: number;
  /** Bytes per row. */
  readonly rowBytes: number;
  /** Writes row `index` (exactly `rowBytes` bytes). Synchronous: `bytes` may be reused at once. */
  writeRow(index: number, bytes: Uint8Array): void;
  /**
   * Reads row `index` back into `into` (`rowBytes` bytes); it must have been written. The bytes
   * read are checked against the CRC-32 of the bytes written (a `FileFormatError` naming the
   * archive and member otherwise).
   */
  readRow(index: number, into: Uint8Array): void;
}

interface Reserved {
  member: RowMember;
  headCrc: number;
  rowCrcs: Float64Array;
  written: Uint8Array;
  localOffset: number;
  centralIndex: number;
}

/** Writes one stored zip archive; see the module comment. */
export class StoredZipWriter {
  private offset = 0;
  private readonly central: Buffer[] = [];
  private readonly reserved: Reserved[] = [];

  private constructor(
    private readonly target: string,
    private readonly temp: string,
    private readonly handle: FileHandle,
  ) {}

  /** Starts an archive that `close` will move to `target` (the folder is created). */
  static async create(target: string): Promise<StoredZipWriter> {
    await mkdir(dirname(target), { recursive: true });
    const temp = tempPathFor(target);
    try {
      return new StoredZipWriter(target, temp, await open(temp, 'w+'));
    } catch (error) {
      throw aboutTarget(error, temp, target); // (a message names the archive, not its temp file)
    }
  }

  /** Appends a member whose bytes are `parts` joined. */
  async append(name: string, parts: readonly Uint8Array[]): Promise<void> {
    let size = 0;
    let crc = 0;
    for (const part of parts) {
      size += part.length;
      crc = crc32(part, crc);
    }
    const { local, central } = storedHeaders(name, size, crc, this.grow(name, size));
    this.central.push(central);
    await writeParts(this.handle, [local, ...parts], this.offset);
    this.offset += local.length + size;
  }

  /**
   * Writes `head` and reserves `rows` rows of `rowBytes` bytes after it as one member; the rows
   * are written with the returned member's `writeRow`, every one before `close`.
   */
  async reserveRows(name: string, head: Uint8Array, rows: number, rowBytes: number): Promise<RowMember> {
    const size = head.length + rows * rowBytes;
    const localOffset = this.grow(name, size);
    const { local, central } = storedHeaders(name, size, 0, localOffset);
    const start = localOffset + local.length + head.length;
    const fd = this.handle.fd;
    const target = this.target;
    const written = new Uint8Array(rows);
    const rowCrcs = new Float64Array(rows);
    const check = (index: number, bytes: Uint8Array): void => {
      if (!Number.isInteger(index) || index < 0 || index >= rows || bytes.length !== rowBytes) {
        throw new InvalidOptionError(
          'row',
          `a row of ${rows} and ${rowBytes} bytes`,
          `row ${index} of ${rows}, ${bytes.length} of ${rowBytes} bytes`,
        );
      }
    };
    const member: RowMember = {
      rows,
      rowBytes,
      writeRow(index, bytes) {
        check(index, bytes);
        writeAll(fd, bytes, start + index * rowBytes);
        rowCrcs[index] = crc32(bytes);
        written[index] = 1;
      },
      readRow(index, into) {
        check(index, into);
        if (!written[index]) throw new FacelabError(`row ${index} of ${name} was never written`);
        // (The archive is named by its target: the temp file is an implementation detail.)
        if (readSync(fd, into, 0, rowBytes, start + index * rowBytes) !== rowBytes) {
          throw new FileFormatError(target, `short read of row ${index} of member ${name}`);
        }
        if (crc32(into) !== rowCrcs[index]) {
          throw new FileFormatError(
            target,
            `row ${index} of member ${name} fails its CRC-32 check when read back`,
          );
        }
      },
    };
    this.reserved.push({
      member,
      headCrc: crc32(head),
      rowCrcs,
      written,
      localOffset,
      centralIndex: this.central.length,
    });
    this.central.push(central);
    await writeParts(this.handle, [local, head], localOffset);
    this.offset += local.length + size;
    return member;
  }

  /**
   * Writes the central directory, patches the reserved members' CRCs, syncs and renames. On
   * any failure (a row never written, a full disk) the temp file is removed and the error
   * rethrown.
   */
  async close(): Promise<void> {
    try {
      await this.finish();
    } catch (error) {
      await this.abort();
      throw aboutTarget(error, this.temp, this.target);
    }
  }

  /** Drops the archive: the temp file is removed and the target left as it was. */
  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await rm(this.temp, { force: true });
  }

  private async finish(): Promise<void> {
    for (const { member, headCrc, rowCrcs, written, localOffset, centralIndex } of this.reserved) {
      const missing = written.indexOf(0);
      if (missing >= 0) throw new FacelabError(`row ${missing} of ${member.rows} was never written`);
      let crc = headCrc;
      for (const rowCrc of rowCrcs) crc = crc32Combine(crc, rowCrc, member.rowBytes);
      const bytes = Buffer.alloc(4);
      bytes.writeUInt32LE(crc, 0);
      this.central[centralIndex]!.writeUInt32LE(crc, 16);
      writeAll(this.handle.fd, bytes, localOffset + 14);
    }
    const directory = Buffer.concat(this.central);
    const end = endOfDirectory(this.central.length, directory.length, this.offset);
    await writeParts(this.handle, [directory, end], this.offset);
    await this.handle.sync();
    await this.handle.close();
    await rename(this.temp, this.target);
  }

  /** Checks that a member of `size` bytes still fits; returns its offset. */
  private grow(name: string, size: number): number {
    const end = this.offset + 30 + Buffer.byteLength(name) + size;
    if (end >= ZIP32_LIMIT) {
      throw new FileFormatError(this.target, `${end} bytes exceed the 4 GiB limit of zip without Zip64`);
    }
    return this.offset;
  }
}

/** Writes `parts` one after another from `position`; a write may take several calls (> 2 GiB). */
async function writeParts(handle: FileHandle, parts: readonly Uint8Array[], position: number): Promise<void> {
  for (const part of parts) {
    let done = 0;
    while (done < part.length) {
      done += (await handle.write(part, done, part.length - done, position + done)).bytesWritten;
    }
    position += part.length;
  }
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

/** The same date fflate writes for 1980-01-01 00:00, in MS-DOS format. */
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
