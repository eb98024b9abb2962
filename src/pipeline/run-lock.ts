/**
 * One `facelab run` per run folder at a time (and one command per output folder: `train`,
 * `grid`, `prepare`, `transfer`): two writing the same folder would interleave their files. The lock is a file holding the owner's process id, put in place by a hard link
 * (which fails when the file exists, and never shows a half-written file); a lock whose process
 * is gone (a killed run) is taken over.
 */
import { rmSync } from 'node:fs';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isProcessAlive, tempPathFor } from '../data/atomic-file.js';
import { UserError } from '../errors.js';

/** A held lock; `release()` removes it. */
export interface RunLock {
  release(): Promise<void>;
}

/**
 * Takes the lock at `path`, or throws a `UserError` naming `folder` and the live process holding
 * it, "another `holder`" (default 'facelab run').
 */
export async function acquireRunLock(path: string, folder: string, holder = 'facelab run'): Promise<RunLock> {
  await mkdir(dirname(path), { recursive: true });
  const temp = tempPathFor(path);
  await writeFile(temp, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await link(temp, path);
        // Also released when the process exits early (e.g. a second Ctrl-C); a kill leaves a
        // stale lock, which the next run takes over.
        const onExit = (): void => rmSync(path, { force: true });
        process.once('exit', onExit);
        return {
          release: async () => {
            process.off('exit', onExit);
            await rm(path, { force: true });
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      await takeOverIfStale(path, folder, holder);
    }
  } finally {
    await rm(temp, { force: true });
  }
  throw new UserError(`cannot take the lock ${path}: other runs keep taking it`);
}

async function takeOverIfStale(path: string, folder: string, holder: string): Promise<void> {
  const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isProcessAlive(owner)) {
    throw new UserError(
      `${folder} is in use by another ${holder} (process ${owner}); wait for it or stop it`,
    );
  }
  await rm(path, { force: true });
}
