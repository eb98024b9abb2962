/**
 * The crop stage of `prepare`: every photo is cropped at every side and each crop is written
 * straight to its row of that side's `.npz` (`zip-stored.ts`), so no dataset is ever held in
 * memory and memory use does not grow with the list. (The 227 px dataset of the 580 shared
 * photos is 90 MB: filling that much fresh memory, then writing it in one piece, took about a
 * tenth of `prepare`'s CPU time on the 2-core test machine; row writes of 150 kB cost little.)
 *
 * A photo's row depends on the split, and the split on which photos crop. The rows are laid
 * out for the split of all photos, which is what nearly always happens: a verified photo
 * crops. When some fail, the archives are rewritten for the split of the photos that did:
 * rows are read back from the first files, and photos the first split left unused are cropped
 * again. Either way the archives equal what `writeNpz` writes for the same arrays.
 */

import { ImageError } from '../errors.js';
import type { OnProgress } from '../progress.js';
import { type CropFailureReason, cropFace } from './crop.js';
import type { FaceBox } from './face-list.js';
import { encodeNpyParts, type NpyArray, npyHeader } from './npy.js';
import { type DatasetSplit, SPLIT_NAMES, type SplitSizes, splitByActor } from './split.js';
import { type CropFailureRecord, npzPathFor } from './split-manifest.js';
import { type RowMember, StoredZipWriter } from './zip-stored.js';

/** A photo to crop. */
export interface DatasetPhoto {
  sha256: string;
  actor: string;
  /** Where it came from, for messages ("list line 17", "Ann/1.jpg"). */
  origin: string;
  /** The FaceScrub list line it comes from (the first one, for a photo listed twice). */
  line?: number;
  box: FaceBox;
  /** The photo file. */
  file: string;
  /** Crops already made (aligned crops), one per side: used instead of cutting `box`. */
  crops?: readonly Uint8Array[];
}

/** Options of `cropToDatasets`. */
export interface CropDatasetsOptions {
  /** Distinct photos (one per SHA-256). */
  photos: readonly DatasetPhoto[];
  /** Crop sides in pixels, distinct; one `.npz` each. */
  sides: readonly number[];
  /** Folder of the `.npz` files (`faces_<side>.npz`). */
  outDir: string;
  /** Seed of the split. */
  seed: number;
  /** Photos per actor in train / val / test. Default 70 / 20 / 20. */
  splitSizes?: SplitSizes;
  /** Photos decoded at once. */
  concurrency: number;
  /** Largest photo accepted, in pixels. Default: `cropFace`'s. */
  maxPixels?: number;
  onProgress?: OnProgress;
}

/** What `cropToDatasets` did. */
export interface CropDatasetsResult {
  /** The split of the photos that cropped; the rows of every `.npz` follow it. */
  split: DatasetSplit;
  /** Photos that failed to crop, by list line. */
  failures: CropFailureRecord[];
  /** The `.npz` files written, in the order of `sides`. */
  files: string[];
}

/** Crops every photo into the `.npz` of every side; see the module comment. */
export async function cropToDatasets(options: CropDatasetsOptions): Promise<CropDatasetsResult> {
  const { photos, sides, onProgress } = options;
  const splitOf = (items: readonly DatasetPhoto[]) =>
    splitByActor(items, { seed: options.seed, ...(options.splitSizes ? { sizes: options.splitSizes } : {}) });
  const crop = async (photo: DatasetPhoto, into: Uint8Array[]): Promise<void> => {
    if (photo.crops) {
      for (const [k, made] of photo.crops.entries()) into[k]!.set(made);
      return;
    }
    await cropFace(photo.file, photo.box, {
      sides,
      source: `${photo.file} (${photo.origin})`,
      into,
      ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
    });
  };
  const files = sides.map((side) => npzPathFor(options.outDir, side));
  const staging = () => sides.map((side) => new Uint8Array(side * side * 3));

  const planned = splitOf(photos);
  let archives = await openArchives(files, sides, planned);
  try {
    const plannedRows = rowsOf(planned);
    const cropped = new Set<string>();
    const failures: CropFailureRecord[] = [];
    onProgress?.({ kind: 'start', task: 'crop', total: photos.length });
    let done = 0;
    // Each worker crops into its own buffers and writes them out before its next await.
    await forEachConcurrently(photos, options.concurrency, staging, async (photo, crops) => {
      try {
        await crop(photo, crops);
        const row = plannedRows.get(photo.sha256);
        if (row !== undefined) writeRows(archives, row, crops);
        cropped.add(photo.sha256);
      } catch (error) {
        if (!(error instanceof ImageError)) throw error;
        failures.push({
          ...(photo.line !== undefined ? { line: photo.line } : {}),
          origin: photo.origin,
          sha256: photo.sha256,
          actor: photo.actor,
          reason: error.reason as CropFailureReason,
          message: error.message,
        });
        onProgress?.({ kind: 'warning', task: 'crop', message: error.message });
      }
      onProgress?.({ kind: 'advance', task: 'crop', done: ++done, total: photos.length });
    });
    onProgress?.({ kind: 'done', task: 'crop' });
    const order = new Map(photos.map((p, i) => [p.sha256, i]));
    failures.sort((a, b) => order.get(a.sha256)! - order.get(b.sha256)!);

    let split = planned;
    if (failures.length > 0) {
      split = splitOf(photos.filter((p) => cropped.has(p.sha256)));
      const rewritten = await openArchives(files, sides, split);
      try {
        const crops = staging();
        const byHash = new Map(photos.map((p) => [p.sha256, p]));
        for (const [row, entry] of datasetRows(split).entries()) {
          const from = plannedRows.get(entry.sha256);
          if (from === undefined) await crop(byHash.get(entry.sha256)!, crops);
          else for (const [k, archive] of archives.entries()) archive.images.readRow(from, crops[k]!);
          writeRows(rewritten, row, crops);
        }
      } catch (error) {
        await Promise.all(rewritten.map((a) => a.zip.abort()));
        throw error;
      }
      await Promise.all(archives.map((a) => a.zip.abort()));
      archives = rewritten;
    }
    const rest = datasetArrays(split);
    // Both archives are finished at once: their writes and syncs overlap.
    await Promise.all(
      archives.map(async ({ zip }) => {
        for (const [name, array] of Object.entries(rest)) {
          const { header, body } = encodeNpyParts(array);
          await zip.append(`${name}.npy`, [header, body]);
        }
        await zip.close();
      }),
    );
    return { split, failures, files };
  } catch (error) {
    await Promise.all(archives.map((a) => a.zip.abort()));
    throw error;
  }
}

interface Archive {
  zip: StoredZipWriter;
  images: RowMember;
}

function writeRows(archives: readonly Archive[], row: number, crops: readonly Uint8Array[]): void {
  for (const [k, archive] of archives.entries()) archive.images.writeRow(row, crops[k]!);
}

/** One archive per side with its `images` member reserved for the rows of `split`. */
async function openArchives(
  files: readonly string[],
  sides: readonly number[],
  split: DatasetSplit,
): Promise<Archive[]> {
  const rows = datasetRows(split).length;
  const archives: Archive[] = [];
  try {
    for (const [k, side] of sides.entries()) {
      const zip = await StoredZipWriter.create(files[k]!);
      try {
        const head = npyHeader('|u1', [rows, side, side, 3]);
        archives.push({ zip, images: await zip.reserveRows('images.npy', head, rows, side * side * 3) });
      } catch (error) {
        await zip.abort();
        throw error;
      }
    }
  } catch (error) {
    await Promise.all(archives.map((a) => a.zip.abort()));
    throw error;
  }
  return archives;
}

/** The dataset's rows: train, val, test (unused photos are left out). */
function datasetRows(split: DatasetSplit) {
  return SPLIT_NAMES.flatMap((name) => split.parts[name]);
}

function rowsOf(split: DatasetSplit): Map<string, number> {
  return new Map(datasetRows(split).map((entry, row) => [entry.sha256, row]));
}

/** The members after `images`, in `writeNpz` order: labels, actors, hashes, split. */
export function datasetArrays(
  split: DatasetSplit,
): Record<'labels' | 'actors' | 'hashes' | 'split', NpyArray> {
  const rows = datasetRows(split);
  const labels = new Int32Array(rows.length);
  const parts = new Uint8Array(rows.length);
  rows.forEach((row, i) => {
    labels[i] = row.label;
    parts[i] = SPLIT_NAMES.indexOf(row.split as (typeof SPLIT_NAMES)[number]);
  });
  return {
    labels: { data: labels, shape: [rows.length] },
    actors: { data: split.actors, shape: [split.actors.length] },
    hashes: { data: rows.map((r) => r.sha256), shape: [rows.length] },
    split: { data: parts, shape: [rows.length] },
  };
}

/**
 * Runs `task` over `items` with at most `limit` in flight, each worker with its own `state`.
 * The first error stops new tasks and is thrown once the running ones have ended, so none
 * writes to an archive after it is dropped.
 */
async function forEachConcurrently<T, S>(
  items: readonly T[],
  limit: number,
  state: () => S,
  task: (item: T, state: S) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    const own = state();
    while (failure === undefined && next < items.length) {
      try {
        await task(items[next++]!, own);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
}
