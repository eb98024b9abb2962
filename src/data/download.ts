/**
 * Downloads the photos of a parsed FaceScrub list into a cache, verifying each by its SHA-256,
 * and records every line's outcome in the cache's manifest.
 *
 * Lines are grouped by SHA-256: each distinct photo is fetched once, trying its lines' URLs in
 * list order until one verifies. Every line of a verified photo counts as verified; the first
 * line gets status 'verified', the others 'duplicate' ('duplicate of line N'). When no URL of a
 * photo works, each line keeps the failure of its own URL. Photos already in `photos/` are
 * re-hashed once and reused, so a re-run only fetches what is missing (or corrupt).
 *
 * One `download` writes a cache at a time: a second one waits for the cache's lock
 * (`download.lock`, held for the whole run; a progress warning says whose it is), then reuses
 * every photo the first verified. Waiting rather than refusing, because both downloads are
 * wanted and the second gets cheaper. Every manifest save also merges with the records of other
 * lines already on disk (`saveManifestMerged`), so no line's record is lost even without the
 * lock. Temp files of live processes are spared.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OnProgress } from '../progress.js';
import { positiveInteger } from '../validate.js';
import { hashFile, removeStaleTemps, scanPhotos } from './cache-files.js';
import { acquireLock } from './cache-lock.js';
import type { FaceLine } from './face-list.js';
import { type FetchedPhoto, fetchPhoto, PhotoFetchError } from './fetch-photo.js';
import {
  cacheLockPath,
  type DownloadManifest,
  type ManifestEntry,
  photosDir,
  saveManifestMerged,
} from './manifest.js';
import { mirrorUrl } from './mirror-url.js';

export { hashFile } from './cache-files.js';

/** Options of `downloadPhotos`. */
export interface DownloadOptions {
  /** The usable lines to download (from `readFaceList`). */
  lines: readonly FaceLine[];
  /** The list file the lines come from; recorded in the manifest as an absolute path. */
  list: string;
  /** Cache folder; created if missing. Photos go to `photos/`, the manifest to `manifest.json`. */
  cacheDir: string;
  /** Base URL of a mirror (see `mirrorUrl`); default: fetch the original URLs. */
  mirror?: string;
  /** Photos downloaded at the same time; default 8. */
  concurrency?: number;
  /** Per-request silence timeout in ms (see `FetchPhotoOptions.timeoutMs`); default 30000. */
  timeoutMs?: number;
  /** Extra attempts after a transient failure (timeout, 5xx, 429, reset, refused); default 3. */
  retries?: number;
  /**
   * Longest wait a server may ask for with `Retry-After` (on a 429 or 5xx), in ms; default
   * 60000. A shorter request is honoured (the retry waits at least that long); a longer one
   * is not waited for, and the line fails with the server's answer and the wait it asked for.
   */
  maxRetryAfterMs?: number;
  /** First retry waits about this many ms, doubling each time, with ±50% jitter; default 500. */
  retryDelayMs?: number;
  /** Redirects followed per request; default 5. */
  maxRedirects?: number;
  /** Size cap per photo in bytes; default 20 MB. */
  maxBytes?: number;
  /** How often the manifest is rewritten during the run, in ms; default 5000. */
  manifestIntervalMs?: number;
  /**
   * Stops starting new requests and cancels running ones; the manifest is still written. While
   * waiting for another download's lock on the cache it stops the wait (nothing is written).
   */
  signal?: AbortSignal;
  onProgress?: OnProgress;
}

/** What a download run did. Counts cover the lines of this run only. */
export interface DownloadSummary {
  /** Usable lines asked for. */
  lines: number;
  /** Lines whose photo is verified, duplicates included. */
  verified: number;
  /** Lines whose photo is another (earlier) line's. */
  duplicates: number;
  /** Distinct verified photos. */
  photos: number;
  /** Failed lines per failure reason. */
  failed: Record<string, number>;
  /** Lines left without an outcome because the run was interrupted. */
  unfinished: number;
  /** Photos found verified in the cache instead of downloaded. */
  cached: number;
  /** HTTP attempts made (retries included, redirects not). */
  requests: number;
  /** True when `signal` stopped the run. */
  interrupted: boolean;
  /** This run's manifest entries, in line order. */
  entries: ManifestEntry[];
}

/** Downloads and verifies the photos of `options.lines`; see the file comment. */
export async function downloadPhotos(options: DownloadOptions): Promise<DownloadSummary> {
  const { lines, cacheDir, signal, onProgress } = options;
  const concurrency = options.concurrency ?? 8;
  positiveInteger('concurrency', concurrency);
  const dir = photosDir(cacheDir);
  await mkdir(dir, { recursive: true });
  const stats = { cached: 0, requests: 0 };
  const lock = await acquireLock(cacheLockPath(cacheDir), {
    ...(signal ? { signal } : {}),
    onWait: (owner) =>
      onProgress?.({
        kind: 'warning',
        task: 'download',
        message: `${resolve(cacheDir)} is in use by another download (process ${owner}): waiting for it to finish`,
      }),
  });
  if (!lock) return summarize([], lines.length, stats, signal);
  try {
    return await downloadLocked(options, stats);
  } finally {
    await lock.release();
  }
}

async function downloadLocked(
  options: DownloadOptions,
  stats: { cached: number; requests: number },
): Promise<DownloadSummary> {
  const { lines, cacheDir, signal, onProgress } = options;
  const concurrency = options.concurrency ?? 8;
  const dir = photosDir(cacheDir);
  await removeStaleTemps(cacheDir);
  await removeStaleTemps(dir);
  const inCache = await scanPhotos(dir);
  const ownLines = new Set(lines.map((l) => l.line));
  const results = new Map<number, ManifestEntry>();

  const groups = new Map<string, FaceLine[]>();
  for (const line of lines) {
    const group = groups.get(line.sha256);
    if (group) group.push(line);
    else groups.set(line.sha256, [line]);
  }

  // Saves run one after another. A failed periodic save is not fatal (the next one, or the
  // final one, rewrites the whole manifest); only the final save decides whether the run fails.
  // Each save keeps the records of lines outside this run (other actors, other downloads).
  let saving: Promise<void> = Promise.resolve();
  const save = (complete: boolean): Promise<void> => {
    const manifest: DownloadManifest = {
      version: 1,
      list: resolve(options.list),
      updated: new Date().toISOString(),
      complete,
      entries: [...results.values()],
    };
    const written = saving.then(async () => {
      await saveManifestMerged(cacheDir, manifest, ownLines);
    });
    saving = written.catch(() => undefined);
    return written;
  };
  const timer = setInterval(
    () => void save(false).catch(() => undefined),
    options.manifestIntervalMs ?? 5000,
  );
  timer.unref();

  const fetchWithRetries = async (line: FaceLine): Promise<FetchedPhoto> => {
    const retries = options.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      stats.requests++;
      try {
        return await fetchPhoto({
          url: requestUrl(line.url, options.mirror),
          sha256: line.sha256,
          dir,
          ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
          ...(options.maxRedirects !== undefined ? { maxRedirects: options.maxRedirects } : {}),
          ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}),
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        if (!(error instanceof PhotoFetchError) || !error.transient || attempt >= retries) throw error;
        const asked = error.retryAfterMs ?? 0;
        const longest = options.maxRetryAfterMs ?? 60_000;
        if (asked > longest) {
          const why = `${error.message.slice(error.url.length + 2)}, longer than the ${longest / 1000} s facelab waits`;
          throw new PhotoFetchError(error.url, error.reason, why, false);
        }
        const wait = Math.max(asked, backoffMs(options.retryDelayMs ?? 500, attempt, line.sha256));
        await sleep(wait, undefined, { ...(signal ? { signal } : {}) });
      }
    }
  };

  /** Resolves to the group's entries, or undefined when interrupted before it finished. */
  const runGroup = async (group: FaceLine[]): Promise<ManifestEntry[] | undefined> => {
    const sha = group[0]!.sha256;
    let source: { name: string; line?: number } | undefined;
    const existing = inCache.get(sha);
    if (existing !== undefined) {
      if ((await hashFile(join(dir, existing))) === sha) {
        source = { name: existing };
        stats.cached++;
      } else {
        await rm(join(dir, existing), { force: true });
      }
    }
    const failures = new Map<string, PhotoFetchError>();
    for (const line of source ? [] : group) {
      if (failures.has(line.url)) continue;
      if (signal?.aborted) return undefined;
      try {
        source = { name: (await fetchWithRetries(line)).name, line: line.line };
        break;
      } catch (error) {
        if (signal?.aborted) return undefined;
        if (!(error instanceof PhotoFetchError)) throw error;
        failures.set(line.url, error);
      }
    }
    return group.map((line, index): ManifestEntry => {
      const base = { line: line.line, name: line.name, url: line.url, sha256: line.sha256, box: line.box };
      if (!source) {
        const failure = failures.get(line.url)!;
        return { ...base, status: 'failed', reason: failure.reason, detail: failure.message };
      }
      const file = `photos/${source.name}`;
      if (index > 0)
        return { ...base, status: 'duplicate', reason: `duplicate of line ${group[0]!.line}`, file };
      const detail =
        source.line === undefined
          ? 'already in the cache'
          : source.line !== line.line
            ? `downloaded from the URL of line ${source.line}`
            : undefined;
      return { ...base, status: 'verified', reason: 'verified', file, ...(detail ? { detail } : {}) };
    });
  };

  const queue = [...groups.values()];
  let next = 0;
  const counts = { verified: 0, failed: 0 };
  onProgress?.({ kind: 'start', task: 'download', total: lines.length });
  // The first failure (e.g. a full disk) stops every worker from taking more work, and is
  // re-thrown only once all of them have finished: the manifest is then final, not a snapshot
  // of downloads still running.
  let workerFailure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    try {
      while (next < queue.length && !signal?.aborted && !workerFailure) {
        const entries = await runGroup(queue[next++]!);
        for (const entry of entries ?? []) {
          results.set(entry.line, entry);
          counts[entry.status === 'failed' ? 'failed' : 'verified']++;
        }
        if (entries) {
          onProgress?.({
            kind: 'advance',
            task: 'download',
            done: results.size,
            total: lines.length,
            detail: `${counts.verified} verified, ${counts.failed} failed`,
          });
        }
      }
    } catch (error) {
      workerFailure ??= { error };
    }
  };
  let finalSave: { error: unknown } | undefined;
  try {
    const workers = Math.max(1, Math.min(concurrency, queue.length));
    await Promise.all(Array.from({ length: workers }, worker));
    if (workerFailure) throw workerFailure.error;
  } finally {
    clearInterval(timer);
    // Caught here so that a worker's error, if any, is the one that propagates.
    await save(!signal?.aborted && results.size === lines.length).catch((error: unknown) => {
      finalSave = { error };
    });
    onProgress?.({ kind: 'done', task: 'download' });
  }
  if (finalSave) throw finalSave.error;
  return summarize(
    [...results.values()].sort((a, b) => a.line - b.line),
    lines.length,
    stats,
    signal,
  );
}

function summarize(
  entries: ManifestEntry[],
  lines: number,
  stats: { cached: number; requests: number },
  signal: AbortSignal | undefined,
): DownloadSummary {
  const failed: Record<string, number> = {};
  let verified = 0;
  let duplicates = 0;
  const photos = new Set<string>();
  for (const entry of entries) {
    if (entry.status === 'failed') {
      failed[entry.reason] = (failed[entry.reason] ?? 0) + 1;
      continue;
    }
    verified++;
    if (entry.status === 'duplicate') duplicates++;
    photos.add(entry.sha256);
  }
  return {
    lines,
    verified,
    duplicates,
    photos: photos.size,
    failed,
    unfinished: lines - entries.length,
    ...stats,
    interrupted: Boolean(signal?.aborted),
    entries,
  };
}

/** The URL to request for a list URL; an unmirrorable one fails like any bad URL. */
function requestUrl(url: string, mirror: string | undefined): string {
  if (mirror === undefined) return url;
  try {
    return mirrorUrl(url, mirror);
  } catch {
    throw new PhotoFetchError(url, 'invalid url', `'${url}' cannot be mirrored`, false);
  }
}

/**
 * Exponential backoff with jitter. The jitter comes from the photo's own SHA-256 rather than a
 * random generator: it spreads retries of different photos apart, yet a run is reproducible.
 */
export function backoffMs(baseMs: number, attempt: number, sha256: string): number {
  const offset = (attempt * 4) % 60;
  const jitter = Number.parseInt(sha256.slice(offset, offset + 4), 16) / 0x10000;
  return Math.min(30_000, baseMs * 2 ** attempt * (0.5 + (Number.isNaN(jitter) ? 0.5 : jitter)));
}
