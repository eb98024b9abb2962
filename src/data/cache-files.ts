/**
 * The files of a download cache's `photos/` folder: hashing them, finding the cached photos by
 * name, and removing the temp files killed runs left (sparing those of live processes).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isProcessAlive } from './atomic-file.js';
import { IMAGE_EXTENSIONS } from './image-sniff.js';

/** SHA-256 (hex) of a file, streamed. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const PHOTO_NAME = new RegExp(`^([0-9a-f]{64})\\.(${Object.values(IMAGE_EXTENSIONS).join('|')})$`);

/** Cached photos by SHA-256 (file names only; their content is checked when used). */
export async function scanPhotos(dir: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const name of await readdir(dir)) {
    const match = PHOTO_NAME.exec(name);
    if (match && !found.has(match[1]!)) found.set(match[1]!, name);
  }
  return found;
}

/**
 * Removes `.*.tmp` files (see `tempPathFor`) left by killed runs. A temp file never counts as a
 * photo; this only reclaims space. Files of a process that is still alive are left alone.
 */
export async function removeStaleTemps(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (!name.startsWith('.') || !name.endsWith('.tmp')) continue;
    const pid = Number(/\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid !== process.pid && isProcessAlive(pid)) continue;
    await rm(join(dir, name), { force: true });
  }
}
