/**
 * `facelab run` as a library call: download → prepare (32 and 227 px) → grid search → hidden
 * units of every actor → transfer (the face backbone unless another is given) → report, in one run folder (`run-layout.ts`),
 * each step skipped when its outputs are complete and current (`step-runner.ts`), the whole run
 * resumable after a kill at any point.
 */
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseMirrorBase } from '../data/mirror-url.js';
import { InvalidOptionError, UserError } from '../errors.js';
import type { OnProgress } from '../progress.js';
import { type GridSelection, REFERENCE_GRID } from '../train/grid-search.js';
import type { BackboneKind } from '../transfer/backbones.js';
import type { HeadOptions } from '../transfer/transfer.js';
import { positiveInteger } from '../validate.js';
import { pipelineSteps, type RunAccuracies, runAccuracies, type StepContext } from './pipeline-steps.js';
import { checkRunFolder, runLayout } from './run-layout.js';
import { acquireRunLock } from './run-lock.js';
import { type RunState, readRunState, type StepName, type StepOutcome, writeRunState } from './run-state.js';
import { runSteps, type StepEvent } from './step-runner.js';
import { checkTransferLayers, type TransferHead, transferChoice } from './transfer-step.js';

/** The grid searched by the pipeline; any list left out is the reference grid's. */
export interface PipelineGrid {
  /** Epoch counts. Default 20, 100, 200. */
  epochs?: readonly number[];
  /** Mini-batch sizes. Default 32, 64, 128. */
  batch?: readonly number[];
  /** Hidden units. Default 100, 200, 300. */
  hidden?: readonly number[];
  /** Learning rates. Default 1e-4, 1e-3, 1e-2. */
  lr?: readonly number[];
}

/** Options of `runPipeline`. Give one source: `list` (downloaded first), `photosDir` or `labels`. */
export interface PipelineOptions {
  /** A FaceScrub list (`--subset`): its photos are downloaded first. */
  list?: string;
  /** A folder per person (`--photos`): `photosDir/<person>/<photo>`; no download step. */
  photosDir?: string;
  /** A labels CSV (`--labels`): `path,person[,x1,y1,x2,y2]`; no download step. */
  labels?: string;
  /** The run folder (created). */
  out: string;
  /** Only these actors. Default: everyone in the list. */
  actors?: readonly string[];
  /** Mirror base URL for the downloads (see `mirrorUrl`). Default: the original URLs. */
  mirror?: string;
  /** Download cache. Default RUN/cache. */
  cacheDir?: string;
  /** Grid to search. Default: the reference grid (81 points). */
  grid?: PipelineGrid;
  /** Seed of the grid's runs and of the face head. Default 0. */
  seed?: number;
  /** Seed of the train/val/test split. Default 1 (the reference's). */
  splitSeed?: number;
  /**
   * Backbone of the transfer step: one of `RUN_BACKBONES` (those whose weights ship inside
   * facelab's packages; AlexNet and ONNX files go through `runTransfer`). Default 'face'.
   */
  backbone?: BackboneKind;
  /**
   * Train the transfer head on each of these backbone layers ('all': the backbone's documented
   * tap points) and keep the one with the best validation accuracy. Default: the backbone's
   * default layer only.
   */
  layers?: readonly string[] | 'all';
  /** Hyper-parameters of the transfer head and its raw-pixel baseline. Default 200 epochs, batch 32, hidden 300, lr 1e-3. */
  head?: Omit<HeadOptions, 'seed'>;
  /** Hidden units drawn per actor. Default 3. */
  unitsTop?: number;
  /** Grid runs in parallel. Default one per core. */
  workers?: number;
  /** ORT threads per run. Default: see `gridSearch`. */
  threads?: number;
  /** Stops the run at the next safe point (finished work stays recorded). */
  signal?: AbortSignal;
  /** Progress of the step running. */
  onProgress?: OnProgress;
  /** Steps starting, skipped, finished. */
  onStep?: (event: StepEvent) => void;
  /** Names a new run folder may already hold besides the run's own (e.g. the demo's dataset). Default none. */
  folderExtras?: readonly string[];
  /**
   * The caller already holds the run folder's lock (`facelab demo` takes it before writing its
   * dataset into the folder). Default false: the pipeline takes the lock itself.
   */
  lockHeld?: boolean;
}

/** What `runPipeline` returns. */
export interface PipelineResult {
  /** The run folder. */
  dir: string;
  /** `report.html`. */
  report: string;
  /** Test accuracy of the grid's chosen raw-pixel model and of the transfer head (also as `face` for the face backbone). */
  accuracy: RunAccuracies;
  /** The transfer head: backbone, layer (the chosen one with `layers`) and folder (its `model.onnx` takes crops). */
  transfer: TransferHead;
  /** What happened to each step in this invocation. */
  steps: Record<StepName, StepOutcome>;
  /** Wall-clock seconds of this invocation. */
  seconds: number;
}

/**
 * Runs the whole pipeline into `options.out`.
 *
 * @example
 * const r = await runPipeline({ list: 'faces_subset.txt', out: 'runs/six', actors: ['Bill Hader', 'Steve Carell'] });
 * r.report; r.accuracy.transfer; r.transfer.dir; // RUN/transfer/head-face-descriptor
 */
export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const started = Date.now();
  const sources = [options.list, options.photosDir, options.labels].filter((s) => s !== undefined);
  if (sources.length !== 1)
    throw new UserError('give one source of photos: --subset LIST, --photos DIR or --labels FILE.csv');
  const list = resolve(sources[0]!);
  try {
    await access(list);
  } catch {
    throw new UserError(`${list} does not exist or cannot be read`);
  }
  const layout = runLayout(options.out, options.cacheDir);
  const context = stepContext(options, list, layout);
  await checkTransferLayers(context.transfer);
  await checkRunFolder(layout, options.folderExtras);
  const lock = options.lockHeld ? undefined : await acquireRunLock(layout.lock, layout.root);
  try {
    const now = new Date().toISOString();
    const previous = await readRunState(layout.state);
    const state: RunState = {
      version: 1,
      list,
      options: describeOptions(context),
      created: previous?.list === list ? previous.created : now,
      updated: now,
      // A state of another list says nothing about this one's files.
      steps: previous?.list === list ? previous.steps : {},
    };
    await writeRunState(layout.state, state);
    const steps = await runSteps({
      root: layout.root,
      statePath: layout.state,
      state,
      steps: pipelineSteps(context),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onStep ? { onStep: options.onStep } : {}),
    });
    const measured = await runAccuracies(layout, context.transfer);
    return {
      dir: layout.root,
      report: layout.report,
      accuracy: measured.accuracy,
      transfer: measured.head,
      steps: steps as Record<StepName, StepOutcome>,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await lock?.release();
  }
}

function stepContext(options: PipelineOptions, list: string, layout: StepContext['layout']): StepContext {
  const grid = options.grid ?? {};
  const select: GridSelection = 'val';
  const head = { hidden: 300, batch: 32, lr: 1e-3, epochs: 200, ...options.head, seed: options.seed ?? 0 };
  for (const name of ['hidden', 'batch', 'epochs'] as const) positiveInteger(`head ${name}`, head[name]);
  if (!(head.lr > 0) || !Number.isFinite(head.lr))
    throw new InvalidOptionError('head lr', 'a positive number', head.lr);
  const unitsTop = positiveInteger('unitsTop', options.unitsTop ?? 3);
  const photos =
    options.photosDir !== undefined
      ? { kind: 'folder' as const, path: list }
      : options.labels !== undefined
        ? { kind: 'labels' as const, path: list }
        : undefined;
  if (photos && (options.actors !== undefined || options.mirror !== undefined))
    throw new UserError('--actors and --mirror go with --subset (a FaceScrub list to download)');
  return {
    layout,
    list: photos ? undefined : list,
    photos,
    actors: options.actors ? [...new Set(options.actors)].sort() : undefined,
    mirror: options.mirror === undefined ? undefined : parseMirrorBase(options.mirror),
    splitSeed: options.splitSeed ?? 1,
    grid: {
      epochs: [...(grid.epochs ?? REFERENCE_GRID.epochs)],
      batch: [...(grid.batch ?? REFERENCE_GRID.batch)],
      hidden: [...(grid.hidden ?? REFERENCE_GRID.hidden)],
      lr: [...(grid.lr ?? REFERENCE_GRID.lr)],
      seed: options.seed ?? 0,
      select,
    },
    transfer: transferChoice(options.backbone, options.layers),
    head,
    unitsTop,
    workers: options.workers,
    threads: options.threads,
    signal: options.signal,
    onProgress: options.onProgress,
  };
}

/** The options as recorded in run.json. */
function describeOptions(context: StepContext): Record<string, unknown> {
  return {
    actors: context.actors ?? null,
    mirror: context.mirror ?? null,
    cache: context.layout.cache,
    splitSeed: context.splitSeed,
    grid: context.grid,
    transfer: context.transfer,
    head: context.head,
    unitsTop: context.unitsTop,
    workers: context.workers ?? null,
    threads: context.threads ?? null,
  };
}
