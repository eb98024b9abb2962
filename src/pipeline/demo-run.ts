/**
 * `facelab demo` as a library call: generate the synthetic FaceScrub-like dataset (`src/demo`),
 * serve its photos from the built-in loopback server, and run the real pipeline against it
 * through `--mirror`, so every stage (download with its broken lines, prepare, grid, units,
 * transfer, report) runs offline, on made-up people. A smaller grid than the reference one keeps
 * it within a few minutes on two cores.
 */
import { join, resolve } from 'node:path';
import { startPhotoServer } from '../demo/photo-server.js';
import { generateDemoDataset } from '../demo/synthetic-dataset.js';
import type { OnProgress } from '../progress.js';
import { checkRunFolder, runLayout } from './run-layout.js';
import { acquireRunLock } from './run-lock.js';
import { type PipelineOptions, type PipelineResult, runPipeline } from './run-pipeline.js';

/**
 * The demo's grid: 2 × 2 × 2 × 3 = 24 points from 12 runs, the corners of the reference grid
 * (epochs 20–100 of 20/100/200, batch 32/64, hidden 100/300) and all three of its learning rates.
 * Under a quarter of the reference grid's epochs of training (12 runs × 100 vs 27 × 200), to keep
 * the demo well within a few minutes on two cores.
 */
export const DEMO_GRID = {
  epochs: [20, 100],
  batch: [32, 64],
  hidden: [100, 300],
  lr: [1e-4, 1e-3, 1e-2],
} as const;

/** The dataset's folder inside the demo's run folder. */
const DATASET_DIR = 'dataset';

/** Default folder of `facelab demo`. */
export const DEFAULT_DEMO_DIR = 'facelab-demo';

/** Options of `runDemo`. */
export interface DemoOptions
  extends Omit<PipelineOptions, 'list' | 'out' | 'mirror' | 'cacheDir' | 'actors'> {
  /** The run folder; the dataset goes to its `dataset/`. Default `facelab-demo`. */
  out?: string;
  /** Good photos per synthetic person. Default 50 (see `generateDemoDataset`). */
  photosPerPerson?: number;
  /** Seed of the synthetic people and photos. Default 1. */
  datasetSeed?: number;
  onProgress?: OnProgress;
}

/** What `runDemo` returns: the pipeline's result and the synthetic people. */
export interface DemoResult extends PipelineResult {
  /** The made-up people's names. */
  people: string[];
  /** The generated list file. */
  list: string;
  /** True when an existing dataset was reused instead of drawn again. */
  datasetReused: boolean;
}

/**
 * Generates (or reuses) the dataset, serves it on 127.0.0.1 and runs the pipeline against it.
 *
 * @example
 * const r = await runDemo({ out: 'facelab-demo' });
 * r.report; r.accuracy;
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const out = resolve(options.out ?? DEFAULT_DEMO_DIR);
  const { out: _, photosPerPerson, datasetSeed, ...pipeline } = options;
  const layout = runLayout(out);
  await checkRunFolder(layout, [DATASET_DIR]);
  // Taken before the dataset is (re)written: a second demo in the same folder must not replace
  // the photos a running one is serving.
  const lock = await acquireRunLock(layout.lock, layout.root);
  try {
    const dataset = await generateDemoDataset({
      outDir: join(out, DATASET_DIR),
      ...(datasetSeed !== undefined ? { seed: datasetSeed } : {}),
      ...(photosPerPerson !== undefined ? { photosPerPerson } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    options.signal?.throwIfAborted();
    const server = await startPhotoServer({ imagesDir: dataset.imagesDir, routes: dataset.routes });
    try {
      const result = await runPipeline({
        grid: DEMO_GRID,
        ...pipeline,
        list: dataset.listFile,
        out,
        mirror: server.url,
        folderExtras: [DATASET_DIR],
        lockHeld: true,
      });
      return { ...result, people: dataset.people, list: dataset.listFile, datasetReused: dataset.reused };
    } finally {
      await server.close();
    }
  } finally {
    await lock.release();
  }
}
