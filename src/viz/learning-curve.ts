/**
 * Learning curves: train, validation and test accuracy against epoch.
 */
import { InvalidOptionError } from '../errors.js';
import {
  axes,
  circlesAndLine,
  figureTitle,
  linearScale,
  measureText,
  niceStep,
  niceTicks,
  svgDocument,
  text,
} from './svg.js';
import { theme } from './theme.js';

/** Accuracy per epoch (index 0 = after epoch 1) of each split, each value in [0, 1]. */
export interface LearningCurves {
  train: number[];
  val: number[];
  test: number[];
}

/** Options of {@link learningCurveSvg}. */
export interface LearningCurveOptions {
  /** Figure title. */
  title: string;
  /** Figure width in user units (px at 72 dpi). Default 640. */
  width?: number;
  /** Figure height. Default 400. */
  height?: number;
}

/**
 * Line chart of accuracy (y) against epoch 1…E (x) for the three splits, with legend and title.
 * The y range is fitted to the data on a round step and never exceeds 1.
 * @example learningCurveSvg({ train, val, test }, { title: 'hidden 64, lr 0.01' })
 */
export function learningCurveSvg(curves: LearningCurves, options: LearningCurveOptions): string {
  const series = [
    { name: 'train', values: curves.train, color: theme.series[0] },
    { name: 'validation', values: curves.val, color: theme.series[1] },
    { name: 'test', values: curves.test, color: theme.series[2] },
  ].filter((s) => s.values.length > 0);
  for (const s of series) {
    const bad = s.values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new InvalidOptionError(`curves.${s.name}[${bad}]`, 'finite accuracy', s.values[bad]);
  }
  if (series.length === 0)
    throw new InvalidOptionError('curves', 'at least one non-empty curve', 'three empty arrays');
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  const epochs = Math.max(...series.map((s) => s.values.length));
  const all = series.flatMap((s) => s.values);

  const plot = { left: 72, top: 78, width: width - 72 - 24, height: height - 78 - 62 };
  const yStep = niceStep(Math.max(0.01, Math.max(...all) - Math.min(...all)) / 4);
  const yMin = Math.max(0, Math.floor(Math.min(...all) / yStep + 1e-9) * yStep);
  const yMax = Math.min(Math.max(1, Math.max(...all)), Math.ceil(Math.max(...all) / yStep - 1e-9) * yStep);
  const yDomain: [number, number] = yMax > yMin ? [yMin, yMax] : [yMin - yStep, yMin + yStep];
  const xDomain: [number, number] = epochs > 1 ? [1, epochs] : [0.5, 1.5];
  const xTicks = epochTicks(epochs);
  const x = linearScale(xDomain[0], xDomain[1], plot.left, plot.left + plot.width);
  const y = linearScale(yDomain[0], yDomain[1], plot.top + plot.height, plot.top);

  const parts = [
    figureTitle(options.title, width, { margin: 12 }),
    axes({
      ...plot,
      xDomain,
      yDomain,
      xTicks,
      yTicks: niceTicks(yDomain[0], yDomain[1], 5),
      xLabel: 'epoch',
      yLabel: 'accuracy',
    }),
  ];
  const markers = epochs <= 40;
  for (const s of series) {
    const points = s.values.map((v, i) => [x(i + 1), y(v)] as [number, number]);
    parts.push(circlesAndLine(points, s.color, markers ? 2.6 : 0));
  }
  // Legend in one row under the title: short line + name + last value.
  const labels = series.map((s) => `${s.name} (last ${s.values[s.values.length - 1]!.toFixed(3)})`);
  const itemWidths = labels.map((l) => 30 + measureText(l, theme.tickSize) + 18);
  let lx = width / 2 - itemWidths.reduce((a, b) => a + b, 0) / 2;
  series.forEach((s, i) => {
    parts.push(
      circlesAndLine(
        [
          [lx, 52],
          [lx + 22, 52],
        ],
        s.color,
        markers ? 2.6 : 0,
      ),
    );
    parts.push(
      text(labels[i]!, { x: lx + 28, y: 52, baseline: 'middle', size: theme.tickSize, fill: theme.ink }),
    );
    lx += itemWidths[i]!;
  });
  return svgDocument(width, height, options.title, parts.join(''));
}

/** Integer epoch ticks on a round step, plus 1 when it does not crowd the first round tick. */
function epochTicks(epochs: number): number[] {
  if (epochs <= 1) return [1];
  const step = Math.max(1, niceStep((epochs - 1) / 6));
  const ticks = niceTicks(1, epochs, Math.ceil((epochs - 1) / step)).filter((t) => Number.isInteger(t));
  if (ticks[0] !== 1 && (ticks[0] ?? step) - 1 >= step * 0.6) ticks.unshift(1);
  return ticks.length > 0 ? ticks : [1, epochs];
}
