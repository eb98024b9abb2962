/**
 * `prepare`: from the photos `download` verified to the cached, split dataset.
 *
 *   list (+ --actors) → manifest → verified photos, one per SHA-256 (the first list line's box
 *   wins) → crops at every side → split per actor → faces_<side>.npz + split.json
 *
 * The crops go straight to their rows of the `.npz` files as they are made (`crop-datasets.ts`).
 *
 * A photo that cannot be cropped is recorded with its list line and reason and left out; it
 * never stops the job. All files are written atomically.
 */
import { availableParallelism } from 'node:os';
import { isAbsolute, relative, resolve } from 'node:path';
import { InvalidOptionError, UserError } from '../errors.js';
import type { OnProgress } from '../progress.js';
import { type CropFailureReason, DEFAULT_SIDES } from './crop.js';
import { cropToDatasets, type DatasetPhoto } from './crop-datasets.js';
import { type FaceLine, readFaceList } from './face-list.js';
import { type ManifestEntry, photosDir, readManifest, requireManifestRecords } from './manifest.js';
import { type DatasetSplit, SPLIT_NAMES, type SplitAssignment, type SplitSizes } from './split.js';
import {
  type CropFailureRecord,
  type SplitManifest,
  type SplitManifestPhoto,
  splitManifestPath,
  writeSplitManifest,
} from './split-manifest.js';

/** Largest crop side accepted: 1024 px crops of 1,000 photos already take 3 GB. */
export const MAX_SIDE = 1024;

/** Default cache folder, shared with `download`. */
export const DEFAULT_CACHE_DIR = '.facelab-cache';

/** Options of `prepareDataset`. */
export interface PrepareOptions {
  /** The FaceScrub list the cache was downloaded from (`--subset`). */
  list: string;
  /** Only these actors; default everyone in the list. */
  actors?: readonly string[];
  /** The download cache. Default `.facelab-cache`. */
  cacheDir?: string;
  /** Where the `.npz` files and `split.json` go. */
  outDir: string;
  /** Crop sides in pixels, each 1–1024 (repeats are ignored). Default `[32, 227]`. */
  sizes?: readonly number[];
  /** Seed of the split. Default 1. */
  seed?: number;
  /** Photos per actor in train / val / test. Default 70 / 20 / 20. */
  splitSizes?: SplitSizes;
  /**
   * Photos decoded at once. Default: twice the number of cores, at least 8, so libvips keeps
   * every core busy decoding while JavaScript resamples the previous photos.
   */
  concurrency?: number;
  /** Largest photo accepted, in pixels. Default 100,000,000 (see `cropFace`). */
  maxPixels?: number;
  onProgress?: OnProgress;
}

/** What `prepareDataset` did. */
export interface PrepareResult {
  /** Distinct photos cropped successfully (in a part of the split or unused). */
  photos: number;
  sizes: number[];
  /** Photos per part over all actors. */
  split: Record<SplitAssignment, number>;
  actors: string[];
  /** Photos per actor and part. */
  counts: Record<string, Record<SplitAssignment, number>>;
  /** Photos that failed to crop, with list line and reason. */
  failures: CropFailureRecord[];
  /** Failures counted by reason. */
  failed: Partial<Record<CropFailureReason, number>>;
  /** Selected list lines with no verified photo in the cache (never downloaded, or failed). */
  notDownloaded: number;
  /** Malformed list lines that were skipped. */
  listProblems: number;
  /** Files written. */
  files: string[];
}

/** Runs the whole `prepare` job. */
export async function prepareDataset(options: PrepareOptions): Promise<PrepareResult> {
  const cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;
  const sides = [...new Set(options.sizes ?? DEFAULT_SIDES)];
  if (sides.length === 0 || sides.some((side) => !Number.isInteger(side) || side < 1 || side > MAX_SIDE)) {
    throw new InvalidOptionError('--sizes', `crop sides from 1 to ${MAX_SIDE} px`, sides.join(','));
  }
  const seed = options.seed ?? 1;
  const onProgress = options.onProgress;

  const list = await readFaceList(options.list, options.actors ? { actors: options.actors } : {});
  for (const problem of list.problems)
    onProgress?.({ kind: 'warning', task: 'prepare', message: problem.message });
  const manifest = await readManifest(cacheDir);
  await requireManifestRecords(options.list, cacheDir, options.actors); // never quietly without them
  if (manifest.complete === false) {
    onProgress?.({
      kind: 'warning',
      task: 'prepare',
      message: `the download into ${cacheDir} did not finish: preparing the photos verified so far`,
    });
  }
  const { photos, notDownloaded } = selectPhotos(list.lines, manifest.entries, cacheDir);
  if (photos.length === 0) {
    throw new UserError(
      `none of the ${list.lines.length} selected list lines has a verified photo in ${cacheDir}: run 'facelab download' with the same --subset and --cache first`,
    );
  }

  const { split, failures, files } = await cropToDatasets({
    photos,
    sides,
    outDir: options.outDir,
    seed,
    ...(options.splitSizes ? { splitSizes: options.splitSizes } : {}),
    concurrency: options.concurrency ?? Math.max(8, 2 * availableParallelism()),
    ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
    ...(onProgress ? { onProgress } : {}),
  });
  const unusable = new Set(failures.map((f) => f.sha256));
  const cropped = photos.filter((p) => !unusable.has(p.sha256));
  const byHash = new Map(cropped.map((p) => [p.sha256, p]));
  const manifestOut = splitManifest(split, byHash, failures, { list: options.list, cache: cacheDir }, sides);
  await writeSplitManifest(options.outDir, manifestOut);
  files.push(splitManifestPath(options.outDir));

  const failed: PrepareResult['failed'] = {};
  for (const f of failures) failed[f.reason] = (failed[f.reason] ?? 0) + 1;
  return {
    photos: cropped.length,
    sizes: sides,
    split: manifestOut.totals,
    actors: split.actors,
    counts: split.counts,
    failures,
    failed,
    notDownloaded,
    listProblems: list.problems.length,
    files,
  };
}

/** Joins list lines with their manifest entries: one photo per hash, first line wins. */
function selectPhotos(
  lines: readonly FaceLine[],
  entries: readonly ManifestEntry[],
  cacheDir: string,
): { photos: DatasetPhoto[]; notDownloaded: number } {
  const byLine = new Map(entries.map((e) => [e.line, e]));
  const photoRoot = resolve(photosDir(cacheDir));
  const photos: DatasetPhoto[] = [];
  const seen = new Set<string>();
  let notDownloaded = 0;
  for (const line of lines) {
    const entry = byLine.get(line.line);
    // A duplicate line holds the same verified photo; it counts when its first line is not
    // among the selected actors.
    const usable =
      entry !== undefined &&
      entry.sha256 === line.sha256 &&
      (entry.status === 'verified' || entry.status === 'duplicate') &&
      entry.file !== undefined;
    if (!usable) {
      notDownloaded++;
      continue;
    }
    if (seen.has(line.sha256)) continue;
    const file = resolve(cacheDir, entry.file!);
    const inside = relative(photoRoot, file);
    if (inside.startsWith('..') || isAbsolute(inside)) {
      notDownloaded++; // a manifest may not point outside the cache
      continue;
    }
    seen.add(line.sha256);
    photos.push({ sha256: line.sha256, actor: line.name, line: line.line, box: line.box, file });
  }
  return { photos, notDownloaded };
}

function splitManifest(
  split: DatasetSplit,
  byHash: Map<string, DatasetPhoto>,
  failures: CropFailureRecord[],
  sources: { list: string; cache: string },
  sides: number[],
): SplitManifest {
  const photos: Record<string, SplitManifestPhoto> = {};
  const totals: Record<SplitAssignment, number> = { train: 0, val: 0, test: 0, unused: 0 };
  for (const name of [...SPLIT_NAMES, 'unused'] as const) {
    for (const entry of split.parts[name]) {
      photos[entry.sha256] = { actor: entry.actor, split: name, line: byHash.get(entry.sha256)!.line };
      totals[name]++;
    }
  }
  return {
    version: 1,
    seed: split.seed,
    sizes: split.sizes,
    list: resolve(sources.list),
    cache: resolve(sources.cache),
    sides,
    actors: split.actors,
    counts: split.counts,
    totals,
    photos,
    cropFailures: failures,
  };
}
