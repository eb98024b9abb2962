/**
 * Crash-safe file writes: data goes to a temp file in the same folder, is flushed, then renamed
 * over the target, so a reader (or a re-run after a kill) sees the old file or the new one,
 * never half of one.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A temp path beside `target` (same folder, so the rename is atomic). */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * A file-system error about `temp` restated about `target`: the temp file is an implementation
 * detail, and a message naming `.manifest.json.4242.1a2b3c4d.tmp` helps no user. The error's
 * `code` stays, so the CLI still reports a path problem as one line (exit 2). Other errors are
 * returned unchanged.
 */
export function aboutTarget(error: unknown, temp: string, target: string): unknown {
  const failure = error as NodeJS.ErrnoException & { dest?: string };
  if (!(error instanceof Error) || (failure.path !== temp && failure.dest !== temp)) return error;
  // "EISDIR: illegal operation on a directory, rename '<temp>' -> '<target>'" keeps its first part.
  failure.message = `${failure.message.split(',')[0]}, cannot write ${target}`;
  failure.path = target;
  delete failure.dest;
  return failure;
}

/**
 * Writes `data` to `target` atomically (temp file, fsync, rename). Creates the folder. A
 * failure names `target`, never the temp file (see `aboutTarget`).
 */
export async function writeFileAtomic(target: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const temp = tempPathFor(target);
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw aboutTarget(error, temp, target);
  }
}

/** Writes `value` as pretty JSON atomically. */
export async function writeJsonAtomic(target: string, value: unknown): Promise<void> {
  await writeFileAtomic(target, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * True when a process with this id exists (signal 0 probes without signalling). A process of
 * another user (EPERM) counts as alive: its temp files and locks must be spared too.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
