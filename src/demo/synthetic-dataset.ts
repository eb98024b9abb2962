/**
 * The dataset of `facelab demo`: a synthetic, deterministic stand-in for FaceScrub. Six made-up
 * people (see `synthetic-people.ts`) are photographed `photosPerPerson` times each; the photos
 * are written as JPEG and PNG "originals", and a list in FaceScrub format names them by fake
 * URLs (hosts under the reserved `.example` domain) with their real face boxes and SHA-256.
 * A few lines are broken on purpose, as in real lists (see `demo-list.ts`): a deleted photo (404), a host that
 * corrupts bytes (hash mismatch), an HTML page served as a JPEG, a line with missing fields,
 * and a last line truncated mid-URL. One photo is listed twice, as real lists do.
 *
 * The folder is built beside `outDir` and renamed into place when complete, so `outDir` is
 * either absent, a previous complete dataset, or the new complete dataset. An existing dataset
 * made with the same options is reused as it is.
 *
 * Folder layout:
 *   faces_demo.txt          the list
 *   photos/<slug>/<n>.<ext> the originals
 *   routes.json             mirror path → { file?, fault? }, for `startPhotoServer`
 *   people.json             the people's traits
 *   demo-dataset.json       options and counts; written last, marks the folder complete
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { isProcessAlive } from '../data/atomic-file.js';
import { InvalidOptionError, UserError } from '../errors.js';
import type { OnProgress } from '../progress.js';
import { deriveSeed } from '../random.js';
import { positiveInteger } from '../validate.js';
import { composeDemoList, type ListedPhoto } from './demo-list.js';
import type { PhotoRoute } from './photo-server.js';
import { type PersonTraits, syntheticPeople } from './synthetic-people.js';
import { renderSyntheticPhoto } from './synthetic-photo.js';

/** Bumped whenever the drawing or the list layout changes, so stale datasets are rebuilt. */
export const DEMO_DATASET_VERSION = 1;

/** Default number of good photos per person. */
export const DEFAULT_PHOTOS_PER_PERSON = 50;

/** Options of `generateDemoDataset`. */
export interface DemoDatasetOptions {
  /** The dataset folder (created; replaced when it holds a demo dataset made with other options). */
  outDir: string;
  /** Seed of the people and every photo. Default 1. */
  seed?: number;
  /** Good photos per person, 1–1000. Default 50. */
  photosPerPerson?: number;
  /** Photos rendered at once. Default: the number of cores, at least 2. */
  concurrency?: number;
  onProgress?: OnProgress;
}

/** The generated dataset. */
export interface DemoDataset {
  /** The FaceScrub-format list (`faces_demo.txt`). */
  listFile: string;
  /** Folder of the originals; route files are relative to it. */
  imagesDir: string;
  /** `routes.json`, the table for `startPhotoServer` (see `readPhotoRoutes`). */
  routesFile: string;
  /** The same routes, by mirror path. */
  routes: Map<string, PhotoRoute>;
  /** The synthetic people's names, in list order. */
  people: string[];
  /** Non-empty lines in the list. */
  lines: number;
  /** Lines broken on purpose (404, corrupted bytes, HTML, missing fields, truncated). */
  broken: number;
  /** Lines that repeat another line's photo. */
  duplicates: number;
  /** Good photos (distinct files with a correct line). */
  photos: number;
  /** True when an existing complete dataset with the same options was reused. */
  reused: boolean;
}

interface Marker {
  version: number;
  seed: number;
  photosPerPerson: number;
  people: string[];
  lines: number;
  broken: number;
  duplicates: number;
  photos: number;
  note: string;
}

const LIST_NAME = 'faces_demo.txt';
const MARKER_NAME = 'demo-dataset.json';

/**
 * Generates (or reuses) the demo dataset.
 *
 * @example
 * const demo = await generateDemoDataset({ outDir: 'demo-out/dataset' });
 * const server = await startPhotoServer({ imagesDir: demo.imagesDir, routes: demo.routes });
 */
export async function generateDemoDataset(options: DemoDatasetOptions): Promise<DemoDataset> {
  const seed = options.seed ?? 1;
  const perPerson = options.photosPerPerson ?? DEFAULT_PHOTOS_PER_PERSON;
  if (!Number.isSafeInteger(seed)) throw new InvalidOptionError('seed', 'a safe integer', seed);
  if (!Number.isInteger(perPerson) || perPerson < 1 || perPerson > 1000) {
    throw new InvalidOptionError('photosPerPerson', 'an integer from 1 to 1000', perPerson);
  }
  const concurrency = options.concurrency ?? Math.max(2, availableParallelism());
  positiveInteger('concurrency', concurrency);
  const outDir = resolve(options.outDir);
  const existing = await readMarker(outDir);
  if (
    existing?.version === DEMO_DATASET_VERSION &&
    existing.seed === seed &&
    existing.photosPerPerson === perPerson
  ) {
    return result(outDir, existing, true);
  }
  if (existing === undefined && (await isNonEmptyDir(outDir))) {
    throw new UserError(`${outDir} exists and is not a facelab demo dataset; choose another folder`);
  }

  await removeStaleTemps(outDir);
  const temp = join(
    dirname(outDir),
    `.${basename(outDir)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  try {
    const marker = await build(temp, seed, perPerson, concurrency, options.onProgress);
    await replaceDir(temp, outDir);
    return result(outDir, marker, false);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/** One photo to render: whose, and its number. */
interface Job {
  person: PersonTraits;
  n: number;
}

async function build(
  dir: string,
  seed: number,
  perPerson: number,
  concurrency: number,
  onProgress: OnProgress | undefined,
): Promise<Marker> {
  const people = syntheticPeople({ seed });
  const jobs: Job[] = people.flatMap((person) =>
    Array.from({ length: perPerson }, (_, n) => ({ person, n: n + 1 })),
  );
  // One more photo of the second person, for the line whose bytes the server corrupts.
  jobs.push({ person: people[1]!, n: perPerson + 1 });
  const listed: ListedPhoto[] = new Array(jobs.length);
  onProgress?.({ kind: 'start', task: 'demo-dataset', total: jobs.length });
  let done = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const index = next++;
      const { person, n } = jobs[index]!;
      const photo = await renderSyntheticPhoto(person, { seed: deriveSeed(seed, `${person.slug}/${n}`) });
      const file = `${person.slug}/${String(n).padStart(3, '0')}.${photo.ext}`;
      await mkdir(join(dir, 'photos', person.slug), { recursive: true });
      await writeFile(join(dir, 'photos', file), photo.bytes);
      const sha256 = createHash('sha256').update(photo.bytes).digest('hex');
      listed[index] = { file, ext: photo.ext, box: photo.box, sha256 };
      onProgress?.({ kind: 'advance', task: 'demo-dataset', done: ++done, total: jobs.length });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));

  const list = composeDemoList({
    people,
    photos: people.map((_, p) => listed.slice(p * perPerson, (p + 1) * perPerson)),
    spare: listed[jobs.length - 1]!,
    seed,
  });
  const marker: Marker = {
    version: DEMO_DATASET_VERSION,
    seed,
    photosPerPerson: perPerson,
    people: people.map((p) => p.name),
    lines: list.lines,
    broken: list.broken,
    duplicates: list.duplicates,
    photos: perPerson * people.length,
    note: 'The people in this dataset are synthetic: cartoon faces drawn from a seed, not real persons.',
  };
  await writeFile(join(dir, LIST_NAME), list.text);
  await writeFile(join(dir, 'routes.json'), `${JSON.stringify(list.routes, null, 1)}\n`);
  await writeFile(join(dir, 'people.json'), `${JSON.stringify({ note: marker.note, people }, null, 1)}\n`);
  await writeFile(join(dir, MARKER_NAME), `${JSON.stringify(marker, null, 1)}\n`);
  onProgress?.({ kind: 'done', task: 'demo-dataset' });
  return marker;
}

async function result(outDir: string, marker: Marker, reused: boolean): Promise<DemoDataset> {
  const routesFile = join(outDir, 'routes.json');
  const routes = new Map(
    Object.entries(JSON.parse(await readFile(routesFile, 'utf8')) as Record<string, PhotoRoute>),
  );
  return {
    listFile: join(outDir, LIST_NAME),
    imagesDir: join(outDir, 'photos'),
    routesFile,
    routes,
    people: marker.people,
    lines: marker.lines,
    broken: marker.broken,
    duplicates: marker.duplicates,
    photos: marker.photos,
    reused,
  };
}

async function readMarker(outDir: string): Promise<Marker | undefined> {
  try {
    return JSON.parse(await readFile(join(outDir, MARKER_NAME), 'utf8')) as Marker;
  } catch {
    return undefined;
  }
}

async function isNonEmptyDir(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isDirectory()) return true;
    return (await readdir(path)).length > 0;
  } catch {
    return false;
  }
}

/**
 * Removes the temp folders (`.<name>.<pid>.<hex>.tmp`, and `….tmp.old`) that a killed earlier
 * run left beside `outDir`, when the process that made them is gone.
 */
async function removeStaleTemps(outDir: string): Promise<void> {
  const prefix = `.${basename(outDir)}.`;
  let names: string[];
  try {
    names = await readdir(dirname(outDir));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const match = /^(\d+)\.[0-9a-f]{8}\.tmp(\.old)?$/.exec(name.slice(prefix.length));
    const pid = Number(match?.[1]);
    if (!match || pid === process.pid || isProcessAlive(pid)) continue;
    await rm(join(dirname(outDir), name), { recursive: true, force: true });
  }
}

/** Moves `from` to `to`, replacing a previous `to` (which a rename cannot overwrite when non-empty). */
async function replaceDir(from: string, to: string): Promise<void> {
  const old = `${from}.old`;
  let moved = false;
  try {
    await rename(to, old);
    moved = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await rename(from, to);
  if (moved) await rm(old, { recursive: true, force: true });
}
