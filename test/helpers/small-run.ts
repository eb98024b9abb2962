/**
 * A small but real run folder in seconds, laid out as `facelab run` leaves it
 * (scratch/RUN_LAYOUT.md): RUN/cache (a fake download cache of the shared photos),
 * RUN/data (prepared 32 px crops of four actors, 30/10/10 per actor) and RUN/grid (a 4-point
 * grid search of short runs, with best/). For the units and report tests.
 */
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPrepared } from '../../src/data/dataset.js';
import { prepareDataset } from '../../src/data/prepare.js';
import { featuresFromImages } from '../../src/train/features.js';
import { runGrid } from '../../src/train/grid-outputs.js';
import { makeFakeCache } from './fake-cache.js';
import { facescrubList } from './shared.js';

/** The actors of a small run (Peri Gilpin has the fewest photos of the six). */
export const SMALL_RUN_ACTORS = ['Alec Baldwin', 'Bill Hader', 'Lorraine Bracco', 'Peri Gilpin'] as const;

/** Photos per actor in each part of the small run's split. */
export const SMALL_RUN_SPLIT = { train: 30, val: 10, test: 10 } as const;

/** A small run folder and how to remove it. */
export interface SmallRun {
  /** The run folder (cache/, data/, grid/). */
  dir: string;
  cleanup(): Promise<void>;
}

/** Builds a small run in a new temp folder (about 5 s on two cores). */
export async function makeSmallRun(): Promise<SmallRun> {
  const dir = await mkdtemp(join(tmpdir(), 'facelab-small-run-'));
  const cache = await makeFakeCache({ actors: SMALL_RUN_ACTORS, parent: dir });
  await rename(cache.dir, join(dir, 'cache'));
  const data = join(dir, 'data');
  await prepareDataset({
    list: facescrubList,
    actors: SMALL_RUN_ACTORS,
    cacheDir: join(dir, 'cache'),
    outDir: data,
    sizes: [32],
    splitSizes: { ...SMALL_RUN_SPLIT },
  });
  const features = featuresFromImages(await loadPrepared(data, 32));
  await runGrid(features, {
    epochs: [8, 16],
    batch: [16],
    hidden: [40],
    lr: [1e-3, 3e-3],
    seed: 0,
    workers: 1,
    threads: 1,
    dir: join(dir, 'grid'),
    input: { kind: 'image', side: 32 },
    extra: { data },
  });
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A comparison.json as `facelab transfer` writes it (numbers made up, shape real). */
export const SAMPLE_COMPARISON = {
  head: { hidden: 300, batch: 32, lr: 0.001, epochs: 200, seed: 0 },
  baseline: {
    method: 'raw pixels 32 px',
    features: 3072,
    accuracy: { train: 1, val: 0.8, test: 0.75 },
    testError: 0.25,
  },
  rows: [
    {
      method: 'face descriptor',
      features: 128,
      accuracy: { train: 1, val: 0.975, test: 0.95 },
      testError: 0.05,
      errorReduction: 0.8,
    },
  ],
};
