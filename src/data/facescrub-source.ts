/**
 * The FaceScrub source of labelled photos: the list's lines (of the chosen actors) joined with
 * the download cache's manifest, one photo per SHA-256 (the first list line's box wins). Lines
 * without a verified photo are counted, not listed: the manifest already says why each failed.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { type FaceLine, readFaceList } from './face-list.js';
import type { LabelledPhoto } from './labelled-photo.js';
import { type ManifestEntry, photosDir, readManifest } from './manifest.js';

/** What the list and the cache give. */
export interface FaceScrubPhotos {
  photos: LabelledPhoto[];
  /** Selected list lines with no verified photo in the cache (never downloaded, or failed). */
  notDownloaded: number;
  /** The list's malformed lines, as messages. */
  listProblems: string[];
  /** Selected list lines. */
  lines: number;
  /** False when the download into the cache did not finish. */
  downloadComplete: boolean;
}

/** Options of `photosFromFaceScrub`. */
export interface FaceScrubSourceOptions {
  /** The FaceScrub list the cache was downloaded from. */
  list: string;
  /** The download cache. */
  cacheDir: string;
  /** Only these actors. Default: everyone in the list. */
  actors?: readonly string[];
}

/** Reads the list and the cache's manifest and joins them. */
export async function photosFromFaceScrub(options: FaceScrubSourceOptions): Promise<FaceScrubPhotos> {
  const list = await readFaceList(options.list, options.actors ? { actors: options.actors } : {});
  const manifest = await readManifest(options.cacheDir);
  const { photos, notDownloaded } = joinWithManifest(list.lines, manifest.entries, options.cacheDir);
  return {
    photos,
    notDownloaded,
    listProblems: list.problems.map((p) => p.message),
    lines: list.lines.length,
    downloadComplete: manifest.complete !== false,
  };
}

/** Joins list lines with their manifest entries: one photo per hash, first line wins. */
function joinWithManifest(
  lines: readonly FaceLine[],
  entries: readonly ManifestEntry[],
  cacheDir: string,
): { photos: LabelledPhoto[]; notDownloaded: number } {
  const byLine = new Map(entries.map((e) => [e.line, e]));
  const photoRoot = resolve(photosDir(cacheDir));
  const photos: LabelledPhoto[] = [];
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
    photos.push({
      sha256: line.sha256,
      person: line.name,
      file,
      origin: `list line ${line.line}`,
      line: line.line,
      box: line.box,
    });
  }
  return { photos, notDownloaded };
}
