/**
 * The six steps of `facelab run`, each a thin wrapper over the library function its own command
 * calls, with the files it reads and writes (for skipping) and the options its outputs depend
 * on. Options that change how, not what (mirror, workers, threads, concurrency), are left out,
 * so changing them does not redo finished work.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../data/atomic-file.js';
import { loadPrepared } from '../data/dataset.js';
import { downloadPhotos } from '../data/download.js';
import { readFaceList } from '../data/face-list.js';
import { manifestPath } from '../data/manifest.js';
import { prepareDataset } from '../data/prepare.js';
import { npzPathFor, readSplitManifest, splitManifestPath } from '../data/split-manifest.js';
import { UserError } from '../errors.js';
import type { OnProgress } from '../progress.js';
import { featuresFromImages } from '../train/features.js';
import { GRID_FILES, runGrid } from '../train/grid-outputs.js';
import type { GridSelection } from '../train/grid-search.js';
import { RUN_FILES } from '../train/run-outputs.js';
import type { HeadOptions } from '../transfer/transfer.js';
import { type ActorUnitsResult, writeActorsUnits } from '../viz/actor-units.js';
import { writeReport } from '../viz/report.js';
import { actorSlug, type RunLayout } from './run-layout.js';
import type { PipelineStep } from './step-runner.js';
import { type TransferChoice, type TransferHead, transferHead, transferStep } from './transfer-step.js';

/** The side of the raw-pixel classifier (the grid's), and the side the face backbone is fed from. */
export const PIXEL_SIDE = 32;
/** Prepared crop sides: 32 for the pixel classifier, 227 for backbones (the face one resizes to 150). */
export const PREPARED_SIDES = [PIXEL_SIDE, 227] as const;

/** Everything the steps need, resolved. */
export interface StepContext {
  layout: RunLayout;
  /** The FaceScrub list, absolute (its photos are downloaded first); undefined with `photos`. */
  list: string | undefined;
  /** A folder per person or a labels CSV, absolute: no download step. */
  photos: { kind: 'folder' | 'labels'; path: string } | undefined;
  /** Sorted actor names, or undefined for everyone in the list. */
  actors: string[] | undefined;
  mirror: string | undefined;
  /** Seed of the train/val/test split. */
  splitSeed: number;
  grid: {
    epochs: number[];
    batch: number[];
    hidden: number[];
    lr: number[];
    seed: number;
    select: GridSelection;
  };
  /** The backbone (and layers) of the transfer step. */
  transfer: TransferChoice;
  /** Hyper-parameters of the transfer head and its raw-pixel baseline. */
  head: Required<HeadOptions>;
  /** Hidden units shown per actor. */
  unitsTop: number;
  workers: number | undefined;
  threads: number | undefined;
  signal: AbortSignal | undefined;
  onProgress: OnProgress | undefined;
}

/** The steps in order: download (for a FaceScrub list), prepare, grid, units, transfer, report. */
export function pipelineSteps(context: StepContext): PipelineStep[] {
  const { layout } = context;
  return [
    ...(context.list !== undefined ? [downloadStep(context, context.list)] : []),
    prepareStep(context),
    gridStep(context),
    unitsStep(context),
    transferStep(context, {
      baselineSide: PIXEL_SIDE,
      inputs: [
        ...PREPARED_SIDES.map((side) => npzPathFor(layout.data, side)),
        splitManifestPath(layout.data),
      ],
    }),
    reportStep(context),
  ];
}

function progress(context: StepContext): { onProgress?: OnProgress } {
  return context.onProgress ? { onProgress: context.onProgress } : {};
}

function downloadStep(context: StepContext, list: string): PipelineStep {
  const { layout, actors } = context;
  return {
    name: 'download',
    options: { actors: actors ?? null },
    inputs: () => [list],
    outputs: () => [manifestPath(layout.cache)],
    async run() {
      const parsed = await readFaceList(list, actors ? { actors } : {});
      for (const problem of parsed.problems)
        context.onProgress?.({ kind: 'warning', task: 'download', message: problem.message });
      const summary = await downloadPhotos({
        lines: parsed.lines,
        list,
        cacheDir: layout.cache,
        ...(context.mirror !== undefined ? { mirror: context.mirror } : {}),
        ...(context.signal ? { signal: context.signal } : {}),
        ...progress(context),
      });
      context.signal?.throwIfAborted();
      if (summary.photos === 0) {
        const reasons = Object.entries(summary.failed).map(([reason, n]) => `${reason}: ${n}`);
        throw new UserError(
          `none of the ${summary.lines} selected lines of ${list} could be downloaded (${reasons.join(', ') || 'no lines'})${context.mirror === undefined ? '; offline? try --mirror' : ''}`,
        );
      }
      return {
        lines: summary.lines,
        verified: summary.verified,
        photos: summary.photos,
        failed: summary.failed,
      };
    },
  };
}

function prepareStep(context: StepContext): PipelineStep {
  const { layout, list, actors, photos } = context;
  const source =
    list !== undefined
      ? { list, cacheDir: layout.cache, ...(actors ? { actors } : {}) }
      : photos!.kind === 'folder'
        ? { photosDir: photos!.path }
        : { labels: photos!.path };
  return {
    name: 'prepare',
    options: {
      actors: actors ?? null,
      sizes: [...PREPARED_SIDES],
      seed: context.splitSeed,
      source: photos ?? null,
    },
    // A folder changes when a file is added to or removed from a person's folder: their mtimes are the inputs.
    inputs: async () =>
      list !== undefined
        ? [list, manifestPath(layout.cache)]
        : photos!.kind === 'folder'
          ? [photos!.path, ...(await personFolders(photos!.path))]
          : [photos!.path],
    outputs: () => [
      ...PREPARED_SIDES.map((side) => npzPathFor(layout.data, side)),
      splitManifestPath(layout.data),
    ],
    async run() {
      const result = await prepareDataset({
        ...source,
        outDir: layout.data,
        sizes: [...PREPARED_SIDES],
        seed: context.splitSeed,
        ...progress(context),
      });
      return {
        photos: result.photos,
        split: result.split,
        actors: result.actors,
        leftOut: result.leftOutCounts,
      };
    },
  };
}

function gridStep(context: StepContext): PipelineStep {
  const { layout } = context;
  const dir = layout.grid;
  return {
    name: 'grid',
    options: context.grid,
    inputs: () => [npzPathFor(layout.data, PIXEL_SIDE), splitManifestPath(layout.data)],
    outputs: () => [
      join(dir, GRID_FILES.json),
      join(dir, GRID_FILES.csv),
      join(dir, GRID_FILES.heatmapPng),
      join(dir, GRID_FILES.best, RUN_FILES.model),
      join(dir, GRID_FILES.best, RUN_FILES.metrics),
    ],
    async run() {
      const data = featuresFromImages(await loadPrepared(layout.data, PIXEL_SIDE));
      const result = await runGrid(data, {
        ...context.grid,
        ...(context.workers !== undefined ? { workers: context.workers } : {}),
        ...(context.threads !== undefined ? { threads: context.threads } : {}),
        dir,
        input: { kind: 'image', side: PIXEL_SIDE },
        extra: { data: layout.data },
        ...(context.signal ? { signal: context.signal } : {}),
        ...progress(context),
      });
      const { epochs, batch, hidden, lr } = result.grid.best;
      return {
        best: { epochs, batch, hidden, lr },
        accuracy: result.best.accuracy,
        runs: result.grid.runs,
        reusedRuns: result.grid.reusedRuns,
      };
    },
  };
}

/** The `units.json` document. */
export interface UnitsDocument {
  /** One entry per actor; `file` is the PNG's name inside the units folder. */
  actors: (Omit<ActorUnitsResult, 'out'> & { file: string })[];
}

function unitsStep(context: StepContext): PipelineStep {
  const { layout } = context;
  const actorFiles = async (): Promise<{ actor: string; file: string }[]> => {
    const { actors } = await readSplitManifest(layout.data);
    const used = new Set<string>();
    return actors.map((actor) => {
      let file = `${actorSlug(actor)}.png`;
      for (let n = 2; used.has(file); n++) file = `${actorSlug(actor)}-${n}.png`;
      used.add(file);
      return { actor, file };
    });
  };
  const best = join(layout.grid, GRID_FILES.best);
  return {
    name: 'units',
    options: { top: context.unitsTop, rank: 'frequency' },
    inputs: () => [
      join(best, RUN_FILES.model),
      join(best, RUN_FILES.metrics),
      npzPathFor(layout.data, PIXEL_SIDE),
    ],
    outputs: async () => [layout.unitsJson, ...(await actorFiles()).map((a) => join(layout.units, a.file))],
    async run() {
      const document: UnitsDocument = { actors: [] };
      const files = await actorFiles();
      context.onProgress?.({ kind: 'start', task: 'units', total: files.length });
      await writeActorsUnits({
        run: layout.root,
        top: context.unitsTop,
        rank: 'frequency',
        figures: files.map(({ actor, file }) => ({ actor, out: join(layout.units, file) })),
        onFigure: (result, index) => {
          context.signal?.throwIfAborted();
          const { actor, rank, units } = result;
          document.actors.push({ actor, rank, units, file: files[index]!.file });
          context.onProgress?.({
            kind: 'advance',
            task: 'units',
            done: index + 1,
            total: files.length,
            detail: result.actor,
          });
        },
      });
      context.onProgress?.({ kind: 'done', task: 'units' });
      await writeJsonAtomic(layout.unitsJson, document);
      return { actors: files.length };
    },
  };
}

function reportStep(context: StepContext): PipelineStep {
  const { layout } = context;
  const best = join(layout.grid, GRID_FILES.best);
  return {
    name: 'report',
    options: {},
    inputs: () => [
      join(layout.grid, GRID_FILES.json),
      join(best, RUN_FILES.metrics),
      layout.unitsJson,
      join(layout.transfer, 'comparison.json'),
      splitManifestPath(layout.data),
    ],
    outputs: () => [layout.report],
    async run() {
      const result = await writeReport({ run: layout.root, out: layout.report, ...progress(context) });
      return { sections: result.sections };
    },
  };
}

/** The person folders of a folder per person (absolute). */
async function personFolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => join(dir, e.name));
}

/** What a finished run measured: test accuracies of the grid's chosen model and of the transfer head. */
export interface RunAccuracies {
  /** Test accuracy of the grid's chosen raw-pixel model. */
  pixels: number;
  /** Test accuracy of the transfer head (the chosen layer's, with `--layers`). */
  transfer: number;
  /** The same as `transfer`, kept under its old name when the backbone is the default, face. */
  face?: number;
}

/** Test accuracies of the finished run, read from its files, and the transfer head they come from. */
export async function runAccuracies(
  layout: RunLayout,
  choice: TransferChoice,
): Promise<{ accuracy: RunAccuracies; head: TransferHead }> {
  const testOf = async (path: string): Promise<number> => {
    const metrics = JSON.parse(await readFile(path, 'utf8')) as { accuracy?: { test?: unknown } };
    const test = metrics.accuracy?.test;
    if (typeof test !== 'number') throw new UserError(`${path} has no test accuracy`);
    return test;
  };
  const head = await transferHead(layout, choice);
  const transfer = await testOf(join(head.dir, RUN_FILES.metrics));
  return {
    accuracy: {
      pixels: await testOf(join(layout.grid, GRID_FILES.best, RUN_FILES.metrics)),
      transfer,
      ...(head.backbone === 'face' ? { face: transfer } : {}),
    },
    head,
  };
}
