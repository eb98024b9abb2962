/**
 * A grid search's folder: `grid.csv` and `grid.json` (every point), `grid_heatmap.svg/.png`
 * (validation accuracy over the grid, chosen point outlined) and `best/`, the chosen point's
 * run folder (model.onnx, metrics.json, learning curve; see `run-outputs.ts`).
 *
 * The sweep itself records accuracies only at the requested epoch counts; the chosen point is
 * then trained again with the same seed and thread count, evaluating after every epoch, for its
 * learning curve. That run must end with exactly the parameters the sweep kept, which is checked
 * (bit for bit, or by their SHA-256 when the sweep's run was loaded from `runs/`).
 *
 * `runs/` keeps every finished run of the sweep (`grid-run-store.ts`): a search interrupted
 * (killed, aborted) and started again over the same data, seed and threads trains only the runs
 * that are missing, and writes the same points and choice.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../data/atomic-file.js';
import type { ClassifierInput } from '../engine/classifier-model.js';
import { gridHeatmapSvg } from '../viz/grid-heatmap.js';
import { svgToPng } from '../viz/rasterize.js';
import { trainClassifier } from './classifier-trainer.js';
import type { FeatureSet } from './features.js';
import { paramsSha256 } from './grid-run-store.js';
import { type GridOptions, type GridPoint, type GridResult, gridSearch } from './grid-search.js';
import { type RunMetrics, writeRunOutputs } from './run-outputs.js';

/** Options of `runGrid`. */
export interface RunGridOptions extends GridOptions {
  /** Output folder. */
  dir: string;
  /** What the exported model takes. */
  input: ClassifierInput;
  /** More fields for grid.json and the winner's metrics.json. */
  extra?: Record<string, unknown>;
  /** More fields for the winner's model metadata (see `RunOutputOptions.modelMetadata`). */
  modelMetadata?: Record<string, unknown>;
  /** Store finished runs in `runs/` and reuse the usable ones found there. Default true. */
  resume?: boolean;
}

/** What `runGrid` returns. */
export interface RunGridResult {
  grid: GridResult;
  /** The chosen point's metrics.json. */
  best: RunMetrics;
  /** Seconds of the chosen point's re-run with learning curves. */
  curveSeconds: number;
  /** Whether the re-run ended with bit-identical parameters to the sweep's. */
  reproduced: boolean;
}

/** File names inside the folder. */
export const GRID_FILES = {
  csv: 'grid.csv',
  json: 'grid.json',
  heatmapSvg: 'grid_heatmap.svg',
  heatmapPng: 'grid_heatmap.png',
  best: 'best',
  runs: 'runs',
} as const;

/** Searches the grid and writes its folder. */
export async function runGrid(data: FeatureSet, options: RunGridOptions): Promise<RunGridResult> {
  const grid = await gridSearch(data, {
    ...options,
    ...(options.resume === false ? {} : { runsDir: join(options.dir, GRID_FILES.runs) }),
  });
  const { best, bestCheckpoint } = grid;
  options.signal?.throwIfAborted();
  const rerun = await trainClassifier(data, {
    hidden: best.hidden,
    batch: best.batch,
    lr: best.lr,
    epochs: best.epochs,
    seed: grid.seed,
    threads: grid.threads,
    engine: grid.engine,
    // A stop request ends the re-run at its next chunk of epochs.
    onProgress: (event) => {
      options.onProgress?.(event);
      if (event.kind === 'start' || (event.kind === 'advance' && event.done < event.total))
        options.signal?.throwIfAborted();
    },
    task: 'best',
  });
  const rerunEnd = rerun.checkpoints.at(-1)!;
  const reproduced = paramsSha256(rerunEnd.params) === bestCheckpoint.paramsSha256;
  // The sweep's own parameters are exported when it has them; a loaded run has only their hash.
  const exported = bestCheckpoint.params ? { ...bestCheckpoint, params: bestCheckpoint.params } : rerunEnd;
  if (!reproduced) {
    options.onProgress?.({
      kind: 'warning',
      task: 'grid',
      message: bestCheckpoint.params
        ? "the re-run of the chosen point did not reproduce the parameters of the sweep bit for bit; exporting the sweep's"
        : 'the re-run of the chosen point did not reproduce the stored run bit for bit (other machine or ORT build?); exporting the re-run',
    });
  }
  const selection = {
    rule:
      grid.select === 'val'
        ? 'validation accuracy (ties: mean of train and validation)'
        : 'test accuracy (optimistic: the test set took part in the choice, as in the reference study)',
    select: grid.select,
  };
  await mkdir(options.dir, { recursive: true });
  const bestMetrics = await writeRunOutputs({
    dir: join(options.dir, GRID_FILES.best),
    result: rerun,
    checkpoint: exported,
    data,
    input: options.input,
    extra: { ...options.extra, selection, reproducedBySweep: reproduced },
    ...(options.modelMetadata ? { modelMetadata: options.modelMetadata } : {}),
  });
  await writeFileAtomic(join(options.dir, GRID_FILES.csv), gridCsv(grid));
  const document = {
    ...options.extra,
    selection,
    seed: grid.seed,
    points: grid.points,
    best: { ...best, dir: GRID_FILES.best },
    runs: grid.runs,
    reusedRuns: grid.reusedRuns,
    workers: grid.workers,
    threads: grid.threads,
    seconds: round(grid.seconds),
    runSeconds: round(grid.runSeconds),
    curveSeconds: round(rerun.seconds),
    reproduced,
  };
  await writeFileAtomic(join(options.dir, GRID_FILES.json), `${JSON.stringify(document, null, 1)}\n`);
  const svg = gridHeatmapSvg(
    grid.points.map((p) => ({ ...key(p), val: p.accuracy.val, chosen: p === best })),
    { title: `Validation accuracy over ${grid.points.length} grid points (seed ${grid.seed})` },
  );
  await writeFileAtomic(join(options.dir, GRID_FILES.heatmapSvg), svg);
  await writeFileAtomic(join(options.dir, GRID_FILES.heatmapPng), await svgToPng(svg, { width: 1400 }));
  return { grid, best: bestMetrics, curveSeconds: rerun.seconds, reproduced };
}

/** One CSV line per point: epochs,batch,hidden,lr,train,val,test,loss,chosen. */
export function gridCsv(grid: GridResult): string {
  const lines = ['epochs,batch,hidden,lr,train,val,test,loss,chosen'];
  for (const p of grid.points) {
    const a = p.accuracy;
    lines.push(
      [p.epochs, p.batch, p.hidden, p.lr, a.train, a.val, a.test, p.loss, p === grid.best ? 1 : 0].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

function key(p: GridPoint): Pick<GridPoint, 'epochs' | 'batch' | 'hidden' | 'lr'> {
  return { epochs: p.epochs, batch: p.batch, hidden: p.hidden, lr: p.lr };
}

function round(seconds: number): number {
  return Math.round(seconds * 100) / 100;
}
