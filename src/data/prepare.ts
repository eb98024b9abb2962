/**
 * `prepare`: from labelled photos to the cached, split dataset. Every source meets at one list
 * of labelled photos (`labelled-photo.ts`), and everything after it is one path:
 *
 *   source (a FaceScrub list + its download cache | a folder per person | a labels CSV)
 *     → labelled photos, one per SHA-256
 *     → the face of each (the given box, else the detector's) and, for alignment, its landmarks
 *     → box crops at every side (+ aligned crops) → split per person
 *     → faces_<side>.npz (+ aligned_<side>.npz) + split.json
 *
 * The box crops go straight to their rows of the `.npz` files as they are made
 * (`crop-datasets.ts`). A photo that cannot be used (no face, two faces of a size, not a photo,
 * a box outside it…) is recorded with its origin and reason and left out; it never stops the
 * job. All files are written atomically.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { DetectorKind } from '../detect/face-detector.js';
import { InvalidOptionError, UserError } from '../errors.js';
import type { OnProgress } from '../progress.js';
import { DEFAULT_SIDES } from './crop.js';
import { cropToDatasets, type DatasetPhoto, datasetArrays } from './crop-datasets.js';
import { photosFromFaceScrub } from './facescrub-source.js';
import {
  countLeftOut,
  type LabelledPhoto,
  type LeftOutReason,
  type LeftOutRecord,
} from './labelled-photo.js';
import { type LocatedPhoto, locateFaces } from './locate-faces.js';
import { requireManifestRecords } from './manifest.js';
import { writeNpz } from './npz.js';
import { type PhotoSourceResult, photosFromFolder, photosFromLabels } from './photo-folder.js';
import { type DatasetSplit, SPLIT_NAMES, type SplitAssignment, type SplitSizes } from './split.js';
import {
  alignedNpzPathFor,
  type CropFailureRecord,
  type SplitManifest,
  type SplitManifestPhoto,
  type SplitSource,
  splitManifestPath,
  writeSplitManifest,
} from './split-manifest.js';

/** Largest crop side accepted: 1024 px crops of 1,000 photos already take 3 GB. */
export const MAX_SIDE = 1024;

/** Default cache folder, shared with `download`. */
export const DEFAULT_CACHE_DIR = '.facelab-cache';

/** Side of the aligned crops written for the face backbone (its input side). */
export const ALIGNED_BACKBONE_SIDE = 150;

/**
 * What is aligned: `backbone` (default) also writes `aligned_150.npz` for the face backbone,
 * the box crops stay the study's; `all` makes every `faces_<side>.npz` aligned too (the
 * raw-pixel net then trains on aligned crops); `off` finds no landmarks at all.
 */
export type AlignMode = 'backbone' | 'all' | 'off';

/** Every `AlignMode`, for flag validation. */
export const ALIGN_MODES: readonly AlignMode[] = ['backbone', 'all', 'off'];

/** Options of `prepareDataset`. Give exactly one source: `list`, `photosDir` or `labels`. */
export interface PrepareOptions {
  /** A FaceScrub list the cache was downloaded from (`--subset`). */
  list?: string;
  /** A folder per person: `photosDir/<person>/<photo>` (`--photos`). */
  photosDir?: string;
  /** A labels CSV: `path,person[,x1,y1,x2,y2]` per line (`--labels`). */
  labels?: string;
  /** `list` only: only these actors; default everyone in the list. */
  actors?: readonly string[];
  /** `list` only: the download cache. Default `.facelab-cache`. */
  cacheDir?: string;
  /** Where the `.npz` files and `split.json` go. */
  outDir: string;
  /** Crop sides in pixels, each 1–1024 (repeats are ignored). Default `[32, 227]`. */
  sizes?: readonly number[];
  /** Seed of the split. Default 1. */
  seed?: number;
  /** Photos per person in train / val / test. Default 70 / 20 / 20. */
  splitSizes?: SplitSizes;
  /** What is aligned (see `AlignMode`). Default 'backbone'. */
  align?: AlignMode;
  /** Detector for photos without a box. Default 'ssd'. */
  detector?: DetectorKind;
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
  /** Photos per part over all people. */
  split: Record<SplitAssignment, number>;
  actors: string[];
  /** Photos per person and part. */
  counts: Record<string, Record<SplitAssignment, number>>;
  /** Photos that failed to crop, with origin and reason. */
  failures: CropFailureRecord[];
  /** Crop failures counted by reason. */
  failed: Partial<Record<string, number>>;
  /** Every photo or input line left out (crop failures included), with its reason. */
  leftOut: LeftOutRecord[];
  /** `leftOut` counted by reason. */
  leftOutCounts: Partial<Record<LeftOutReason, number>>;
  /** Photos whose face was found by the detector. */
  detected: number;
  /** `list` only: selected list lines with no verified photo in the cache. */
  notDownloaded: number;
  /** `list` only: malformed list lines that were skipped. */
  listProblems: number;
  /** Files written. */
  files: string[];
}

/** Runs the whole `prepare` job. */
export async function prepareDataset(options: PrepareOptions): Promise<PrepareResult> {
  const sides = [...new Set(options.sizes ?? DEFAULT_SIDES)];
  if (sides.length === 0 || sides.some((side) => !Number.isInteger(side) || side < 1 || side > MAX_SIDE)) {
    throw new InvalidOptionError('--sizes', `crop sides from 1 to ${MAX_SIDE} px`, sides.join(','));
  }
  const align = options.align ?? 'backbone';
  if (!ALIGN_MODES.includes(align)) throw new InvalidOptionError('--align', ALIGN_MODES.join(' | '), align);
  const seed = options.seed ?? 1;
  const onProgress = options.onProgress;
  const warn = (message: string): void => onProgress?.({ kind: 'warning', task: 'prepare', message });

  const source = await readSource(options, warn);
  // A list's people without download records are an error, never a dataset quietly without them.
  if (options.list !== undefined)
    await requireManifestRecords(options.list, options.cacheDir ?? DEFAULT_CACHE_DIR, options.actors);
  if (source.photos.length === 0) throw new UserError(source.emptyMessage);

  const alignedSides = align === 'off' ? [] : align === 'all' ? sides : [ALIGNED_BACKBONE_SIDE];
  const located = await locateFaces(source.photos, {
    alignSides: [...new Set(alignedSides)],
    ...(options.detector ? { detector: options.detector } : {}),
    ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
    ...(onProgress ? { onProgress } : {}),
  });
  const usable = located.photos;
  if (usable.length === 0) {
    const reasons = Object.entries(countLeftOut(located.leftOut)).map(([r, n]) => `${r}: ${n}`);
    throw new UserError(
      `none of the ${source.photos.length} photos has a usable face (${reasons.join(', ')})`,
    );
  }
  const datasetPhotos: DatasetPhoto[] = usable.map((p) => ({
    sha256: p.sha256,
    actor: p.person,
    origin: p.origin,
    box: p.box,
    file: p.file,
    ...(p.line !== undefined ? { line: p.line } : {}),
    ...(align === 'all' && p.aligned ? { crops: p.aligned } : {}),
  }));
  const cut = await cropToDatasets({
    photos: datasetPhotos,
    sides,
    outDir: options.outDir,
    seed,
    ...(options.splitSizes ? { splitSizes: options.splitSizes } : {}),
    concurrency: options.concurrency ?? Math.max(8, 2 * availableParallelism()),
    ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
    ...(onProgress ? { onProgress } : {}),
  });
  const { split, files } = cut;
  // Photos that are not usable images count as crop failures wherever they were found out
  // (decoded for their face, or cut): one record each, in input order.
  const failures: CropFailureRecord[] = [
    ...located.leftOut.filter(isPhotoFailure).map(toCropFailure),
    ...cut.failures,
  ];
  if (align === 'backbone') {
    const path = alignedNpzPathFor(options.outDir, ALIGNED_BACKBONE_SIDE);
    await writeNpz(path, alignedArrays(split, usable, ALIGNED_BACKBONE_SIDE));
    files.push(path);
  }
  const leftOut: LeftOutRecord[] = [
    ...source.leftOut,
    ...located.leftOut,
    ...cut.failures.map((f) => ({
      origin: f.origin ?? `list line ${f.line}`,
      reason: f.reason,
      message: f.message,
      person: f.actor,
      sha256: f.sha256,
      ...(f.line !== undefined ? { line: f.line } : {}),
    })),
  ];
  const unusable = new Set(cut.failures.map((f) => f.sha256));
  const cropped = usable.filter((p) => !unusable.has(p.sha256));
  const manifestOut = splitManifest(split, new Map(cropped.map((p) => [p.sha256, p])), {
    failures,
    leftOut,
    source: source.record,
    sides,
    aligned: align === 'backbone' ? [ALIGNED_BACKBONE_SIDE] : [],
    crops: align === 'all' ? 'aligned' : 'box',
  });
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
    leftOut,
    leftOutCounts: countLeftOut(leftOut),
    detected: usable.filter((p) => p.detected).length,
    notDownloaded: source.notDownloaded,
    listProblems: source.listProblems,
    files,
  };
}

/** Reasons that say the photo itself cannot be used (not that no face, or the right one, was found in it). */
const NOT_PHOTO_FAILURES: ReadonlySet<LeftOutReason> = new Set([
  'no face',
  'ambiguous faces',
  'duplicate',
  'unreadable file',
  'malformed line',
]);

function isPhotoFailure(record: LeftOutRecord): boolean {
  return !NOT_PHOTO_FAILURES.has(record.reason) && record.sha256 !== undefined && record.person !== undefined;
}

function toCropFailure(record: LeftOutRecord): CropFailureRecord {
  return {
    ...(record.line !== undefined ? { line: record.line } : {}),
    origin: record.origin,
    sha256: record.sha256!,
    actor: record.person!,
    reason: record.reason as CropFailureRecord['reason'],
    message: record.message,
  };
}

interface ReadSource extends PhotoSourceResult {
  record: SplitSource;
  notDownloaded: number;
  listProblems: number;
  emptyMessage: string;
}

/** The labelled photos of the one source given. */
async function readSource(options: PrepareOptions, warn: (message: string) => void): Promise<ReadSource> {
  const given = [options.list, options.photosDir, options.labels].filter((s) => s !== undefined);
  if (given.length !== 1) {
    throw new UserError(
      'give exactly one source of photos: --subset LIST (with --cache), --photos DIR or --labels FILE.csv',
    );
  }
  if (options.list === undefined && (options.actors !== undefined || options.cacheDir !== undefined)) {
    throw new UserError(
      '--actors and --cache go with --subset (a FaceScrub list), not with --photos or --labels',
    );
  }
  if (options.list !== undefined) {
    const cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;
    const found = await photosFromFaceScrub({
      list: options.list,
      cacheDir,
      ...(options.actors ? { actors: options.actors } : {}),
    });
    for (const problem of found.listProblems) warn(problem);
    if (!found.downloadComplete)
      warn(`the download into ${cacheDir} did not finish: preparing the photos verified so far`);
    return {
      photos: found.photos,
      leftOut: [],
      record: { kind: 'facescrub', path: resolve(options.list), cache: resolve(cacheDir) },
      notDownloaded: found.notDownloaded,
      listProblems: found.listProblems.length,
      emptyMessage: `none of the ${found.lines} selected list lines has a verified photo in ${cacheDir}: run 'facelab download' with the same --subset and --cache first`,
    };
  }
  const kind = options.photosDir !== undefined ? 'folder' : 'labels';
  const path = (options.photosDir ?? options.labels)!;
  const found = kind === 'folder' ? await photosFromFolder(path) : await photosFromLabels(path);
  return {
    ...found,
    record: { kind, path: resolve(path) },
    notDownloaded: 0,
    listProblems: 0,
    emptyMessage: `none of the files of ${path} can be used (${Object.entries(countLeftOut(found.leftOut))
      .map(([r, n]) => `${r}: ${n}`)
      .join(', ')})`,
  };
}

/** The aligned crops in the rows of the split (train, val, test), as `faces_<side>.npz` lays them out. */
function alignedArrays(split: DatasetSplit, photos: readonly LocatedPhoto[], side: number) {
  const byHash = new Map(photos.map((p) => [p.sha256, p]));
  const arrays = datasetArrays(split);
  const rows = arrays.hashes.data as string[];
  const bytes = side * side * 3;
  const images = new Uint8Array(rows.length * bytes);
  for (const [row, hash] of rows.entries()) images.set(byHash.get(hash)!.aligned![0]!, row * bytes);
  return { images: { data: images, shape: [rows.length, side, side, 3] }, ...arrays };
}

function splitManifest(
  split: DatasetSplit,
  byHash: Map<string, LabelledPhoto>,
  extra: {
    failures: CropFailureRecord[];
    leftOut: LeftOutRecord[];
    source: SplitSource;
    sides: number[];
    aligned: number[];
    crops: 'box' | 'aligned';
  },
): SplitManifest {
  const photos: Record<string, SplitManifestPhoto> = {};
  const totals: Record<SplitAssignment, number> = { train: 0, val: 0, test: 0, unused: 0 };
  for (const name of [...SPLIT_NAMES, 'unused'] as const) {
    for (const entry of split.parts[name]) {
      const photo = byHash.get(entry.sha256)!;
      photos[entry.sha256] = {
        actor: entry.actor,
        split: name,
        origin: photo.origin,
        ...(photo.line !== undefined ? { line: photo.line } : {}),
        ...(photo.box !== undefined ? { box: [photo.box.x1, photo.box.y1, photo.box.x2, photo.box.y2] } : {}),
      };
      totals[name]++;
    }
  }
  const { source } = extra;
  return {
    version: 1,
    seed: split.seed,
    sizes: split.sizes,
    source,
    ...(source.kind === 'facescrub' ? { list: source.path, cache: source.cache } : {}),
    sides: extra.sides,
    crops: extra.crops,
    alignedSides: extra.aligned,
    actors: split.actors,
    counts: split.counts,
    totals,
    photos,
    cropFailures: extra.failures,
    leftOut: extra.leftOut,
  };
}
