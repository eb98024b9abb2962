/**
 * Locks on shared folders (a download cache): a file holding the owner's process id, put in
 * place by a hard link (which fails when the file exists and never shows half a file), as the
 * run folder's lock does. A lock whose process is gone (a killed run) is taken over.
 *
 * Unlike the run lock, these locks WAIT for a live owner instead of refusing: two downloads
 * into one cache are both wanted, and the second, once the first is done, reuses every photo
 * the first verified (the lists often overlap) and merges its records with the first's.
 */
import { rmSync } from 'node:fs';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FacelabError } from '../errors.js';
import { isProcessAlive, tempPathFor } from './atomic-file.js';

/** A held lock; `release()` removes it. */
export interface FolderLock {
  /** The lock file. */
  readonly path: string;
  release(): Promise<void>;
}

/** Options of `acquireLock`. */
export interface LockOptions {
  /** Milliseconds between looks at a busy lock. Default 100. */
  pollMs?: number;
  /** Stops waiting: `acquireLock` then resolves to undefined. Default: wait as long as it takes. */
  signal?: AbortSignal;
  /** Called once, when the lock is found busy, with the owner's process id. Default: nothing. */
  onWait?: (owner: number) => void;
}

/**
 * Lock files held by this process. A lock file naming this process's own id is only held when
 * it is in here: otherwise it was left by a killed process that had the same id (process ids
 * restart low in every container), and it is stale. Two downloads in one process (a library
 * user's) then also wait for each other.
 */
const heldHere = new Set<string>();

/**
 * Takes the lock at `path`, waiting while a live process holds it. Resolves to undefined when
 * `options.signal` stops the wait.
 */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<FolderLock | undefined> {
  await mkdir(dirname(path), { recursive: true });
  let waited = false;
  for (;;) {
    if (options.signal?.aborted) return undefined;
    if (!heldHere.has(path)) {
      if (await tryLink(path)) return held(path);
      const owner = await ownerOf(path);
      if (owner === 'gone') continue; // released meanwhile
      if (owner === 'stale') {
        await rm(path, { force: true }); // its process is gone
        continue;
      }
      if (!waited) options.onWait?.(owner);
    } else if (!waited) {
      options.onWait?.(process.pid);
    }
    waited = true;
    await sleep(options.pollMs ?? 100, undefined, options.signal ? { signal: options.signal } : {}).catch(
      () => undefined,
    );
  }
}

/**
 * Puts a lock file naming this process at `path`; false when one is there. The temp file lives
 * only for this attempt: a waiting process leaves none that a running download (which removes
 * stale temps) could take for its own.
 */
async function tryLink(path: string): Promise<boolean> {
  const temp = tempPathFor(path);
  await writeFile(temp, `${process.pid}\n`);
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  } finally {
    await rm(temp, { force: true });
  }
}

/** Runs `task` holding the lock at `path` (waiting for it), then releases it. */
export async function withLock<T>(
  path: string,
  task: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const lock = await acquireLock(path, options);
  if (!lock) throw new FacelabError(`stopped while waiting for the lock ${path}`);
  try {
    return await task();
  } finally {
    await lock.release();
  }
}

/** The live process holding the lock file; 'stale' when that process is gone, 'gone' when the file is. */
async function ownerOf(path: string): Promise<number | 'stale' | 'gone'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  const owner = Number(text.trim());
  if (!Number.isInteger(owner) || owner <= 0) return 'stale';
  if (owner === process.pid) return heldHere.has(path) ? owner : 'stale';
  return isProcessAlive(owner) ? owner : 'stale';
}

function held(path: string): FolderLock {
  heldHere.add(path);
  // Also released when the process exits early (e.g. a second Ctrl-C); a kill leaves a stale
  // lock, which the next process takes over.
  const onExit = (): void => rmSync(path, { force: true });
  process.once('exit', onExit);
  return {
    path,
    release: async () => {
      process.off('exit', onExit);
      heldHere.delete(path);
      await rm(path, { force: true });
    },
  };
}
