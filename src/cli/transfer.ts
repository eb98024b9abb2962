/**
 * `facelab transfer --data DIR --backbone face|alexnet|onnx [--weights FILE] [--layer NAME]
 * --out DIR [--json]`: backbone features → the fully connected head → comparison with raw
 * pixels. With `--json` the last stdout line is `{"backbone":…,"layer":…,"features":dim,
 * "accuracy":{"train":…,"val":…,"test":…},"baseline_test":…,"error_reduction":…,"seconds":…}`.
 */

import { UserError } from '../errors.js';
import { lockOutputFolder } from '../pipeline/output-lock.js';
import { BACKBONE_KINDS } from '../transfer/backbones.js';
import { runLayerSweep, sweepFile } from '../transfer/layer-sweep.js';
import { runTransfer, type TransferOptions } from '../transfer/transfer.js';
import { writeTransferLayersFigure } from '../viz/transfer-layers.js';
import { type FlagSpec, intFlag, numberFlag, optionalString, parseCommand, requireString } from './args.js';
import type { Command } from './command.js';
import {
  ALIGN_FLAG,
  alignOption,
  backboneFlag,
  backboneHelp,
  layersFlag,
  preprocessFlag,
  randomWeightsFlag,
} from './features.js';
import { printJson, roundSeconds, say } from './output.js';
import { progressPrinter } from './progress-bar.js';

const flags: Record<string, FlagSpec> = {
  align: ALIGN_FLAG,
  data: { type: 'string', help: 'folder written by facelab prepare' },
  backbone: { type: 'string', help: `${BACKBONE_KINDS.join(', ')} (what each was trained on: below)` },
  weights: { type: 'string', help: 'alexnet/onnx: the .onnx file; face: a TF.js weights manifest' },
  layer: { type: 'string', help: 'tensor to tap', default: 'descriptor / average_pooling2d_1 / pool5 / …' },
  layers: {
    type: 'string',
    value: 'all|L1,L2,…',
    help: "train the head on each layer (all: the backbone's tap points below), choose by validation accuracy, write layers-<backbone>.json and transfer-layers.svg/.png",
  },
  preprocess: {
    type: 'string',
    help: 'seed | imagenet | caffe | uint8',
    default: 'imagenet (face: built in)',
  },
  'random-weights': {
    type: 'string',
    help: 'alexnet only: random AlexNet with this seed — MEANINGLESS for accuracy',
  },
  out: { type: 'string', help: 'output folder: features .npz, head/, baseline.json, comparison.json' },
  hidden: { type: 'string', help: 'hidden units of the head', default: '300' },
  lr: { type: 'string', help: 'Adam learning rate', default: '1e-3' },
  batch: { type: 'string', help: 'mini-batch size', default: '32' },
  epochs: { type: 'string', help: 'epochs', default: '200' },
  seed: { type: 'string', help: 'seed of the head initialisation and shuffles', default: '0' },
  grid: {
    type: 'boolean',
    help: 'choose the head by the reference grid (epochs 20/100/200 × batch 32/64/128 × hidden 100/200/300 × lr 1e-4/1e-3/1e-2, best validation accuracy)',
  },
  'baseline-size': { type: 'string', help: 'crop side of the raw-pixel baseline (0: none)', default: '32' },
  threads: { type: 'string', help: 'ONNX Runtime threads', default: 'one per core' },
};

const USAGE = `--data DIR --backbone ${BACKBONE_KINDS.join('|')} [--weights FILE] [--layer NAME | --layers all|LIST] [--grid] --out DIR [--json]`;
const DESCRIPTION = `Extracts backbone features of every prepared crop (cached in --out), trains the same fully connected
head as 'facelab train' on them (same split and hyper-parameters), trains it on raw pixels as the
baseline (cached too), and prints test accuracy, error and the error reduction of the backbone.
Each head folder holds model.onnx (the crop in, backbone + head in one graph) and head.onnx (features in).
Backbones, what they were trained on, and their --layers all tap points (shallow to deep):
${backboneHelp(BACKBONE_KINDS)}`;

/** The `transfer` command. */
export const command: Command = {
  name: 'transfer',
  summary: 'train the classifier on backbone features and compare with raw pixels',
  async run(argv: string[]): Promise<number> {
    const parsed = parseCommand({ name: 'transfer', usage: USAGE, description: DESCRIPTION, flags }, argv);
    if (!parsed) return 0;
    const { values, json } = parsed;
    const dataDir = requireString(values, 'data');
    const outDir = requireString(values, 'out');
    const backbone = backboneFlag(values);
    const preprocess = preprocessFlag(values);
    const weights = optionalString(values, 'weights');
    const layer = optionalString(values, 'layer');
    const randomWeights = randomWeightsFlag(values);
    const baselineSide = intFlag(values, 'baseline-size', 32, 0, 4096);
    const started = Date.now();
    const layers = layersFlag(values);
    const common: TransferOptions = {
      dataDir,
      outDir,
      backbone,
      ...(weights !== undefined ? { weights } : {}),
      ...(preprocess !== undefined ? { preprocess } : {}),
      ...(randomWeights !== undefined ? { randomWeights } : {}),
      ...alignOption(values),
      hidden: intFlag(values, 'hidden', 300, 1, 1_000_000),
      lr: numberFlag(values, 'lr', 1e-3),
      batch: intFlag(values, 'batch', 32, 1, 1_000_000),
      epochs: intFlag(values, 'epochs', 200, 1, 1_000_000),
      seed: intFlag(values, 'seed', 0, 0, 0xffffffff),
      baselineSide: baselineSide === 0 ? false : baselineSide,
      grid: values.grid === true,
      ...(values.threads !== undefined ? { threads: intFlag(values, 'threads', 1, 1, 1024) } : {}),
      onProgress: progressPrinter(),
    };
    const lock = await lockOutputFolder(outDir);
    try {
      if (layers !== undefined) {
        if (layer !== undefined) throw new UserError('give either --layer or --layers, not both');
        return await sweepLayers(common, layers, json, started);
      }
      const result = await runTransfer({ ...common, ...(layer !== undefined ? { layer } : {}) });
      const seconds = roundSeconds(Date.now() - started);
      const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
      const rows = [
        ...(result.baseline ? [result.baseline] : []),
        {
          method: `${result.backbone} ${result.layer}${result.chosen ? ' (grid)' : ''}`,
          features: result.features,
          accuracy: result.accuracy,
          testError: 1 - result.accuracy.test,
        },
      ];
      const width = Math.max(...rows.map((r) => r.method.length), 6);
      say(`${'method'.padEnd(width)}  features  train    val      test     error`, json);
      for (const r of rows) {
        const a = r.accuracy;
        say(
          `${r.method.padEnd(width)}  ${String(r.features).padStart(8)}  ${a.train.toFixed(3)}    ${a.val.toFixed(3)}    ${a.test.toFixed(3)}    ${pct(r.testError)}`,
          json,
        );
      }
      if (result.chosen) {
        const c = result.chosen;
        say(
          `grid choice: ${c.epochs} epochs, batch ${c.batch}, hidden ${c.hidden}, lr ${c.lr} (best validation accuracy)`,
          json,
        );
      }
      if (result.errorReduction !== undefined) {
        say(
          `error reduction vs ${result.baseline!.method}: ${pct(result.errorReduction)} of its test errors removed`,
          json,
        );
      }
      if (randomWeights !== undefined)
        say('(random AlexNet weights: these accuracies say nothing about pretrained AlexNet)', json);
      say(`wrote ${outDir} in ${seconds} s`, json);
      if (json) {
        printJson({
          backbone: result.backbone,
          layer: result.layer,
          features: result.features,
          accuracy: result.accuracy,
          baseline_test: result.baseline?.accuracy.test ?? null,
          error_reduction:
            result.errorReduction === undefined ? null : Math.round(result.errorReduction * 10000) / 10000,
          seconds,
          ...(result.chosen ? { grid: result.chosen } : {}),
          ...(randomWeights !== undefined ? { random_weights: true } : {}),
        });
      }
      return 0;
    } finally {
      await lock.release();
    }
  },
};

/** `--layers`: the head on each layer, the choice by validation, the figure, the contract's JSON. */
async function sweepLayers(
  options: TransferOptions,
  layers: 'all' | string[],
  json: boolean,
  started: number,
): Promise<number> {
  const sweep = await runLayerSweep({ ...options, layers });
  const figure = await writeTransferLayersFigure({ dir: options.outDir });
  const seconds = roundSeconds(Date.now() - started);
  const width = Math.max(...sweep.layers.map((l) => l.layer.length), 5);
  say(`${sweep.backbone}: ${sweep.trainedOn}`, json);
  say(`${'layer'.padEnd(width)}  features   val     test`, json);
  for (const l of sweep.layers) {
    const mark = l.layer === sweep.chosen ? '  <- chosen (best validation)' : '';
    say(
      `${l.layer.padEnd(width)}  ${String(l.features).padStart(8)}   ${l.val.toFixed(3)}   ${l.test.toFixed(3)}${mark}`,
      json,
    );
  }
  if (sweep.baseline) say(`${sweep.baseline.method}: test ${sweep.baseline.accuracy.test.toFixed(3)}`, json);
  if (sweep.errorReduction !== undefined)
    say(
      `error reduction of ${sweep.chosen}: ${(sweep.errorReduction * 100).toFixed(1)} % of the raw-pixel test errors`,
      json,
    );
  say(
    `wrote ${sweepFile(sweep.backbone)}, ${figure.svg} and the heads in ${options.outDir} in ${seconds} s`,
    json,
  );
  if (json) {
    printJson({
      backbone: sweep.backbone,
      layers: sweep.layers.map(({ layer, features, val, test }) => ({ layer, features, val, test })),
      chosen: sweep.chosen,
      accuracy: sweep.accuracy,
      baseline_test: sweep.baseline?.accuracy.test ?? null,
      error_reduction:
        sweep.errorReduction === undefined ? null : Math.round(sweep.errorReduction * 10000) / 10000,
      seconds,
    });
  }
  return 0;
}
