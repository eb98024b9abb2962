/**
 * The whole folder pipeline's throughput: `prepareDataset({ photosDir })` on a folder per person
 * of the shared FaceScrub photos of the six seed actors (580 photos, whole and uncropped), in
 * photos/s. Everything a user's folder costs is timed: listing and hashing the files, decoding,
 * the SSD detector on every photo, 68 landmarks and the 150 px aligned crop, the 32 and 227 px
 * box crops, the split and the `.npz` files.
 *
 * Baseline measured in the same run: the same photos prepared from the FaceScrub list with its
 * listed boxes (a fake download cache), which skips detection and nothing else — the ratio is
 * what finding the faces costs. The detector alone (decode excluded) is `bench/detect.ts`.
 *
 * Run: node --import tsx bench/photos.ts [--per-person N]  (default all; with N the list
 * baseline is skipped, since the list has no per-person limit). A table, then JSON lines.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { prepareDataset } from '../src/data/prepare.js';
import { makeFakeCache } from '../test/helpers/fake-cache.js';
import { makePhotoFolder } from '../test/helpers/photo-folders.js';
import { facescrubList, SIX_ACTORS } from '../test/helpers/shared.js';

const { values } = parseArgs({ options: { 'per-person': { type: 'string' } } });
const perPerson = values['per-person'] === undefined ? undefined : Number(values['per-person']);
if (perPerson !== undefined && (!Number.isInteger(perPerson) || perPerson < 1)) {
  console.error(`bench/photos: --per-person must be a positive integer, got ${values['per-person']}`);
  process.exit(2);
}
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const round2 = (x: number): number => Math.round(x * 100) / 100;

console.log(`load average before: ${load()} on ${availableParallelism()} cores`);
const work = await mkdtemp(join(tmpdir(), 'facelab-bench-photos-'));
const lines: Record<string, unknown>[] = [];
try {
  const photosDir = join(work, 'photos');
  const { photos } = await makePhotoFolder(
    photosDir,
    SIX_ACTORS,
    perPerson === undefined ? {} : { perPerson },
  );

  const started = performance.now();
  const folder = await prepareDataset({ photosDir, outDir: join(work, 'data-folder') });
  const folderSeconds = (performance.now() - started) / 1000;
  const folderRate = photos / folderSeconds;
  console.log(
    `prepare --photos (detect + align + crop)   ${folderRate.toFixed(2).padStart(7)} photos/s  (${folderSeconds.toFixed(1)} s, ${photos} photos, ${folder.detected} detected, ${folder.leftOut.length} left out)`,
  );
  lines.push({
    bench: 'photos',
    source: 'folder',
    photos,
    detected: folder.detected,
    left_out: folder.leftOut.length,
    seconds: round2(folderSeconds),
    photos_per_s: round2(folderRate),
  });

  if (perPerson === undefined) {
    const cache = await makeFakeCache({ parent: work });
    const listStarted = performance.now();
    const list = await prepareDataset({
      list: facescrubList,
      actors: SIX_ACTORS,
      cacheDir: cache.dir,
      outDir: join(work, 'data-list'),
    });
    const listSeconds = (performance.now() - listStarted) / 1000;
    const listRate = list.photos / listSeconds;
    console.log(
      `prepare --subset (listed boxes + align)    ${listRate.toFixed(2).padStart(7)} photos/s  (${listSeconds.toFixed(1)} s, ${list.photos} photos)`,
    );
    const ratio = folderRate / listRate;
    console.log(`ratio folder / list: ${ratio.toFixed(2)}× photos/s (what finding every face costs)`);
    lines.push(
      {
        bench: 'photos',
        source: 'list',
        photos: list.photos,
        seconds: round2(listSeconds),
        photos_per_s: round2(listRate),
      },
      { bench: 'photos-ratio', folderOverList: round2(ratio) },
    );
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
console.log(`load average after: ${load()}`);
for (const line of lines) console.log(JSON.stringify(line));
