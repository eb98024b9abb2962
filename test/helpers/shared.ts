/** Locations of the shared real data used by tests and benchmarks (never copied into the repo). */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `../shared` beside the checkout, or `$FACELAB_SHARED`. */
export const sharedDir = process.env.FACELAB_SHARED ?? resolve(repoRoot, '..', 'shared');

/** The shared FaceScrub sample: `faces_subset.txt` and `images/<sha256>.<ext>`. */
export const facescrubDir = join(sharedDir, 'facescrub');
export const facescrubList = join(facescrubDir, 'faces_subset.txt');
export const facescrubImages = join(facescrubDir, 'images');

/** The six actors of the reference study. */
export const SIX_ACTORS = [
  'Lorraine Bracco',
  'Peri Gilpin',
  'Angie Harmon',
  'Alec Baldwin',
  'Bill Hader',
  'Steve Carell',
] as const;

if (!existsSync(facescrubList)) {
  throw new Error(
    `tests need the shared FaceScrub sample at ${facescrubDir} (set FACELAB_SHARED to its parent)`,
  );
}
