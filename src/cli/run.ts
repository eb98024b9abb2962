/**
 * `facelab run (--photos DIR | --labels FILE.csv | --subset FILE [--actors LIST] [--mirror URL] [--cache DIR]) --out DIR
 * [--backbone NAME] [--layers all|LIST] [grid flags] [--json]`: the whole pipeline, resumable. With `--json` the last
 * stdout line is `{"report":path,"accuracy":{"pixels":test,"transfer":test[,"face":test]},"seconds":…,
 * "steps":{step:"ran"|"skipped"},"dir":…,"backbone":…,"layer":…,"model":head folder}` (`face` only with the face
 * backbone, the default).
 */
import { UserError } from '../errors.js';
import { type PipelineOptions, type PipelineResult, runPipeline } from '../pipeline/run-pipeline.js';
import type { StepEvent } from '../pipeline/step-runner.js';
import { DEFAULT_RUN_BACKBONE, RUN_BACKBONES } from '../pipeline/transfer-step.js';
import type { OnProgress } from '../progress.js';
import { REFERENCE_GRID } from '../train/grid-search.js';
import type { BackboneKind } from '../transfer/backbones.js';
import {
  type FlagSpec,
  intFlag,
  intListFlag,
  nameListFlag,
  numberListFlag,
  optionalString,
  type ParsedArgs,
  parseCommand,
  requireString,
} from './args.js';
import type { Command } from './command.js';
import { backboneHelp, layersFlag } from './features.js';
import { printJson, say } from './output.js';
import { pipelineDisplay } from './run-progress.js';
import { handleStopSignals, SIGNAL_EXIT } from './stop-signals.js';

/** Defaults of the pipeline flags: the grid and the face head's epochs. */
export interface PipelineDefaults {
  grid: {
    epochs: readonly number[];
    batch: readonly number[];
    hidden: readonly number[];
    lr: readonly number[];
  };
  headEpochs: number;
}

const RUN_DEFAULTS: PipelineDefaults = { grid: REFERENCE_GRID, headEpochs: 200 };

/** Flags shared by `run` and `demo`: the grid, seeds, the face head and parallelism. */
export function pipelineFlags(defaults: PipelineDefaults): Record<string, FlagSpec> {
  const { grid } = defaults;
  return {
    epochs: { type: 'string', value: 'LIST', help: 'grid epoch counts', default: grid.epochs.join(',') },
    batch: { type: 'string', value: 'LIST', help: 'grid mini-batch sizes', default: grid.batch.join(',') },
    hidden: { type: 'string', value: 'LIST', help: 'grid hidden units', default: grid.hidden.join(',') },
    lr: { type: 'string', value: 'LIST', help: 'grid learning rates', default: grid.lr.join(',') },
    seed: { type: 'string', help: 'seed of the grid runs and the face head', default: '0' },
    'split-seed': { type: 'string', help: 'seed of the train/val/test split', default: '1' },
    'head-epochs': {
      type: 'string',
      help: 'epochs of the face head and its raw-pixel baseline',
      default: String(defaults.headEpochs),
    },
    workers: { type: 'string', help: 'grid runs in parallel', default: 'one per core' },
    threads: { type: 'string', help: 'ORT threads per run', default: 'see facelab grid --help' },
  };
}

const flags: Record<string, FlagSpec> = {
  photos: {
    type: 'string',
    help: 'a folder per person: DIR/<person>/<photo> (no download step)',
    value: 'DIR',
  },
  labels: {
    type: 'string',
    help: 'a CSV of path,person[,x1,y1,x2,y2] lines (no download step)',
    value: 'FILE.csv',
  },
  subset: { type: 'string', help: 'a FaceScrub list file (tab-separated): its photos are downloaded first' },
  actors: { type: 'string', help: 'comma-separated actor names to keep', default: 'everyone in the list' },
  mirror: { type: 'string', help: 'fetch URL/HOST/PATH?QUERY instead of each http(s)://HOST/PATH?QUERY' },
  cache: { type: 'string', help: 'download cache folder', default: 'OUT/cache' },
  out: { type: 'string', help: 'run folder (created; a re-run resumes it)' },
  backbone: {
    type: 'string',
    help: `backbone of the transfer step: ${RUN_BACKBONES.join(', ')} (what each was trained on: below)`,
    default: DEFAULT_RUN_BACKBONE,
  },
  layers: {
    type: 'string',
    value: 'all|L1,L2,…',
    help: "train the transfer head on each layer (all: the backbone's tap points below) and keep the best by validation accuracy",
    default: "the backbone's default layer",
  },
  ...pipelineFlags(RUN_DEFAULTS),
};

const USAGE =
  '(--photos DIR | --labels FILE.csv | --subset FILE [--actors LIST] [--mirror URL] [--cache DIR]) --out DIR [--backbone NAME] [--layers all|LIST] [--epochs LIST] [--batch LIST] [--hidden LIST] [--lr LIST] [--json]';
const DESCRIPTION = `Runs download (for a FaceScrub list; none for --photos or --labels) -> prepare (faces found
where no box is given, 32 and 227 px crops, aligned crops) -> grid search (the reference grid unless
--epochs/--batch/--hidden/--lr shrink it) -> hidden units of every actor -> transfer (the head on
a backbone's features, --backbone, face by default; OUT/transfer/head-<backbone>-<layer>/model.onnx
takes crops) -> report.html, all into OUT. OUT/run.json records each step; a re-run skips the steps
whose outputs are complete and newer than their inputs and were made with the same options (another
--backbone or --layers redoes the transfer and the report), and a killed run resumes where it
stopped (downloaded photos and finished grid runs are kept). Ctrl-C stops at the next safe point.
Prints where the report is.
Backbones, what they were trained on, and their --layers all tap points (shallow to deep; alexnet
and onnx need a weights file: facelab transfer --weights):
${backboneHelp(RUN_BACKBONES)}`;

/** Reads the shared pipeline flags into `runPipeline` options. */
export function pipelineFlagOptions(
  values: ParsedArgs['values'],
  defaults: PipelineDefaults,
): Partial<PipelineOptions> {
  const { grid } = defaults;
  return {
    grid: {
      epochs: intListFlag(values, 'epochs', [...grid.epochs]),
      batch: intListFlag(values, 'batch', [...grid.batch]),
      hidden: intListFlag(values, 'hidden', [...grid.hidden]),
      lr: numberListFlag(values, 'lr', [...grid.lr]),
    },
    seed: intFlag(values, 'seed', 0, 0, 0xffffffff),
    splitSeed: intFlag(values, 'split-seed', 1, 0, 0xffffffff),
    head: { epochs: intFlag(values, 'head-epochs', defaults.headEpochs, 1, 100_000) },
    ...(values.workers !== undefined ? { workers: intFlag(values, 'workers', 1, 1, 256) } : {}),
    ...(values.threads !== undefined ? { threads: intFlag(values, 'threads', 1, 1, 1024) } : {}),
  };
}

/** What a pipeline job gets from `runWithDisplay`. */
export interface PipelineHooks {
  signal: AbortSignal;
  onProgress: OnProgress;
  onStep: (event: StepEvent) => void;
}

/**
 * Runs a pipeline job with the progress display and stop signals of `command`, prints the
 * summary (and the `--json` line), and resolves to the exit code: 0, or 130/143 when a signal
 * stopped it.
 */
export async function runWithDisplay(
  command: string,
  json: boolean,
  job: (hooks: PipelineHooks) => Promise<PipelineResult>,
): Promise<number> {
  const stop = handleStopSignals(command);
  let result: PipelineResult;
  try {
    result = await job({ signal: stop.signal, ...pipelineDisplay() });
  } catch (error) {
    if (stop.stoppedBy) {
      process.stderr.write(`facelab ${command}: stopped; run the same command again to resume\n`);
      return SIGNAL_EXIT[stop.stoppedBy] ?? 1;
    }
    throw error;
  } finally {
    stop.dispose();
  }
  const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
  const ran = Object.entries(result.steps)
    .filter(([, outcome]) => outcome === 'ran')
    .map(([step]) => step);
  say(`steps run: ${ran.join(', ') || 'none (everything was up to date)'}`, json);
  const { transfer } = result;
  say(
    `test accuracy: raw pixels ${pct(result.accuracy.pixels)}, ${transfer.backbone} backbone (${transfer.layer}) ${pct(result.accuracy.transfer)}`,
    json,
  );
  say(`transfer model: ${transfer.dir}`, json);
  say(`report: ${result.report}`, json);
  if (json) {
    printJson({
      report: result.report,
      accuracy: result.accuracy,
      seconds: Math.round(result.seconds * 100) / 100,
      steps: result.steps,
      dir: result.dir,
      backbone: transfer.backbone,
      layer: transfer.layer,
      model: transfer.dir,
    });
  }
  return 0;
}

/** The `run` command. */
export const command: Command = {
  name: 'run',
  summary: 'the whole pipeline, resumable: download, prepare, grid, units, transfer, report',
  async run(argv) {
    const parsed = parseCommand({ name: 'run', usage: USAGE, description: DESCRIPTION, flags }, argv);
    if (!parsed) return 0;
    const { values, json } = parsed;
    const list = optionalString(values, 'subset');
    const photosDir = optionalString(values, 'photos');
    const labels = optionalString(values, 'labels');
    if ([list, photosDir, labels].filter((v) => v !== undefined).length !== 1)
      throw new UserError(
        'give one source of photos: --photos DIR, --labels FILE.csv or --subset FILE (see facelab run --help)',
      );
    const out = requireString(values, 'out');
    const actors = nameListFlag(values, 'actors');
    const mirror = optionalString(values, 'mirror');
    const cacheDir = optionalString(values, 'cache');
    // Checked by the pipeline (transferChoice) before any step runs.
    const backbone = optionalString(values, 'backbone') as BackboneKind | undefined;
    const layers = layersFlag(values);
    const options: PipelineOptions = {
      ...(list !== undefined ? { list } : {}),
      ...(photosDir !== undefined ? { photosDir } : {}),
      ...(labels !== undefined ? { labels } : {}),
      out,
      ...pipelineFlagOptions(values, RUN_DEFAULTS),
      ...(actors ? { actors } : {}),
      ...(mirror !== undefined ? { mirror } : {}),
      ...(cacheDir !== undefined ? { cacheDir } : {}),
      ...(backbone !== undefined ? { backbone } : {}),
      ...(layers !== undefined ? { layers } : {}),
    };
    return runWithDisplay('run', json, (hooks) => runPipeline({ ...options, ...hooks }));
  },
};
