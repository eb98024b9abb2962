/**
 * One facelab command at a time per output folder (`train`, `grid`, `prepare`, `transfer --out`):
 * each file is written whole (temp file, then rename), but two commands writing one folder would
 * leave a mix of both — a model from one run beside the metrics of another. The second command
 * is refused, naming the process that holds the folder; a lock left by a killed command is taken
 * over (the run folder's lock, `run-lock.ts`).
 */
import { join, resolve } from 'node:path';
import { acquireRunLock, type RunLock } from './run-lock.js';

/** The lock file inside an output folder. */
export const OUTPUT_LOCK = '.facelab.lock';

/** Takes `folder`'s output lock (creating the folder); throws `UserError` when another command holds it. */
export function lockOutputFolder(folder: string): Promise<RunLock> {
  return acquireRunLock(join(folder, OUTPUT_LOCK), resolve(folder), 'facelab command');
}
