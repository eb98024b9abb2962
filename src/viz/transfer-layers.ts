/**
 * Which layer transfers best, as a figure: validation (solid) and test (dashed) accuracy of the
 * same head trained on each tapped layer, against the layer's depth within its backbone (its
 * place among the tap points, shallow to deep, each named under the axis), one colour per
 * backbone, the layer chosen by validation circled and named. The raw-pixel baseline is a grey
 * dotted line, named in the legend (a label inside the plot would lie across the curves).
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../data/atomic-file.js';
import { InvalidOptionError } from '../errors.js';
import { type LayerSweep, readLayerSweeps } from '../transfer/layer-sweep.js';
import { svgToPng } from './rasterize.js';
import {
  axes,
  circlesAndLine,
  escapeXml,
  line,
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
  /** Height of the plot area (the legend above and the layer names below add to it). Default 300. */
  plotHeight?: number;
}

/** Slant of the layer names under the x axis, in degrees (clockwise from horizontal, read upwards). */
const TICK_ANGLE = -35;

/**
 * The figure of one or more layer sweeps (`runLayerSweep`). Each layer is named under the x
 * axis (one row of slanted names per backbone, in its colour); the legend says which line is
 * validation and which is test, the chosen layer's accuracies, and the raw-pixel baseline.
 * Every layer name and legend entry is also a `<title>` (a tooltip), so the text is findable.
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
  const title = options.title ?? 'Which layer transfers best';
  const baseline = sweeps.find((s) => s.baseline)?.baseline;
  const values = sweeps.flatMap((s) => s.layers.flatMap((l) => [l.val, l.test]));
  if (baseline) values.push(baseline.accuracy.test);
  const legendRows = sweeps.length + (baseline ? 1 : 0);
  const plot = {
    left: 72,
    top: 56 + 18 * legendRows,
    width: width - 72 - 28,
    height: options.plotHeight ?? 300,
  };
  const bottom = plot.top + plot.height;
  // One block of slanted layer names per backbone under the axis, each as tall as its longest name.
  const sin = Math.sin((-TICK_ANGLE * Math.PI) / 180);
  const blocks = sweeps.map(
    (s) => Math.max(...s.layers.map((l) => measureText(l.layer, theme.tickSize))) * sin + theme.tickSize + 6,
  );
  const height = bottom + 8 + blocks.reduce((a, b) => a + b, 0) + 34;
  const yStep = niceStep(Math.max(0.02, Math.max(...values) - Math.min(...values)) / 4);
  const yMin = Math.max(0, Math.floor(Math.min(...values) / yStep) * yStep);
  const yMax = Math.min(1, Math.ceil(Math.max(...values) / yStep) * yStep);
  const yDomain: [number, number] = yMax > yMin ? [yMin, yMax] : [yMin - yStep, yMin + yStep];
  const x = linearScale(0, 1, plot.left + 16, plot.left + plot.width - 16);
  const y = linearScale(yDomain[0], yDomain[1], bottom, plot.top);
  const depth = (i: number, n: number): number => (n > 1 ? i / (n - 1) : 0.5);
  const titled = (name: string, body: string): string => `<g><title>${escapeXml(name)}</title>${body}</g>`;
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
      xLabel: '',
      yLabel: 'accuracy',
    }),
    text('tapped layer, shallow → deep', {
      x: plot.left + plot.width / 2,
      y: height - 12,
      anchor: 'middle',
      size: theme.labelSize,
      fill: theme.ink,
    }),
  ];
  const dashed = (points: [number, number][], color: string, dash: string, widthPx: number): string =>
    `<path d="${points.map(([px, py], i) => `${i ? 'L' : 'M'}${num(px)} ${num(py)}`).join('')}" fill="none" stroke="${color}" stroke-width="${widthPx}" stroke-dasharray="${dash}"/>`;
  const legend: { draw: (lx: number, ly: number) => string; label: string }[] = [];
  if (baseline) {
    const by = y(baseline.accuracy.test);
    parts.push(
      dashed(
        [
          [plot.left, by],
          [plot.left + plot.width, by],
        ],
        theme.muted,
        '2 3',
        1.5,
      ),
    );
    legend.push({
      draw: (lx, ly) =>
        dashed(
          [
            [lx, ly],
            [lx + 50, ly],
          ],
          theme.muted,
          '2 3',
          1.5,
        ),
      label: `${baseline.method}: test ${baseline.accuracy.test.toFixed(3)} (the baseline)`,
    });
  }
  let blockTop = bottom + 8;
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
    parts.push(
      dashed(
        sweep.layers.map((l, i) => at(i, l.test)),
        color,
        '6 4',
        1.6,
      ),
    );
    // The layer names, slanted, their ends under their points; in the backbone's colour when there are several.
    sweep.layers.forEach((l, i) => {
      const tx = x(depth(i, n));
      parts.push(
        line(tx, bottom, tx, bottom + 4, color),
        titled(
          `${sweep.backbone} ${l.layer}`,
          text(l.layer, {
            x: tx + 3,
            y: blockTop + 4,
            anchor: 'end',
            baseline: 'hanging',
            size: theme.tickSize,
            fill: sweeps.length > 1 ? color : theme.muted,
            rotate: TICK_ANGLE,
          }),
        ),
      );
    });
    blockTop += blocks[k]!;
    const chosen = sweep.layers.findIndex((l) => l.layer === sweep.chosen);
    if (chosen >= 0) {
      const [cx, cy] = at(chosen, sweep.layers[chosen]!.val);
      const half = measureText(sweep.chosen, theme.tickSize) / 2;
      parts.push(
        `<circle cx="${num(cx)}" cy="${num(cy)}" r="8" fill="none" stroke="${color}" stroke-width="2"/>`,
        // Kept inside the plot: a first or last layer's name would otherwise run over the y axis or off the edge.
        text(sweep.chosen, {
          x: Math.min(Math.max(cx, plot.left + half + 4), plot.left + plot.width - half - 4),
          y: cy - 13,
          anchor: 'middle',
          size: theme.tickSize,
          fill: theme.ink,
        }),
      );
    }
    legend.push({
      draw: (lx, ly) =>
        circlesAndLine(
          [
            [lx, ly],
            [lx + 22, ly],
          ],
          color,
          3,
        ) +
        dashed(
          [
            [lx + 28, ly],
            [lx + 50, ly],
          ],
          color,
          '6 4',
          1.6,
        ),
      label: `${sweep.backbone}: validation (solid), test (dashed); chosen by validation: ${sweep.chosen} (validation ${sweep.accuracy.val.toFixed(3)}, test ${sweep.accuracy.test.toFixed(3)})`,
    });
  });
  // Legend rows share one left edge, the widest row centred.
  const rowWidth = Math.max(...legend.map((e) => 56 + measureText(e.label, theme.tickSize)));
  const lx = Math.max(8, width / 2 - rowWidth / 2);
  legend.forEach((entry, r) => {
    const ly = 50 + 18 * r;
    parts.push(
      titled(
        entry.label,
        entry.draw(lx, ly) +
          text(entry.label, {
            x: lx + 56,
            y: ly,
            baseline: 'middle',
            size: theme.tickSize,
            fill: theme.ink,
            maxWidth: width - lx - 56 - 8,
          }),
      ),
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
