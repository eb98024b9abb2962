/**
 * Which layer of a backbone transfers best: the same head trained on the features of each
 * layer (`runTransfer` per layer, same split and hyper-parameters, the raw-pixel baseline run
 * once), the layer chosen by validation accuracy — never by test accuracy — and the sweep
 * written to `<outDir>/layers-<backbone>.json` for the figure and the report.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../data/atomic-file.js';
import { InvalidOptionError } from '../errors.js';
import type { Accuracy } from '../train/metrics.js';
import { BACKBONE_LAYERS, BACKBONE_TRAINED_ON, type BackboneKind } from './backbones.js';
import { type ComparisonRow, runTransfer, type TransferOptions } from './transfer.js';

/** One layer's result. */
export interface LayerResult {
  layer: string;
  /** Features per image at that layer. */
  features: number;
  val: number;
  test: number;
  /** Train accuracy too, for the record. */
  train: number;
}

/** The `layers-<backbone>.json` document. */
export interface LayerSweep {
  backbone: string;
  /** What the backbone was trained on (from `BACKBONE_TRAINED_ON`). */
  trainedOn: string;
  /** Layers in depth order, as run. */
  layers: LayerResult[];
  /** The layer with the best validation accuracy (the shallower one on a tie). */
  chosen: string;
  /** Accuracy of the head on the chosen layer. */
  accuracy: Accuracy;
  /** The raw-pixel baseline, when one was run. */
  baseline: ComparisonRow | undefined;
  /** Error reduction of the chosen layer against the baseline. */
  errorReduction: number | undefined;
  /** Folder of the chosen layer's head (its `model.onnx` takes crops). */
  chosenDir: string;
  seconds: number;
}

/** Options of `runLayerSweep`: those of `runTransfer` with a list of layers instead of one. */
export interface LayerSweepOptions extends Omit<TransferOptions, 'layer'> {
  /** Layers to try, or 'all' for the backbone's documented tap points (`BACKBONE_LAYERS`). */
  layers: readonly string[] | 'all';
}

/** File name of a backbone's sweep inside the output folder. */
export function sweepFile(backbone: string): string {
  return `layers-${backbone}.json`;
}

/**
 * Trains the head on each layer and chooses the layer by validation accuracy.
 *
 * @example
 * const sweep = await runLayerSweep({ dataDir: 'data/six', outDir: 'runs/t', backbone: 'mobilenet', layers: 'all' });
 * sweep.chosen; sweep.accuracy.test;
 */
export async function runLayerSweep(options: LayerSweepOptions): Promise<LayerSweep> {
  const started = performance.now();
  const { layers: wanted, ...rest } = options;
  const layers = wanted === 'all' ? BACKBONE_LAYERS[options.backbone] : wanted;
  if (layers.length === 0) {
    throw new InvalidOptionError(
      '--layers',
      wanted === 'all'
        ? `a list of tensor names (${options.backbone} has no documented layers)`
        : 'at least one layer',
      wanted === 'all' ? 'all' : '',
    );
  }
  const results: (LayerResult & { dir: string; accuracy: Accuracy; reduction: number | undefined })[] = [];
  let baseline: ComparisonRow | undefined;
  for (const layer of layers) {
    const r = await runTransfer({ ...rest, layer });
    baseline ??= r.baseline;
    results.push({
      layer: r.layer,
      features: r.features,
      train: r.accuracy.train,
      val: r.accuracy.val,
      test: r.accuracy.test,
      accuracy: r.accuracy,
      reduction: r.errorReduction,
      dir: r.modelDir,
    });
  }
  let best = results[0]!;
  for (const r of results) if (r.val > best.val) best = r;
  const sweep: LayerSweep = {
    backbone: options.backbone,
    trainedOn: BACKBONE_TRAINED_ON[options.backbone as BackboneKind] ?? options.backbone,
    layers: results.map(({ layer, features, train, val, test }) => ({ layer, features, train, val, test })),
    chosen: best.layer,
    accuracy: best.accuracy,
    baseline,
    errorReduction: best.reduction,
    chosenDir: best.dir,
    seconds: (performance.now() - started) / 1000,
  };
  await writeFileAtomic(
    join(options.outDir, sweepFile(options.backbone)),
    `${JSON.stringify(sweep, null, 1)}\n`,
  );
  return sweep;
}

/** Every `layers-*.json` sweep in a folder (for the figure and the report), by backbone name. */
export async function readLayerSweeps(dir: string): Promise<LayerSweep[]> {
  const names = (await readdir(dir).catch(() => [] as string[]))
    .filter((n) => /^layers-.+\.json$/.test(n))
    .sort();
  const sweeps: LayerSweep[] = [];
  for (const name of names) {
    const doc = JSON.parse(await readFile(join(dir, name), 'utf8')) as LayerSweep;
    if (Array.isArray(doc.layers) && typeof doc.chosen === 'string') sweeps.push(doc);
  }
  return sweeps;
}
