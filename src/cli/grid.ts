/**
 * `facelab grid --data DIR [--size 32] [--epochs 20,100,200] [--batch 32,64,128]
 * [--hidden 100,200,300] [--lr 1e-4,1e-3,1e-2] [--select val|test] [--workers N] [--threads N]
 * [--seed 0] --out DIR [--json]`: the grid search. With `--json` the last stdout line is
 * `{"points":81,"best":{"epochs":…,"batch":…,"hidden":…,"lr":…},"accuracy":{…},"seconds":…}`.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { loadPrepared } from '../data/dataset.js';
import { InvalidOptionError } from '../errors.js';
import { lockOutputFolder } from '../pipeline/output-lock.js';
import { featuresFromImages } from '../train/features.js';
import { GRID_FILES, runGrid } from '../train/grid-outputs.js';
import { REFERENCE_GRID } from '../train/grid-search.js';
import {
  type FlagSpec,
  intFlag,
  intListFlag,
  numberListFlag,
  optionalString,
  parseCommand,
  requireString,
} from './args.js';
import type { Command } from './command.js';
import { printJson, roundSeconds, say } from './output.js';
import { progressPrinter } from './progress-bar.js';
import { dataFlags, engineFlag } from './train.js';

const flags: Record<string, FlagSpec> = {
  ...dataFlags,
  epochs: {
    type: 'string',
    value: 'LIST',
    help: 'epoch counts, comma-separated',
    default: REFERENCE_GRID.epochs.join(','),
  },
  batch: { type: 'string', value: 'LIST', help: 'mini-batch sizes', default: REFERENCE_GRID.batch.join(',') },
  hidden: { type: 'string', value: 'LIST', help: 'hidden units', default: REFERENCE_GRID.hidden.join(',') },
  lr: { type: 'string', value: 'LIST', help: 'learning rates', default: REFERENCE_GRID.lr.join(',') },
  select: {
    type: 'string',
    help: "choose by 'val' accuracy, or by 'test' (the reference's optimistic rule)",
    default: 'val',
  },
  workers: { type: 'string', help: 'runs in parallel (worker threads)', default: 'one per core' },
  threads: {
    type: 'string',
    help: 'ORT threads per run',
    default: '1 with several workers, else one per core',
  },
};

const USAGE =
  '--data DIR [--size 32] [--epochs 20,100,200] [--batch 32,64,128] [--hidden 100,200,300] [--lr 1e-4,1e-3,1e-2] [--select val|test] [--workers N] [--threads N] [--engine auto|native|ort] --out DIR [--json]';
const DESCRIPTION = `Trains every batch × hidden × lr once, to the largest epoch count, and reads the accuracies at
each requested epoch count on the way (a shorter run is a prefix of a longer one with the same
seed): the default 81 points take 27 runs, spread over worker threads. Chooses the point with the
best validation accuracy (ties: mean of train and validation) and reports its test accuracy once;
--select test picks by test accuracy as the reference study did (optimistic). Writes grid.csv,
grid.json, grid_heatmap.svg/.png and best/ (the chosen model, metrics and learning curve).`;

/** The `grid` command. */
export const command: Command = {
  name: 'grid',
  summary: 'grid search over epochs, batch, hidden units and learning rate, in parallel',
  async run(argv) {
    const parsed = parseCommand({ name: 'grid', usage: USAGE, description: DESCRIPTION, flags }, argv);
    if (!parsed) return 0;
    const { values, json } = parsed;
    const dataDir = requireString(values, 'data');
    const outDir = requireString(values, 'out');
    const side = intFlag(values, 'size', 32, 1, 4096);
    const select = optionalString(values, 'select') ?? 'val';
    if (select !== 'val' && select !== 'test')
      throw new InvalidOptionError('--select', "'val' or 'test'", select);
    const workers = intFlag(values, 'workers', availableParallelism(), 1, 256);
    const threads = values.threads === undefined ? undefined : intFlag(values, 'threads', 1, 1, 1024);
    const grid = {
      epochs: intListFlag(values, 'epochs', [...REFERENCE_GRID.epochs]),
      batch: intListFlag(values, 'batch', [...REFERENCE_GRID.batch]),
      hidden: intListFlag(values, 'hidden', [...REFERENCE_GRID.hidden]),
      lr: numberListFlag(values, 'lr', [...REFERENCE_GRID.lr]),
    };
    const seed = intFlag(values, 'seed', 0, 0, 0xffffffff);
    const engine = engineFlag(values);

    const lock = await lockOutputFolder(outDir);
    try {
      const started = Date.now();
      const data = featuresFromImages(await loadPrepared(dataDir, side));
      const result = await runGrid(data, {
        ...grid,
        seed,
        select,
        workers,
        ...(threads === undefined ? {} : { threads }),
        engine,
        dir: outDir,
        input: { kind: 'image', side },
        extra: { data: resolve(dataDir) },
        onProgress: progressPrinter(),
      });
      const { best, points, runs, seconds } = result.grid;
      const a = result.best.accuracy;
      const rule =
        select === 'val'
          ? 'best validation accuracy'
          : 'best TEST accuracy (optimistic: the test set chose the point)';
      say(
        `${points.length} points from ${runs} runs on ${result.grid.workers} workers × ${result.grid.threads} ORT threads in ${seconds.toFixed(2)} s`,
        json,
      );
      say(
        `chosen by ${rule}: ${best.epochs} epochs, batch ${best.batch}, hidden ${best.hidden}, lr ${best.lr}`,
        json,
      );
      say(`accuracy  train ${a.train.toFixed(4)}  val ${a.val.toFixed(4)}  test ${a.test.toFixed(4)}`, json);
      say(`wrote ${Object.values(GRID_FILES).join(', ')} to ${resolve(outDir)}`, json);
      if (json) {
        printJson({
          points: points.length,
          best: { epochs: best.epochs, batch: best.batch, hidden: best.hidden, lr: best.lr },
          accuracy: a,
          select,
          ...(select === 'test' ? { optimistic: true } : {}),
          seconds: Math.round(seconds * 100) / 100,
          wallSeconds: roundSeconds(Date.now() - started),
        });
      }
      return 0;
    } finally {
      await lock.release();
    }
  },
};
