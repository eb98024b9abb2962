/**
 * The download manifest: one entry per list line with its final status and reason, kept in the
 * cache as `manifest.json`. `download` writes it; `prepare` and `report` read it.
 *
 * Cache layout:
 *   <cache>/photos/<sha256>.<ext>   verified originals, named by their hash (ext from content)
 *   <cache>/manifest.json           this manifest (written atomically, merged: see saveManifestMerged)
 *   <cache>/download.lock           held by a running download (cacheLockPath)
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FileFormatError, UserError } from '../errors.js';
import { writeJsonAtomic } from './atomic-file.js';
import { withLock } from './cache-lock.js';
import { type FaceBox, type FaceLine, readFaceList } from './face-list.js';

/**
 * Final status of a line: `verified` (its photo is in the cache and its SHA-256 matches),
 * `duplicate` (verified, but the same photo as an earlier line), or `failed` (see `reason`).
 */
export type LineStatus = 'verified' | 'duplicate' | 'failed';

/** One list line's outcome. */
export interface ManifestEntry {
  /** 1-based line number in the list. */
  line: number;
  name: string;
  url: string;
  sha256: string;
  box: FaceBox;
  status: LineStatus;
  /**
   * Why: 'verified', 'duplicate of line N', or a failure reason key such as 'http 404',
   * 'timeout', 'hash mismatch', 'not an image', 'too large', 'too many redirects',
   * 'connection error'. Failure keys are what `--json` counts under `failed`.
   */
  reason: string;
  /** Cache-relative path of the photo (`photos/<sha256>.<ext>`) when verified or duplicate. */
  file?: string;
  /** Extra detail for humans (e.g. the actual SHA-256 of a mismatching body). */
  detail?: string;
}

/** The whole manifest file. */
export interface DownloadManifest {
  version: 1;
  /** The list file the entries come from (absolute path; older manifests may hold a relative one). */
  list: string;
  /** ISO time of the last write. */
  updated: string;
  /**
   * False while `download` is running or after it was interrupted (entries then cover only the
   * lines finished so far); true when every line of the run has its outcome. Absent in
   * manifests written before this field existed.
   */
  complete?: boolean;
  entries: ManifestEntry[];
}

/** Path of the manifest inside a cache folder. */
export function manifestPath(cacheDir: string): string {
  return join(cacheDir, 'manifest.json');
}

/** Folder of verified photos inside a cache folder. */
export function photosDir(cacheDir: string): string {
  return join(cacheDir, 'photos');
}

/**
 * Reads a cache's manifest; a missing one is a `UserError` naming the path, an unreadable one a
 * `FileFormatError`.
 */
export async function readManifest(cacheDir: string): Promise<DownloadManifest> {
  const path = manifestPath(cacheDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UserError(
      `no download manifest at ${path}: run 'facelab download' with the same --cache first`,
    );
  }
  let manifest: DownloadManifest;
  try {
    manifest = JSON.parse(text) as DownloadManifest;
  } catch (error) {
    throw new FileFormatError(path, `not a valid download manifest (${(error as Error).message})`);
  }
  if (manifest?.version !== 1 || !Array.isArray(manifest.entries)) {
    throw new FileFormatError(path, 'not a valid download manifest (unexpected layout)');
  }
  return manifest;
}

/** Writes a manifest atomically. */
export async function writeManifest(cacheDir: string, manifest: DownloadManifest): Promise<void> {
  await writeJsonAtomic(manifestPath(cacheDir), manifest);
}

/** The lock a `download` holds on its cache for the whole run (see `cache-lock.ts`). */
export function cacheLockPath(cacheDir: string): string {
  return join(cacheDir, 'download.lock');
}

/**
 * Writes this run's entries merged with the records of other lines already on disk, so that
 * nothing is lost even when two processes write one cache at once (each save re-reads the file
 * under a short lock, `manifest.json.lock`). Entries on disk for `ownLines` are this run's to
 * decide and are replaced (or dropped until the run reaches them); a manifest of another list
 * is replaced whole, as its line numbers mean other lines. Resolves to what was written.
 */
export async function saveManifestMerged(
  cacheDir: string,
  manifest: DownloadManifest,
  ownLines: ReadonlySet<number>,
): Promise<DownloadManifest> {
  return withLock(`${manifestPath(cacheDir)}.lock`, async () => {
    let previous: DownloadManifest | undefined;
    try {
      previous = await readManifest(cacheDir);
    } catch {
      previous = undefined; // none yet, or unreadable: this save replaces it
    }
    const others =
      previous && resolve(previous.list) === resolve(manifest.list)
        ? previous.entries.filter((e) => !ownLines.has(e.line))
        : [];
    const entries = [...others, ...manifest.entries.filter((e) => ownLines.has(e.line))].sort(
      (a, b) => a.line - b.line,
    );
    const merged: DownloadManifest = { ...manifest, entries };
    await writeManifest(cacheDir, merged);
    return merged;
  });
}

/**
 * The people of `lines` (selected list lines) none of whose lines has a record in `entries`:
 * their photos were never downloaded into this cache (or another download's save replaced
 * their records). In list order.
 */
export function peopleWithoutRecords(
  lines: readonly FaceLine[],
  entries: readonly ManifestEntry[],
): string[] {
  const recorded = new Set<string>();
  const byLine = new Map(entries.map((e) => [e.line, e]));
  for (const line of lines) {
    if (byLine.get(line.line)?.sha256 === line.sha256) recorded.add(line.name);
  }
  return [...new Set(lines.map((l) => l.name))].filter((name) => !recorded.has(name));
}

/**
 * Refuses (a `UserError`) to prepare a list whose people have no download records in the
 * cache, instead of quietly building a dataset without them. `prepare` calls it before
 * selecting photos.
 */
export async function requireManifestRecords(
  list: string,
  cacheDir: string,
  actors?: readonly string[],
): Promise<void> {
  const { lines } = await readFaceList(list, actors ? { actors } : {});
  const missing = peopleWithoutRecords(lines, (await readManifest(cacheDir)).entries);
  if (missing.length === 0) return;
  const people = new Set(lines.map((l) => l.name)).size;
  throw new UserError(
    `${manifestPath(cacheDir)} has no download records of ${missing.length} of the ${people} people in ${list} (${missing.join(', ')}): run 'facelab download' for them with the same --subset and --cache, or leave them out with --actors`,
  );
}
