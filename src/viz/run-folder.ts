/**
 * Finding the parts of a finished run from the one folder a user names (`--run DIR`): a full
 * `facelab run` folder, a `facelab grid` folder or a `facelab train` folder (see
 * scratch/RUN_LAYOUT.md). Only the model and its metrics are required; everything else (data,
 * download manifest, transfer comparison) is optional, so a report can leave a part out with
 * a note instead of failing.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { manifestPath } from '../data/manifest.js';
import { readSplitManifest, type SplitManifest, splitManifestPath } from '../data/split-manifest.js';
import { UserError } from '../errors.js';
import { RUN_FILES, type RunMetrics } from '../train/run-outputs.js';

/** What `--run DIR` turned out to be, and where its parts are. */
export interface RunFolder {
  /** The folder given, resolved. */
  dir: string;
  /** 'run': DIR/grid/best/model.onnx; 'grid': DIR/grid.json and DIR/best/; 'train': DIR/model.onnx. */
  kind: 'run' | 'grid' | 'train';
  /** The folder of the model: model.onnx, metrics.json, learning curve. */
  modelDir: string;
  /** `modelDir/model.onnx`. */
  modelPath: string;
  /** The model's metrics.json. */
  metrics: RunMetrics;
  /** The grid search folder (grid.json…) when the model came from one. */
  gridDir: string | undefined;
  /** The prepared data folder (split.json, faces_<side>.npz) when it still exists. */
  dataDir: string | undefined;
  /** The data folder's split.json when `dataDir` is found. */
  split: SplitManifest | undefined;
  /** The download cache whose manifest.json describes the photos, when found. */
  cacheDir: string | undefined;
  /** DIR/transfer/comparison.json when present. */
  comparisonPath: string | undefined;
  /** Where each optional part was looked for, for "not found" notes. */
  searched: { data: string[]; cache: string[]; comparison: string };
  /** Parts found but unreadable (e.g. a malformed split.json), one line each. */
  problems: string[];
}

/**
 * Locates a run's parts. Throws a `UserError` when DIR holds no model in any of the three
 * layouts, or when its metrics.json is unreadable.
 *
 * @example const run = await locateRun('runs/six'); run.modelPath; run.dataDir;
 */
export async function locateRun(dir: string): Promise<RunFolder> {
  const root = resolve(dir);
  let kind: RunFolder['kind'];
  let modelDir: string;
  let gridDir: string | undefined;
  if (existsSync(join(root, 'grid', 'best', RUN_FILES.model))) {
    kind = 'run';
    gridDir = join(root, 'grid');
    modelDir = join(gridDir, 'best');
  } else if (existsSync(join(root, 'grid.json')) && existsSync(join(root, 'best', RUN_FILES.model))) {
    kind = 'grid';
    gridDir = root;
    modelDir = join(root, 'best');
  } else if (existsSync(join(root, RUN_FILES.model)) && existsSync(join(root, RUN_FILES.metrics))) {
    kind = 'train';
    modelDir = root;
  } else {
    throw new UserError(
      `${root} is not a run, grid or train folder (looked for grid/best/model.onnx, grid.json with best/model.onnx, and model.onnx with metrics.json)`,
    );
  }
  const metrics = await readMetrics(join(modelDir, RUN_FILES.metrics));

  const dataCandidates: string[] = [];
  if (typeof metrics.data === 'string' && metrics.data !== '') {
    dataCandidates.push(isAbsolute(metrics.data) ? metrics.data : resolve(metrics.data));
  }
  if (kind === 'run') dataCandidates.push(join(root, 'data'));
  let dataDir = dataCandidates.find((d) => existsSync(splitManifestPath(d)));
  let split: SplitManifest | undefined;
  const problems: string[] = [];
  if (dataDir !== undefined) {
    try {
      split = await readSplitManifest(dataDir);
    } catch (error) {
      problems.push((error as Error).message);
      dataDir = undefined;
    }
  }

  const cacheCandidates: string[] = [];
  // `facelab prepare` records the cache it read in split.json.
  if (typeof split?.cache === 'string' && split.cache !== '') cacheCandidates.push(resolve(split.cache));
  // `facelab run --cache DIR` records the cache it used in run.json.
  if (kind === 'run') {
    const runCache = await readRunJsonCache(join(root, 'run.json'));
    if (runCache !== undefined) cacheCandidates.push(runCache);
  }
  cacheCandidates.push(join(root, 'cache'));
  // A run folder keeps data/ and cache/ side by side, so a grid or train folder pointing at a
  // run's data finds the cache beside it.
  if (dataDir !== undefined) cacheCandidates.push(join(dirname(dataDir), 'cache'));
  const cacheDir = [...new Set(cacheCandidates)].find((c) => existsSync(manifestPath(c)));

  const comparison = join(root, 'transfer', 'comparison.json');
  return {
    dir: root,
    kind,
    modelDir,
    modelPath: join(modelDir, RUN_FILES.model),
    metrics,
    gridDir,
    dataDir,
    split,
    cacheDir,
    comparisonPath: existsSync(comparison) ? comparison : undefined,
    searched: { data: dataCandidates, cache: [...new Set(cacheCandidates)], comparison },
    problems,
  };
}

/** The crop side of a model that takes images; a `UserError` for a model that takes features. */
export function imageSideOf(run: RunFolder): number {
  const input = run.metrics.config.input;
  if (input?.kind !== 'image') {
    throw new UserError(
      `the model in ${run.modelDir} takes backbone features, not face crops, so its hidden units have no picture`,
    );
  }
  return input.side;
}

async function readMetrics(path: string): Promise<RunMetrics> {
  let metrics: RunMetrics;
  try {
    metrics = JSON.parse(await readFile(path, 'utf8')) as RunMetrics;
  } catch (error) {
    throw new UserError(`cannot read ${path} (${(error as Error).message})`);
  }
  const labels = metrics?.confusion?.labels;
  if (
    typeof metrics?.config !== 'object' ||
    !Array.isArray(labels) ||
    labels.some((l) => typeof l !== 'string')
  ) {
    throw new UserError(`${path} is not a facelab metrics.json (no config or confusion.labels)`);
  }
  return metrics;
}

/** `options.cache` of a run.json, when it records one. */
async function readRunJsonCache(path: string): Promise<string | undefined> {
  try {
    const state = JSON.parse(await readFile(path, 'utf8')) as { options?: { cache?: unknown } };
    const cache = state.options?.cache;
    return typeof cache === 'string' && cache !== '' ? resolve(cache) : undefined;
  } catch {
    return undefined;
  }
}
