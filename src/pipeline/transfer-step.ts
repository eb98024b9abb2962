/**
 * The transfer step of `facelab run`: the head on one backbone layer (`runTransfer`), or on each
 * of several layers with the layer chosen by validation (`runLayerSweep`, `--layers`), compared
 * with raw pixels, in RUN/transfer. The backbone is any one whose weights ship inside facelab's
 * npm packages (`RUN_BACKBONES`); the face-identity network is the default.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidOptionError, UserError } from '../errors.js';
import type { OnProgress } from '../progress.js';
import { RUN_FILES } from '../train/run-outputs.js';
import {
  BACKBONE_KINDS,
  BACKBONE_LAYERS,
  type BackboneKind,
  DEFAULT_LAYERS,
  resolveBackbone,
} from '../transfer/backbones.js';
import { type LayerSweep, runLayerSweep, sweepFile } from '../transfer/layer-sweep.js';
import { runTransfer, transferName } from '../transfer/transfer.js';
import { writeTransferLayersFigure } from '../viz/transfer-layers.js';
import type { StepContext } from './pipeline-steps.js';
import type { RunLayout } from './run-layout.js';
import type { PipelineStep } from './step-runner.js';

/** The backbones `run` takes: every one built from weights inside facelab's npm packages. */
export const RUN_BACKBONES: readonly BackboneKind[] = BACKBONE_KINDS.filter(
  (kind) => kind !== 'alexnet' && kind !== 'onnx',
);

/** The backbone of the transfer step when none is given: face identity. */
export const DEFAULT_RUN_BACKBONE: BackboneKind = 'face';

/** Folder of the default (face) head inside RUN/transfer. */
export const FACE_HEAD_DIR = `head-${transferName('face', DEFAULT_LAYERS.face)}`;

/** What the transfer step runs: a backbone, and one layer (its default) or a sweep of layers. */
export interface TransferChoice {
  backbone: BackboneKind;
  /** Layers to sweep (`--layers`: 'all' is the backbone's documented tap points); undefined: its default layer. */
  layers: readonly string[] | 'all' | undefined;
}

/**
 * Checks `run`'s `--backbone` and `--layers` values and resolves the defaults. Throws an
 * `InvalidOptionError` for an unknown backbone, a `UserError` for one that needs a weights file.
 */
export function transferChoice(
  backbone: string | undefined,
  layers: readonly string[] | 'all' | undefined,
): TransferChoice {
  const kind = backbone ?? DEFAULT_RUN_BACKBONE;
  if (!(RUN_BACKBONES as readonly string[]).includes(kind)) {
    if ((BACKBONE_KINDS as readonly string[]).includes(kind))
      throw new UserError(
        `--backbone ${kind} needs a weights file, which run does not take: use facelab transfer --backbone ${kind} --weights FILE (run takes ${RUN_BACKBONES.join(', ')})`,
      );
    throw new InvalidOptionError('--backbone', RUN_BACKBONES.join(' | '), kind);
  }
  if (
    layers !== undefined &&
    layers !== 'all' &&
    (layers.length === 0 || layers.some((l) => l.trim() === ''))
  )
    throw new InvalidOptionError(
      '--layers',
      "'all' or a comma-separated list of layer names",
      layers.join(','),
    );
  return { backbone: kind as BackboneKind, layers };
}

/**
 * Checks that each listed layer is a tap point of the backbone (by building it: a fraction of a
 * second), so that a wrong name is refused before the run starts, not after its grid search.
 */
export async function checkTransferLayers(choice: TransferChoice): Promise<void> {
  if (choice.layers === undefined || choice.layers === 'all') return;
  for (const layer of choice.layers) await resolveBackbone({ backbone: choice.backbone, layer });
}

/** The layers the step trains a head on, in order. */
function stepLayers(choice: TransferChoice): readonly string[] {
  if (choice.layers === undefined) return [DEFAULT_LAYERS[choice.backbone]];
  return choice.layers === 'all' ? BACKBONE_LAYERS[choice.backbone] : choice.layers;
}

/**
 * Progress that also stops the job at its next progress event once a stop was asked for (for
 * jobs without a signal of their own: feature extraction checks between batches, training
 * between chunks of epochs; both release their ORT sessions on the way out).
 */
function stoppableProgress(context: StepContext): { onProgress: OnProgress } {
  return {
    onProgress: (event) => {
      context.onProgress?.(event);
      if (event.kind === 'start' || event.kind === 'advance') context.signal?.throwIfAborted();
    },
  };
}

/** What the transfer step reads besides the context. */
export interface TransferStepOptions {
  /** Crop side of the raw-pixel baseline (the grid's). */
  baselineSide: number;
  /** The prepared files the step reads (the crops and split.json), absolute. */
  inputs: readonly string[];
}

/** The transfer step: backbone features → the head → comparison with raw pixels. */
export function transferStep(context: StepContext, step: TransferStepOptions): PipelineStep {
  const { layout, transfer } = context;
  const { baselineSide } = step;
  const { backbone, layers } = transfer;
  const heads = stepLayers(transfer).map((layer) =>
    join(layout.transfer, `head-${transferName(backbone, layer)}`),
  );
  return {
    name: 'transfer',
    // `layers` only when given, so a run folder made before `--layers` existed keeps its step.
    options: { backbone, ...(layers !== undefined ? { layers } : {}), head: context.head, baselineSide },
    inputs: () => [...step.inputs],
    outputs: () => [
      join(layout.transfer, 'comparison.json'),
      join(layout.transfer, 'baseline.json'),
      ...(layers !== undefined ? [join(layout.transfer, sweepFile(backbone))] : []),
      ...heads.flatMap((head) => [join(head, RUN_FILES.model), join(head, RUN_FILES.metrics)]),
    ],
    async run() {
      const options = {
        dataDir: layout.data,
        outDir: layout.transfer,
        backbone,
        ...context.head,
        baselineSide,
        ...(context.threads !== undefined ? { threads: context.threads } : {}),
        ...stoppableProgress(context),
      };
      if (layers === undefined) {
        const result = await runTransfer(options);
        return {
          backbone,
          layer: result.layer,
          accuracy: result.accuracy,
          baselineTest: result.baseline?.accuracy.test ?? null,
          errorReduction: result.errorReduction ?? null,
        };
      }
      const sweep = await runLayerSweep({ ...options, layers });
      await writeTransferLayersFigure({ dir: layout.transfer });
      return {
        backbone,
        layer: sweep.chosen,
        layers: sweep.layers.map(({ layer, val, test }) => ({ layer, val, test })),
        accuracy: sweep.accuracy,
        baselineTest: sweep.baseline?.accuracy.test ?? null,
        errorReduction: sweep.errorReduction ?? null,
      };
    },
  };
}

/** The head a finished transfer step chose: its backbone, layer and folder (`model.onnx` takes crops). */
export interface TransferHead {
  backbone: BackboneKind;
  layer: string;
  /** RUN/transfer/head-<backbone>-<layer>. */
  dir: string;
}

/** The head of a finished transfer step, read from its files (a sweep's chosen layer from layers-<backbone>.json). */
export async function transferHead(layout: RunLayout, choice: TransferChoice): Promise<TransferHead> {
  const { backbone } = choice;
  let layer = DEFAULT_LAYERS[backbone];
  if (choice.layers !== undefined) {
    const path = join(layout.transfer, sweepFile(backbone));
    const sweep = JSON.parse(await readFile(path, 'utf8')) as Partial<LayerSweep>;
    if (typeof sweep.chosen !== 'string') throw new UserError(`${path} names no chosen layer`);
    layer = sweep.chosen;
  }
  return { backbone, layer, dir: join(layout.transfer, `head-${transferName(backbone, layer)}`) };
}
