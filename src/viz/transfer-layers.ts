/**
 * Which layer transfers best, as a figure: validation (solid) and test (dashed) accuracy of the
 * same head trained on each tapped layer, against the layer's depth within its backbone (its
 * place among the tap points, shallow to deep), one colour per backbone, the layer chosen by
 * validation circled and named. The raw-pixel baseline is a grey horizontal line.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../data/atomic-file.js';
import { InvalidOptionError } from '../errors.js';
import { type LayerSweep, readLayerSweeps } from '../transfer/layer-sweep.js';
import { svgToPng } from './rasterize.js';
import {
  axes,
  circlesAndLine,
  linearScale,
  measureText,
  niceStep,
  niceTicks,
  num,
  svgDocument,
  text,
} from './svg.js';
import { theme } from './theme.js';

/** File names of the figure inside the transfer folder. */
export const TRANSFER_LAYERS_FILES = { svg: 'transfer-layers.svg', png: 'transfer-layers.png' } as const;

/** Options of `transferLayersSvg`. */
export interface TransferLayersOptions {
  /** Figure title. Default 'Which layer transfers best'. */
  title?: string;
  /** Width in user units. Default 720. */
  width?: number;
  /** Height. Default 440. */
  height?: number;
}

/**
 * The figure of one or more layer sweeps (`runLayerSweep`).
 *
 * @example
 * const svg = transferLayersSvg(await readLayerSweeps('runs/t'));
 */
export function transferLayersSvg(
  sweeps: readonly LayerSweep[],
  options: TransferLayersOptions = {},
): string {
  if (sweeps.length === 0 || sweeps.some((s) => s.layers.length === 0))
    throw new InvalidOptionError('sweeps', 'at least one sweep of at least one layer', sweeps.length);
  const width = options.width ?? 720;
  const height = options.height ?? 440;
  const title = options.title ?? 'Which layer transfers best';
  const baseline = sweeps.find((s) => s.baseline)?.baseline;
  const values = sweeps.flatMap((s) => s.layers.flatMap((l) => [l.val, l.test]));
  if (baseline) values.push(baseline.accuracy.test);
  const plot = { left: 72, top: 70 + 18 * sweeps.length, width: width - 72 - 28, height: 0 };
  plot.height = height - plot.top - 62;
  const yStep = niceStep(Math.max(0.02, Math.max(...values) - Math.min(...values)) / 4);
  const yMin = Math.max(0, Math.floor(Math.min(...values) / yStep) * yStep);
  const yMax = Math.min(1, Math.ceil(Math.max(...values) / yStep) * yStep);
  const yDomain: [number, number] = yMax > yMin ? [yMin, yMax] : [yMin - yStep, yMin + yStep];
  const x = linearScale(0, 1, plot.left + 16, plot.left + plot.width - 16);
  const y = linearScale(yDomain[0], yDomain[1], plot.top + plot.height, plot.top);
  const depth = (i: number, n: number): number => (n > 1 ? i / (n - 1) : 0.5);
  const parts = [
    text(title, {
      x: width / 2,
      y: 28,
      anchor: 'middle',
      size: theme.titleSize,
      weight: 'bold',
      maxWidth: width - 24,
    }),
    axes({
      ...plot,
      xDomain: [0, 1],
      yDomain,
      xTicks: [],
      yTicks: niceTicks(yDomain[0], yDomain[1], 5),
      xLabel: 'tapped layer, shallow → deep (place among the backbone’s tap points)',
      yLabel: 'accuracy',
    }),
  ];
  if (baseline) {
    const by = y(baseline.accuracy.test);
    parts.push(
      `<path d="M${num(plot.left)} ${num(by)}H${num(plot.left + plot.width)}" stroke="${theme.muted}" stroke-width="1.5" stroke-dasharray="2 3"/>`,
      text(`${baseline.method} (test ${baseline.accuracy.test.toFixed(3)})`, {
        x: plot.left + plot.width - 4,
        y: by - 6,
        anchor: 'end',
        size: theme.tickSize,
        fill: theme.muted,
      }),
    );
  }
  sweeps.forEach((sweep, k) => {
    const color = theme.series[k % theme.series.length]!;
    const n = sweep.layers.length;
    const at = (i: number, v: number): [number, number] => [x(depth(i, n)), y(v)];
    parts.push(
      circlesAndLine(
        sweep.layers.map((l, i) => at(i, l.val)),
        color,
        3,
      ),
    );
    const test = sweep.layers.map((l, i) => at(i, l.test));
    parts.push(
      `<path d="${test.map(([px, py], i) => `${i ? 'L' : 'M'}${num(px)} ${num(py)}`).join('')}" fill="none" stroke="${color}" stroke-width="1.6" stroke-dasharray="6 4"/>`,
    );
    const chosen = sweep.layers.findIndex((l) => l.layer === sweep.chosen);
    if (chosen >= 0) {
      const [cx, cy] = at(chosen, sweep.layers[chosen]!.val);
      parts.push(
        `<circle cx="${num(cx)}" cy="${num(cy)}" r="8" fill="none" stroke="${color}" stroke-width="2"/>`,
        text(sweep.chosen, { x: cx, y: cy - 13, anchor: 'middle', size: theme.tickSize, fill: theme.ink }),
      );
    }
    const label = `${sweep.backbone}: validation (solid), test (dashed); chosen ${sweep.chosen}, test ${sweep.accuracy.test.toFixed(3)}`;
    const ly = 52 + 18 * k;
    const lx = width / 2 - (28 + measureText(label, theme.tickSize)) / 2;
    parts.push(
      circlesAndLine(
        [
          [lx, ly],
          [lx + 22, ly],
        ],
        color,
        3,
      ),
      text(label, { x: lx + 28, y: ly, baseline: 'middle', size: theme.tickSize, fill: theme.ink }),
    );
  });
  return svgDocument(width, height, title, parts.join(''));
}

/** Options of `writeTransferLayersFigure`. */
export interface WriteTransferLayersOptions extends TransferLayersOptions {
  /** The transfer folder holding `layers-*.json`; the figure is written there. */
  dir: string;
}

/**
 * Draws every layer sweep of a transfer folder into `transfer-layers.svg` and `.png` there.
 * Returns the paths written.
 */
export async function writeTransferLayersFigure(
  options: WriteTransferLayersOptions,
): Promise<{ svg: string; png: string }> {
  const { dir, ...figure } = options;
  const svg = transferLayersSvg(await readLayerSweeps(dir), figure);
  const paths = { svg: join(dir, TRANSFER_LAYERS_FILES.svg), png: join(dir, TRANSFER_LAYERS_FILES.png) };
  await writeFileAtomic(paths.svg, svg);
  await writeFileAtomic(paths.png, await svgToPng(svg, { width: 1440 }));
  return paths;
}
