/**
 * Confusion matrix: rows are the true actor, columns the predicted one, counts in the cells.
 */
import { InvalidOptionError } from '../errors.js';
import { bluesColor, hex, textColorOn } from './colormap.js';
import { figureTitle, measureText, num, rect, svgDocument, text } from './svg.js';
import { theme } from './theme.js';

/** Options of {@link confusionMatrixSvg}. */
export interface ConfusionMatrixOptions {
  /** Figure title. Default 'Confusion matrix'. */
  title?: string;
}

/**
 * `matrix[t][p]` = number of photos of actor `t` predicted as actor `p`. Each cell shows its
 * count; its shade is the count's share of the true actor's photos (row), so rows of different
 * sizes compare fairly. Correct predictions lie on the outlined diagonal.
 */
export function confusionMatrixSvg(
  matrix: number[][],
  actors: string[],
  options: ConfusionMatrixOptions = {},
): string {
  const n = actors.length;
  if (n === 0) throw new InvalidOptionError('actors', 'at least one actor', 'an empty list');
  if (matrix.length !== n) throw new InvalidOptionError('matrix', `${n} rows (one per actor)`, matrix.length);
  matrix.forEach((row, t) => {
    if (row.length !== n) throw new InvalidOptionError(`matrix[${t}]`, `${n} columns`, row.length);
    const bad = row.findIndex((c) => !Number.isInteger(c) || c < 0);
    if (bad >= 0)
      throw new InvalidOptionError(`matrix[${t}][${bad}]`, 'non-negative integer count', row[bad]);
  });
  const title = options.title ?? 'Confusion matrix';
  const maxCount = Math.max(...matrix.flat());
  const cell = Math.max(30, Math.min(48, 12 + measureText(String(maxCount), theme.tickSize) * 1.6));
  const labelWidth = Math.min(170, Math.max(...actors.map((a) => measureText(a, theme.tickSize)))) + 12;
  // Column labels are turned 45°: their height is their length / √2.
  const columnLabelHeight = labelWidth / Math.SQRT2 + 12;
  const left = 40 + labelWidth;
  const top = 76;
  const gridSize = n * cell;
  const width = Math.max(left + gridSize + 30, 360);
  const height = top + gridSize + columnLabelHeight + 40;

  const parts = [
    figureTitle(title, width),
    text("shade: share of the true actor's photos", {
      x: width / 2,
      y: 50,
      anchor: 'middle',
      size: theme.tickSize,
      fill: theme.muted,
    }),
  ];
  matrix.forEach((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, p) => {
      const color = bluesColor(total > 0 ? count / total : 0);
      const x = left + p * cell;
      const y = top + t * cell;
      parts.push(rect(x, y, cell, cell, hex(color), `stroke="${theme.grid}" stroke-width="0.75"`));
      const ink = count === 0 ? '#b0b0b0' : textColorOn(color);
      parts.push(
        text(String(count), {
          x: x + cell / 2,
          y: y + cell / 2,
          anchor: 'middle',
          baseline: 'middle',
          size: theme.tickSize,
          fill: ink,
          weight: t === p ? 'bold' : 'regular',
        }),
      );
    });
  });
  for (let i = 0; i < n; i++) {
    const c = left + i * cell;
    parts.push(
      `<rect x="${num(c)}" y="${num(top + i * cell)}" width="${num(cell)}" height="${num(cell)}" fill="none" stroke="${theme.ink}" stroke-width="1.5"/>`,
    );
    parts.push(
      text(actors[i]!, {
        x: left - 8,
        y: top + (i + 0.5) * cell,
        anchor: 'end',
        baseline: 'middle',
        size: theme.tickSize,
        maxWidth: labelWidth - 8,
      }),
    );
    parts.push(
      text(actors[i]!, {
        x: c + cell / 2 + 4,
        y: top + gridSize + 10,
        anchor: 'end',
        baseline: 'middle',
        size: theme.tickSize,
        rotate: -45,
        maxWidth: labelWidth - 8,
      }),
    );
  }
  parts.push(
    `<rect x="${num(left)}" y="${num(top)}" width="${num(gridSize)}" height="${num(gridSize)}" fill="none" stroke="${theme.axis}" stroke-width="1"/>`,
  );
  parts.push(
    text('true', {
      x: 18,
      y: top + gridSize / 2,
      anchor: 'middle',
      baseline: 'middle',
      size: theme.labelSize,
      weight: 'bold',
      rotate: -90,
    }),
  );
  parts.push(
    text('predicted', {
      x: left + gridSize / 2,
      y: height - 16,
      anchor: 'middle',
      size: theme.labelSize,
      weight: 'bold',
    }),
  );
  return svgDocument(width, height, title, parts.join(''));
}
