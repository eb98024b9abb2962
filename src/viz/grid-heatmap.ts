/**
 * Heat-map of validation accuracy over the hyper-parameter grid: one panel per number of
 * epochs, rows hidden size × batch size, columns learning rate.
 */
import { InvalidOptionError } from '../errors.js';
import { colorBarSvg, hex, sequentialColor, textColorOn } from './colormap.js';
import { figureTitle, measureText, num, rect, svgDocument, text } from './svg.js';
import { theme } from './theme.js';

/** One trained grid point and its validation accuracy in [0, 1]. */
export interface HeatmapPoint {
  epochs: number;
  batch: number;
  hidden: number;
  lr: number;
  val: number;
  /** True for the point the grid search picked (outlined). */
  chosen?: boolean;
}

/** Options of {@link gridHeatmapSvg}. */
export interface GridHeatmapOptions {
  /** Figure title. Default 'Validation accuracy over the grid'. */
  title?: string;
  /** Most panels side by side before wrapping to a new row. Default 3. */
  panelsPerRow?: number;
}

const CELL_W = 62;
const CELL_H = 30;
const PANEL_GAP = 24;
/** Panel title, 'learning rate' and the column labels above the cells. */
const HEADER = 58;

/**
 * Small multiples of validation accuracy: each cell shows its value, colour on the viridis map
 * (shared by all panels, colour bar on the right); the chosen point is outlined.
 */
export function gridHeatmapSvg(points: HeatmapPoint[], options: GridHeatmapOptions = {}): string {
  if (points.length === 0) throw new InvalidOptionError('points', 'at least one grid point', 'an empty list');
  const bad = points.findIndex((p) => !Number.isFinite(p.val));
  if (bad >= 0) throw new InvalidOptionError(`points[${bad}].val`, 'finite accuracy', points[bad]!.val);
  const title = options.title ?? 'Validation accuracy over the grid';
  const perRow = options.panelsPerRow ?? 3;
  const sorted = (values: number[]): number[] => [...new Set(values)].sort((a, b) => a - b);
  const epochs = sorted(points.map((p) => p.epochs));
  const lrs = sorted(points.map((p) => p.lr));
  const rowKeys = [...new Map(points.map((p) => [`${p.hidden}/${p.batch}`, p] as const)).values()]
    .sort((a, b) => a.hidden - b.hidden || a.batch - b.batch)
    .map((p) => ({ hidden: p.hidden, batch: p.batch }));
  const cell = new Map(points.map((p) => [`${p.epochs}/${p.hidden}/${p.batch}/${p.lr}`, p] as const));
  const vals = points.map((p) => p.val);
  const min = Math.min(...vals);
  const max = Math.max(...vals);

  const rowLabels = rowKeys.map((r) => `hidden ${r.hidden} · batch ${r.batch}`);
  const labelWidth = Math.max(...rowLabels.map((l) => measureText(l, theme.tickSize))) + 14;
  const lrLabels = lrs.map(formatLr);
  const cellW = Math.max(CELL_W, ...lrLabels.map((l) => measureText(l, theme.tickSize) + 10));
  const panelW = lrs.length * cellW;
  const panelH = rowKeys.length * CELL_H;
  const columns = Math.min(perRow, epochs.length);
  const panelRows = Math.ceil(epochs.length / columns);
  const left = 16 + labelWidth;
  const top = 60;
  const panelBlockH = HEADER + panelH + PANEL_GAP;
  const barX = left + columns * panelW + (columns - 1) * PANEL_GAP + 34;
  const width = barX + 80;
  const height = top + panelRows * panelBlockH + 40;

  const parts = [figureTitle(title, width, { y: 30 })];
  epochs.forEach((e, k) => {
    const px = left + (k % columns) * (panelW + PANEL_GAP);
    const py = top + Math.floor(k / columns) * panelBlockH;
    const gy = py + HEADER;
    parts.push(
      text(`${e} epochs`, {
        x: px + panelW / 2,
        y: py + 10,
        anchor: 'middle',
        size: theme.labelSize,
        weight: 'bold',
        baseline: 'middle',
      }),
    );
    parts.push(
      text('learning rate', {
        x: px + panelW / 2,
        y: py + 30,
        anchor: 'middle',
        size: theme.tickSize - 1,
        fill: theme.muted,
        baseline: 'middle',
      }),
    );
    lrLabels.forEach((l, j) => {
      parts.push(
        text(l, {
          x: px + (j + 0.5) * cellW,
          y: gy - 8,
          anchor: 'middle',
          size: theme.tickSize,
          fill: theme.ink,
        }),
      );
    });
    if (k % columns === 0) {
      rowLabels.forEach((l, i) => {
        parts.push(
          text(l, {
            x: px - 8,
            y: gy + (i + 0.5) * CELL_H,
            anchor: 'end',
            baseline: 'middle',
            size: theme.tickSize,
            fill: theme.ink,
          }),
        );
      });
    }
    let chosen = '';
    rowKeys.forEach((r, i) => {
      lrs.forEach((lr, j) => {
        const p = cell.get(`${e}/${r.hidden}/${r.batch}/${lr}`);
        const cx = px + j * cellW;
        const cy = gy + i * CELL_H;
        if (p === undefined) {
          parts.push(rect(cx, cy, cellW, CELL_H, theme.empty, 'stroke="#fff" stroke-width="1"'));
          return;
        }
        const color = sequentialColor(p.val, min, max);
        parts.push(rect(cx, cy, cellW, CELL_H, hex(color), 'stroke="#fff" stroke-width="1"'));
        parts.push(
          text(p.val.toFixed(3), {
            x: cx + cellW / 2,
            y: cy + CELL_H / 2,
            anchor: 'middle',
            baseline: 'middle',
            size: theme.tickSize,
            fill: textColorOn(color),
            weight: p.chosen ? 'bold' : 'regular',
          }),
        );
        // Drawn last so neighbouring cells do not cover the outline.
        if (p.chosen)
          chosen += `<rect x="${num(cx + 1.5)}" y="${num(cy + 1.5)}" width="${num(cellW - 3)}" height="${num(CELL_H - 3)}" fill="none" stroke="${theme.highlight}" stroke-width="3"/>`;
      });
    });
    parts.push(chosen);
  });
  const barH = Math.min(220, Math.max(90, panelRows * panelBlockH - PANEL_GAP - HEADER));
  const span = max - min;
  parts.push(
    colorBarSvg({
      x: barX,
      y: top + HEADER,
      width: 16,
      height: barH,
      kind: 'sequential',
      min,
      max: span > 0 ? max : min + 1e-9,
      ticks: span > 0 ? [min, (min + max) / 2, max] : [min],
      format: (v) => v.toFixed(3),
      label: 'val. acc.',
    }),
  );
  if (points.some((p) => p.chosen)) {
    const ly = height - 20;
    parts.push(
      `<rect x="${num(left)}" y="${num(ly - 7)}" width="22" height="14" fill="none" stroke="${theme.highlight}" stroke-width="3"/>`,
    );
    parts.push(
      text('chosen point', {
        x: left + 30,
        y: ly,
        baseline: 'middle',
        size: theme.tickSize,
        fill: theme.ink,
      }),
    );
  }
  return svgDocument(width, height, title, parts.join(''));
}

/** Learning rates as written by people: 0.01, 0.003, 1e-4. */
function formatLr(lr: number): string {
  return lr !== 0 && Math.abs(lr) < 0.001
    ? lr.toExponential().replace('e-', 'e\u2212')
    : String(Number(lr.toPrecision(3)));
}
