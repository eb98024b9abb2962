/**
 * The download manifest: one entry per list line with its final status and reason, kept in the
 * cache as `manifest.json`. `download` writes it; `prepare` and `report` read it.
 *
 * Cache layout:
 *   <cache>/photos/<sha256>.<ext>   verified originals, named by their hash (ext from content)
 *   <cache>/manifest.json           this manifest (written atomically)
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { writeJsonAtomic } from './atomic-file.js';
import type { FaceBox } from './face-list.js';

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

/** Reads a cache's manifest; a missing or unreadable one is a `UserError` naming the path. */
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
  try {
    const manifest = JSON.parse(text) as DownloadManifest;
    if (manifest.version !== 1 || !Array.isArray(manifest.entries)) throw new Error('unexpected layout');
    return manifest;
  } catch (error) {
    throw new UserError(`the download manifest ${path} is not valid (${(error as Error).message})`);
  }
}

/** Writes a manifest atomically. */
export async function writeManifest(cacheDir: string, manifest: DownloadManifest): Promise<void> {
  await writeJsonAtomic(manifestPath(cacheDir), manifest);
}
