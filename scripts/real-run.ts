/**
 * `facelab run` on the real FaceScrub photos of ../shared/facescrub, the six actors of the
 * reference study, through a loopback mirror that serves each photo at its original URL's path
 * (404 for the dead links): the real list, real downloads, real hashes, offline.
 *
 * Run: node --import tsx scripts/real-run.ts [OUT]   (default OUT: runs/six; extra flags after
 * OUT go to facelab run, e.g. `--epochs 20,100 --json`).
 */
import { spawn } from 'node:child_process';
import { readFaceList } from '../src/data/face-list.js';
import { startMirror } from '../test/helpers/mirror-server.js';
import { facescrubImages, facescrubList, repoRoot, SIX_ACTORS } from '../test/helpers/shared.js';

const [out = 'runs/six', ...extra] = process.argv.slice(2);
const { lines } = await readFaceList(facescrubList, { actors: SIX_ACTORS });
const mirror = await startMirror({ lines, imagesDir: facescrubImages });
console.error(`mirror of ${facescrubImages} at ${mirror.url}`);
const args = [
  '--subset',
  facescrubList,
  '--actors',
  SIX_ACTORS.join(','),
  '--mirror',
  mirror.url,
  '--out',
  out,
];
const child = spawn(
  process.execPath,
  ['--import', 'tsx', 'test/helpers/cli-entry.ts', 'run', ...args, ...extra],
  {
    cwd: repoRoot,
    stdio: 'inherit',
  },
);
const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
await mirror.close();
process.exitCode = code;
