/**
 * The prepared-dataset folder that `facelab prepare` writes and trainers read:
 *
 *   <out>/faces_<side>.npz   one per crop side: images uint8 [N,S,S,3], labels int32 [N],
 *                            actors <U [K], hashes <U64 [N], split uint8 [N] (0 train, 1 val,
 *                            2 test); rows ordered train, val, test, each by label
 *   <out>/split.json         this manifest: seed, actors, each photo's part and list line,
 *                            counts per actor and part, and the photos that failed to crop
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { writeJsonAtomic } from './atomic-file.js';
import type { CropFailureReason } from './crop.js';
import type { LeftOutRecord } from './labelled-photo.js';
import type { SplitAssignment, SplitSizes } from './split.js';

/** One photo of the dataset. */
export interface SplitManifestPhoto {
  actor: string;
  split: SplitAssignment;
  /** Where it came from ("list line 17", "Ann/1.jpg", "labels.csv line 3"); absent in older manifests. */
  origin?: string;
  /** The FaceScrub list line the photo (and its face box) came from. */
  line?: number;
  /** The face box cut out, `[x1, y1, x2, y2]` in stored pixels (given or detected). */
  box?: [number, number, number, number];
}

/** Where the photos of a dataset came from. */
export type SplitSource =
  | {
      kind: 'facescrub' /** the list (absolute) */;
      path: string /** the download cache (absolute) */;
      cache: string;
    }
  | { kind: 'folder' | 'labels' /** the folder or CSV (absolute) */; path: string };

/** A photo that could not be cropped, so it is in no part of the split. */
export interface CropFailureRecord {
  /** The FaceScrub list line, for photos from a list. */
  line?: number;
  /** Where it came from (see `SplitManifestPhoto.origin`). */
  origin?: string;
  sha256: string;
  actor: string;
  reason: CropFailureReason;
  message: string;
}

/** The content of `split.json`. */
export interface SplitManifest {
  version: 1;
  seed: number;
  sizes: SplitSizes;
  /** Where the photos came from; absent in older manifests (which all came from a list). */
  source?: SplitSource;
  /** The FaceScrub list the photos came from (absolute path), for datasets made from one. */
  list?: string;
  /**
   * The download cache the photos came from (absolute path), for tools that need the download
   * manifest (the report). Absent from manifests written before it was recorded.
   */
  cache?: string;
  /** Crop sides written, each as `faces_<side>.npz`. */
  sides: number[];
  /** What `faces_<side>.npz` hold: the boxes resized (the study's), or aligned faces. Default 'box'. */
  crops?: 'box' | 'aligned';
  /** Sides of the aligned crops written as `aligned_<side>.npz` (for the face backbone). Default none. */
  alignedSides?: number[];
  /** Actor names; label i is `actors[i]`. */
  actors: string[];
  /** Photos per actor and part. */
  counts: Record<string, Record<SplitAssignment, number>>;
  /** Photos per part over all actors. */
  totals: Record<SplitAssignment, number>;
  /** Every photo by SHA-256, in dataset order (train, val, test, then unused). */
  photos: Record<string, SplitManifestPhoto>;
  cropFailures: CropFailureRecord[];
  /** Every photo or input line left out, with its reason (crop failures included); absent in older manifests. */
  leftOut?: LeftOutRecord[];
}

/** Path of the split manifest in a prepared-dataset folder. */
export function splitManifestPath(dir: string): string {
  return join(dir, 'split.json');
}

/** Path of the aligned crops of one side in a prepared-dataset folder. */
export function alignedNpzPathFor(dir: string, side: number): string {
  return join(dir, `aligned_${side}.npz`);
}

/** Path of the `.npz` of one crop side in a prepared-dataset folder. */
export function npzPathFor(dir: string, side: number): string {
  return join(dir, `faces_${side}.npz`);
}

/** Reads `split.json`; a missing or malformed file is a `UserError` naming it. */
export async function readSplitManifest(dir: string): Promise<SplitManifest> {
  return parseSplitManifest(await readSplitManifestBytes(dir), splitManifestPath(dir));
}

/**
 * SHA-256 (hex) of the bytes of `split.json`, after checking it as `readSplitManifest` does:
 * caches of work derived from a dataset key on it, so a re-prepared split is never mixed up.
 */
export async function splitManifestSha256(dir: string): Promise<string> {
  const bytes = await readSplitManifestBytes(dir);
  parseSplitManifest(bytes, splitManifestPath(dir));
  return createHash('sha256').update(bytes).digest('hex');
}

async function readSplitManifestBytes(dir: string): Promise<Buffer> {
  const path = splitManifestPath(dir);
  try {
    return await readFile(path);
  } catch {
    throw new UserError(`no split manifest at ${path}: run 'facelab prepare --out ${dir}' first`);
  }
}

function parseSplitManifest(bytes: Buffer, path: string): SplitManifest {
  const text = bytes.toString('utf8');
  let manifest: SplitManifest;
  try {
    manifest = JSON.parse(text) as SplitManifest;
  } catch (error) {
    throw new UserError(`the split manifest ${path} is not valid JSON (${(error as Error).message})`);
  }
  if (manifest.version !== 1 || !Array.isArray(manifest.actors) || typeof manifest.photos !== 'object') {
    throw new UserError(`the split manifest ${path} has an unexpected layout`);
  }
  return manifest;
}

/** Writes `split.json` atomically. */
export async function writeSplitManifest(dir: string, manifest: SplitManifest): Promise<void> {
  await writeJsonAtomic(splitManifestPath(dir), manifest);
}
