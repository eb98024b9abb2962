/**
 * Per-actor accuracy as horizontal bars (names stay readable however many actors there are).
 */
import { InvalidOptionError } from '../errors.js';
import {
  figureTitle,
  formatTicks,
  line,
  linearScale,
  measureText,
  num,
  rect,
  svgDocument,
  text,
} from './svg.js';
import { theme } from './theme.js';

/** Accuracy of one actor's photos: `accuracy` in [0, 1] over `count` photos. */
export interface ActorAccuracy {
  actor: string;
  accuracy: number;
  count: number;
}

/** Options of {@link perActorAccuracySvg}. */
export interface PerActorAccuracyOptions {
  /** Figure title. Default 'Accuracy per actor'. */
  title?: string;
  /** Sort bars from most to least accurate. Default false (input order). */
  sort?: boolean;
  /** Width of the bar area for accuracy 0…1, in user units. Default 360. */
  barWidth?: number;
}

const BAR_H = 20;
const BAR_GAP = 7;

/**
 * One bar per actor from 0 to its accuracy, labelled with the accuracy and correct/total
 * photos, plus a dashed line at the overall (photo-weighted) accuracy.
 */
export function perActorAccuracySvg(rows: ActorAccuracy[], options: PerActorAccuracyOptions = {}): string {
  if (rows.length === 0) throw new InvalidOptionError('rows', 'at least one actor', 'an empty list');
  rows.forEach((r, i) => {
    if (!(r.accuracy >= 0 && r.accuracy <= 1))
      throw new InvalidOptionError(`rows[${i}].accuracy`, 'number in [0, 1]', r.accuracy);
    if (!Number.isInteger(r.count) || r.count < 0)
      throw new InvalidOptionError(`rows[${i}].count`, 'non-negative integer', r.count);
  });
  const title = options.title ?? 'Accuracy per actor';
  const ordered = options.sort ? [...rows].sort((a, b) => b.accuracy - a.accuracy) : rows;
  const barWidth = options.barWidth ?? 360;
  const labelWidth = Math.min(180, Math.max(...rows.map((r) => measureText(r.actor, theme.tickSize)))) + 12;
  const valueLabels = ordered.map(
    (r) => `${r.accuracy.toFixed(3)} (${Math.round(r.accuracy * r.count)}/${r.count})`,
  );
  const valueWidth = Math.max(...valueLabels.map((l) => measureText(l, theme.tickSize))) + 10;
  const left = 16 + labelWidth;
  const top = 58;
  const plotH = ordered.length * (BAR_H + BAR_GAP) + BAR_GAP;
  const width = left + barWidth + valueWidth + 16;
  const height = top + plotH + 62;
  const x = linearScale(0, 1, left, left + barWidth);

  const parts = [figureTitle(title, width)];
  const ticks = [0, 0.2, 0.4, 0.6, 0.8, 1];
  const tickLabels = formatTicks(ticks);
  ticks.forEach((t, i) => {
    parts.push(line(x(t), top, x(t), top + plotH, theme.grid));
    parts.push(line(x(t), top + plotH, x(t), top + plotH + 5, theme.axis));
    parts.push(
      text(tickLabels[i]!, {
        x: x(t),
        y: top + plotH + 8,
        anchor: 'middle',
        baseline: 'hanging',
        size: theme.tickSize,
        fill: theme.muted,
      }),
    );
  });
  const barY = (i: number): number => top + BAR_GAP + i * (BAR_H + BAR_GAP);
  ordered.forEach((r, i) => {
    parts.push(rect(left, barY(i), Math.max(0, x(r.accuracy) - left), BAR_H, theme.series[0]));
    parts.push(
      text(r.actor, {
        x: left - 8,
        y: barY(i) + BAR_H / 2,
        anchor: 'end',
        baseline: 'middle',
        size: theme.tickSize,
        maxWidth: labelWidth - 8,
      }),
    );
  });
  // The overall line crosses the bars but passes behind the value labels, which get a white backing.
  const photos = rows.reduce((n, r) => n + r.count, 0);
  if (photos > 0) {
    const overall = rows.reduce((n, r) => n + r.accuracy * r.count, 0) / photos;
    parts.push(
      `<line x1="${num(x(overall))}" y1="${num(top - 4)}" x2="${num(x(overall))}" y2="${num(top + plotH)}" stroke="${theme.highlight}" stroke-width="2" stroke-dasharray="6 3"/>`,
    );
    parts.push(
      text(`overall ${overall.toFixed(3)}`, {
        x: x(overall),
        y: top - 8,
        anchor: 'middle',
        size: theme.tickSize,
        fill: theme.highlight,
      }),
    );
  }
  ordered.forEach((r, i) => {
    const y = barY(i);
    parts.push(
      rect(
        x(r.accuracy) + 2,
        y + 2,
        measureText(valueLabels[i]!, theme.tickSize) + 6,
        BAR_H - 4,
        theme.background,
      ),
    );
    parts.push(
      text(valueLabels[i]!, {
        x: x(r.accuracy) + 5,
        y: y + BAR_H / 2,
        baseline: 'middle',
        size: theme.tickSize,
        fill: theme.ink,
      }),
    );
  });
  parts.push(
    line(left, top, left, top + plotH, theme.axis),
    line(left, top + plotH, left + barWidth, top + plotH, theme.axis),
  );
  parts.push(
    text('accuracy', {
      x: left + barWidth / 2,
      y: top + plotH + 44,
      anchor: 'middle',
      size: theme.labelSize,
    }),
  );
  return svgDocument(width, height, title, parts.join(''));
}
