/**
 * Data-pipeline benchmark: `prepare` of the 580 shared photos (six actors) at 32 px and at
 * 32 + 227 px, from a cache of symlinks to the shared originals (no download), against the
 * reference study's PyTorch/PIL loader (`load_faces` in ../shared/bench/peer_seed.py) at 32 and
 * at 227 px on the same machine. Each timing is the median of RUNS interleaved runs, and the
 * load average is printed before and after: other work on the machine skews both tools.
 * Target (issue 2): facelab with both sizes at least 3× faster than the reference's 32 px load.
 *
 * Run: npm run bench:data   (prints a table, then one JSON line per measurement and one for
 * the ratios). Needs /usr/bin/python3 with python3-torch, python3-pil and python3-numpy for the
 * reference; without them only facelab's numbers are printed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { prepareDataset } from '../src/data/prepare.js';
import { makeFakeCache } from '../test/helpers/fake-cache.js';
import { pythonMissing, runPython } from '../test/helpers/python.js';
import { facescrubDir, facescrubList, SIX_ACTORS, sharedDir } from '../test/helpers/shared.js';

const RUNS = 3;
const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const round = (seconds: number): number => Math.round(seconds * 1000) / 1000;

const missing = pythonMissing('numpy', 'PIL', 'torch');
const REFERENCE = `
import sys, json, time
sys.path.insert(0, sys.argv[1])
from peer_seed import load_faces
out = {}
for side in (32, 227):
    t = time.time(); faces = load_faces(sys.argv[2], side)
    out[side] = {'seconds': time.time() - t, 'photos': sum(len(v) for v in faces.values())}
print(json.dumps(out))
`;

console.log(
  `load average before: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} on ${availableParallelism()} cores`,
);
const cache = await makeFakeCache();
const outRoot = await mkdtemp(join(tmpdir(), 'facelab-bench-data-'));
const times: Record<string, number[]> = { '32': [], '32+227': [], 'reference 32': [], 'reference 227': [] };
let photos = 0;
let referencePhotos = 0;
try {
  // Runs are interleaved so that a change in machine load hits both tools alike.
  for (let run = 0; run < RUNS; run++) {
    for (const sizes of [[32], [32, 227]]) {
      const started = performance.now();
      const result = await prepareDataset({
        list: facescrubList,
        actors: SIX_ACTORS,
        cacheDir: cache.dir,
        outDir: join(outRoot, sizes.join('-')),
        sizes,
      });
      times[sizes.join('+')]!.push((performance.now() - started) / 1000);
      photos = result.photos;
    }
    if (!missing) {
      const reference = JSON.parse(
        runPython(REFERENCE, { args: [resolve(sharedDir, 'bench'), facescrubDir] }).toString(),
      ) as Record<string, { seconds: number; photos: number }>;
      times['reference 32']!.push(reference['32']!.seconds);
      times['reference 227']!.push(reference['227']!.seconds);
      referencePhotos = reference['32']!.photos;
    }
  }
} finally {
  await cache.cleanup();
  await rm(outRoot, { recursive: true, force: true });
}

const show = (key: string, what: string, n: number): void => {
  const values = times[key]!;
  console.log(
    `${key.padEnd(14)} px: ${median(values).toFixed(2)} s median of [${values.map((t) => t.toFixed(2)).join(', ')}] for ${n} photos (${what})`,
  );
};
const lines: Record<string, unknown>[] = [];
for (const sizes of ['32', '32+227']) {
  show(sizes, 'facelab prepare: crop, split, write .npz', photos);
  lines.push({ bench: 'prepare', tool: 'facelab', sizes, photos, seconds: round(median(times[sizes]!)) });
}
if (missing) {
  console.log(
    `reference loader not run: ${missing} (apt-get install python3-torch python3-pil python3-numpy)`,
  );
} else {
  const pil32 = median(times['reference 32']!);
  const pil227 = median(times['reference 227']!);
  show('reference 32', 'peer_seed.load_faces: hash, decode, crop, resize', referencePhotos);
  show('reference 227', 'peer_seed.load_faces', referencePhotos);
  lines.push({
    bench: 'prepare',
    tool: 'peer_seed.load_faces',
    sizes: '32',
    photos: referencePhotos,
    seconds: round(pil32),
  });
  lines.push({
    bench: 'prepare',
    tool: 'peer_seed.load_faces',
    sizes: '227',
    photos: referencePhotos,
    seconds: round(pil227),
  });
  const both = median(times['32+227']!);
  const target = pil32 / both;
  console.log(
    `ratio reference 32 px / facelab 32+227 px: ${target.toFixed(2)}× (target ≥ 3×) ${target >= 3 ? 'PASS' : 'FAIL'}`,
  );
  console.log(
    `ratio reference 32 px / facelab 32 px: ${(pil32 / median(times['32']!)).toFixed(2)}× (same work)`,
  );
  console.log(
    `ratio reference 32+227 px / facelab 32+227 px: ${((pil32 + pil227) / both).toFixed(2)}× (same work)`,
  );
  lines.push({
    bench: 'prepare-ratio',
    reference32OverFacelabBoth: Math.round(target * 100) / 100,
    reference32OverFacelab32: Math.round((pil32 / median(times['32']!)) * 100) / 100,
    referenceBothOverFacelabBoth: Math.round(((pil32 + pil227) / both) * 100) / 100,
    target: 3,
  });
}
console.log(
  `load average after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const line of lines) console.log(JSON.stringify(line));
