/**
 * A download cache built without downloading: the shared FaceScrub photos are symlinked into
 * `<dir>/photos/` and `manifest.json` records every selected list line as `download` would
 * (first line of a photo `verified`, later lines of the same photo `duplicate`, the rest
 * `failed` with 'http 404'). Lets prepare and crop tests run offline and in seconds.
 */
import { mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { readFaceList } from '../../src/data/face-list.js';
import { type DownloadManifest, type ManifestEntry, writeManifest } from '../../src/data/manifest.js';
import { type PrepareOptions, prepareDataset } from '../../src/data/prepare.js';
import { facescrubImages, facescrubList, SIX_ACTORS } from './shared.js';

/** A fake cache and how to remove it. */
export interface FakeCache {
  dir: string;
  /** Lines recorded as verified (one per distinct photo). */
  verified: number;
  cleanup(): Promise<void>;
}

/** Options of `makeFakeCache`. */
export interface FakeCacheOptions {
  /** Actors whose lines go into the manifest. Default: the six seed actors. */
  actors?: readonly string[];
  /** Parent of the temp folder. Default the OS temp folder. */
  parent?: string;
}

/** Builds a fake cache for the shared list in a new temp folder. */
export async function makeFakeCache(options: FakeCacheOptions = {}): Promise<FakeCache> {
  const dir = await mkdtemp(join(options.parent ?? tmpdir(), 'facelab-cache-'));
  const photos = join(dir, 'photos');
  await mkdir(photos);
  const images = new Map((await readdir(facescrubImages)).map((f) => [f.slice(0, 64), f]));
  const list = await readFaceList(facescrubList, { actors: options.actors ?? SIX_ACTORS });
  const firstLine = new Map<string, number>();
  const entries: ManifestEntry[] = [];
  for (const line of list.lines) {
    const image = images.get(line.sha256);
    const base = { line: line.line, name: line.name, url: line.url, sha256: line.sha256, box: line.box };
    if (!image) {
      entries.push({ ...base, status: 'failed', reason: 'http 404' });
      continue;
    }
    const file = `photos/${line.sha256}${extname(image)}`;
    const first = firstLine.get(line.sha256);
    if (first !== undefined) {
      entries.push({ ...base, status: 'duplicate', reason: `duplicate of line ${first}`, file });
      continue;
    }
    firstLine.set(line.sha256, line.line);
    await symlink(join(facescrubImages, image), join(dir, file));
    entries.push({ ...base, status: 'verified', reason: 'verified', file });
  }
  const manifest: DownloadManifest = {
    version: 1,
    list: facescrubList,
    updated: new Date().toISOString(),
    entries,
  };
  await writeManifest(dir, manifest);
  return { dir, verified: firstLine.size, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * A fake cache of `actors` (default the six seed actors) in `parent`, prepared into
 * `<parent>/<name>` as `facelab prepare` would (`prepare` options such as sizes pass through).
 * Resolves to the prepared folder.
 */
export async function makePreparedData(
  parent: string,
  options: { actors?: readonly string[]; name?: string } & Partial<
    Pick<PrepareOptions, 'sizes' | 'splitSizes'>
  > = {},
): Promise<string> {
  // The list names twelve people but the cache holds these only: prepare is told so (it refuses
  // a list whose people have no download records).
  const { actors = SIX_ACTORS, name = 'data', ...prepare } = options;
  const cache = await makeFakeCache({ parent, actors });
  const outDir = join(parent, name);
  await prepareDataset({
    list: facescrubList,
    actors,
    cacheDir: cache.dir,
    outDir,
    ...prepare,
  });
  return outDir;
}
