/**
 * Data-pipeline benchmark: `prepare` of the 580 shared photos (six actors) at 32 px and at
 * 32 + 227 px, from a cache of symlinks to the shared originals (no download), against the
 * reference study's PyTorch/PIL loader (`load_faces` in ../shared/bench/peer_seed.py) at 32 and
 * at 227 px on the same machine. Each timing is the median of RUNS runs.
 * Target (issue 2): facelab with both sizes at least 3× faster than the reference's 32 px load.
 *
 * Run: npm run bench:data   (prints a table, then one JSON line per measurement and one for
 * the ratios). Needs /usr/bin/python3 with python3-torch, python3-pil and python3-numpy for the
 * reference; without them only facelab's numbers are printed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { prepareDataset } from '../src/data/prepare.js';
import { makeFakeCache } from '../test/helpers/fake-cache.js';
import { pythonMissing, runPython } from '../test/helpers/python.js';
import { facescrubDir, facescrubList, SIX_ACTORS, sharedDir } from '../test/helpers/shared.js';

const RUNS = 3;
const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const round = (seconds: number): number => Math.round(seconds * 1000) / 1000;

const cache = await makeFakeCache();
const outRoot = await mkdtemp(join(tmpdir(), 'facelab-bench-data-'));
const facelab: Record<string, number> = {};
let photos = 0;
try {
  for (const sizes of [[32], [32, 227]]) {
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const started = performance.now();
      const result = await prepareDataset({
        list: facescrubList,
        actors: SIX_ACTORS,
        cacheDir: cache.dir,
        outDir: join(outRoot, sizes.join('-')),
        sizes,
      });
      times.push((performance.now() - started) / 1000);
      photos = result.photos;
    }
    facelab[sizes.join('+')] = median(times);
    console.log(
      `facelab prepare ${sizes.join('+').padEnd(6)} px: ${median(times).toFixed(2)} s median of ` +
        `[${times.map((t) => t.toFixed(2)).join(', ')}] for ${photos} photos (crop, split, write .npz)`,
    );
  }
} finally {
  await cache.cleanup();
  await rm(outRoot, { recursive: true, force: true });
}

const lines: Record<string, unknown>[] = [];
for (const [sizes, seconds] of Object.entries(facelab)) {
  lines.push({
    bench: 'prepare',
    tool: 'facelab',
    sizes,
    photos,
    seconds: round(seconds),
    cores: availableParallelism(),
  });
}

const missing = pythonMissing('numpy', 'PIL', 'torch');
if (missing) {
  console.log(
    `reference loader not run: ${missing} (apt-get install python3-torch python3-pil python3-numpy)`,
  );
} else {
  const reference = JSON.parse(
    runPython(
      `
import sys, json, time
sys.path.insert(0, sys.argv[1])
from peer_seed import load_faces
out = {}
for side in (32, 227):
    times = []
    for _ in range(int(sys.argv[3])):
        t = time.time(); faces = load_faces(sys.argv[2], side); times.append(time.time() - t)
    out[side] = {'times': times, 'photos': sum(len(v) for v in faces.values())}
print(json.dumps(out))
`,
      { args: [resolve(sharedDir, 'bench'), facescrubDir, String(RUNS)] },
    ).toString(),
  ) as Record<string, { times: number[]; photos: number }>;
  const pil32 = median(reference['32']!.times);
  const pil227 = median(reference['227']!.times);
  for (const side of ['32', '227']) {
    const { times, photos: n } = reference[side]!;
    console.log(
      `reference load_faces ${side.padEnd(3)} px: ${median(times).toFixed(2)} s median of ` +
        `[${times.map((t) => t.toFixed(2)).join(', ')}] for ${n} photos (hash, decode, crop, resize)`,
    );
    lines.push({
      bench: 'prepare',
      tool: 'peer_seed.load_faces',
      sizes: side,
      photos: n,
      seconds: round(median(times)),
    });
  }
  const both = facelab['32+227']!;
  const target = pil32 / both;
  console.log(
    `ratio reference 32 px / facelab 32+227 px: ${target.toFixed(2)}× (target ≥ 3×) ${target >= 3 ? 'PASS' : 'FAIL'}`,
  );
  console.log(
    `ratio reference 32 px / facelab 32 px:     ${(pil32 / facelab['32']!).toFixed(2)}× (same work)`,
  );
  console.log(
    `ratio reference 32+227 px / facelab 32+227 px: ${((pil32 + pil227) / both).toFixed(2)}× (same work)`,
  );
  lines.push({
    bench: 'prepare-ratio',
    reference32OverFacelabBoth: Math.round(target * 100) / 100,
    reference32OverFacelab32: Math.round((pil32 / facelab['32']!) * 100) / 100,
    referenceBothOverFacelabBoth: Math.round(((pil32 + pil227) / both) * 100) / 100,
    target: 3,
  });
}
for (const line of lines) console.log(JSON.stringify(line));
