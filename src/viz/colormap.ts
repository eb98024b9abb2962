/**
 * Colour maps. The diverging map shows signed values (hidden-unit weights): blue below zero,
 * near-white at zero, red above, with the two sides matched in luma so that +v and −v look
 * equally strong. The sequential map shows magnitudes (accuracies, counts).
 */
import { num, rect, text } from './svg.js';
import { theme } from './theme.js';

/** An sRGB colour, each channel 0–255. */
export type Rgb = [number, number, number];

/** The colour of zero on the diverging map. */
export const NEUTRAL: Rgb = [247, 247, 247];

// Red side from ColorBrewer RdBu; each blue stop is RdBu's, scaled so its Rec. 709 luma equals
// the red stop's. Luma is linear in RGB, so linear interpolation keeps the two sides matched.
const RED: Rgb[] = [NEUTRAL, [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43]];
const BLUE: Rgb[] = [NEUTRAL, [208, 228, 239], [139, 188, 212], [60, 132, 175], [21, 64, 108]];

// Viridis, sampled at 9 points: perceptually uniform, readable in grey and by colour-blind readers.
const VIRIDIS: Rgb[] = [
  [68, 1, 84],
  [71, 45, 123],
  [59, 82, 139],
  [44, 114, 142],
  [33, 145, 140],
  [40, 174, 128],
  [94, 201, 98],
  [173, 220, 48],
  [253, 231, 37],
];

// ColorBrewer Blues: white for zero, so empty cells of a count matrix stay quiet.
const BLUES: Rgb[] = [
  [255, 255, 255],
  [222, 235, 247],
  [198, 219, 239],
  [158, 202, 225],
  [107, 174, 214],
  [66, 146, 198],
  [33, 113, 181],
  [8, 81, 156],
  [8, 48, 107],
];

function interpolate(stops: Rgb[], t: number): Rgb {
  const position = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(position));
  const f = position - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  return [0, 1, 2].map((c) => Math.round(a[c]! + (b[c]! - a[c]!) * f)) as Rgb;
}

/**
 * Diverging colour of `value` on a scale from −maxAbs (dark blue) through 0 (near-white
 * {@link NEUTRAL}) to +maxAbs (dark red). Values beyond ±maxAbs take the end colours;
 * NaN and a non-positive `maxAbs` give the neutral colour.
 */
export function divergingColor(value: number, maxAbs: number): Rgb {
  if (!(maxAbs > 0) || Number.isNaN(value)) return [...NEUTRAL];
  const t = Math.min(1, Math.abs(value) / maxAbs);
  return interpolate(value < 0 ? BLUE : RED, t);
}

/** Sequential (viridis) colour of `value` in `[min, max]`, clamped; the middle colour when min = max. */
export function sequentialColor(value: number, min: number, max: number): Rgb {
  return interpolate(VIRIDIS, max > min ? (value - min) / (max - min) : 0.5);
}

/** Single-hue colour of a fraction `t` in [0, 1] (clamped): white at 0, dark blue at 1. */
export function bluesColor(t: number): Rgb {
  return interpolate(BLUES, t);
}

/** `#rrggbb` of a colour. */
export function hex(color: Rgb): string {
  return `#${color.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

/** Rec. 709 luma (0–255) of a colour, used to pick black or white text on a cell. */
export function luma(color: Rgb): number {
  return 0.2126 * color[0] + 0.7152 * color[1] + 0.0722 * color[2];
}

/** Dark ink on light colours, white on dark ones. */
export function textColorOn(color: Rgb): string {
  return luma(color) > 140 ? theme.ink : '#ffffff';
}

/** Options of {@link colorBarSvg}. */
export interface ColorBarOptions {
  /** Top-left corner of the bar itself (labels go outside it). */
  x: number;
  y: number;
  /** Bar size in user units; the long side is the value axis. */
  width: number;
  height: number;
  /** 'diverging' spans [−maxAbs, +maxAbs]; 'sequential' spans [min, max]. */
  kind: 'diverging' | 'sequential';
  /** Value range: for 'diverging' only `max` is used (as maxAbs). */
  min?: number;
  max: number;
  /** Tick labels, bottom-to-top (vertical) or left-to-right (horizontal). Default: ends and middle. */
  ticks?: number[];
  /** Formats a tick value. Default: 2 significant digits, with a true minus sign. */
  format?: (value: number) => string;
  /** Caption beside the bar. Default none. */
  label?: string;
}

/**
 * A colour bar as an SVG fragment. Drawn as 128 solid strips rather than a gradient so that
 * several bars in one HTML page need no unique element ids, and colours match the cells exactly.
 * Vertical when taller than wide (labels on the right), else horizontal (labels below).
 */
export function colorBarSvg(options: ColorBarOptions): string {
  const { x, y, width, height } = options;
  const vertical = height >= width;
  const min = options.kind === 'diverging' ? -options.max : (options.min ?? 0);
  const max = options.max;
  const colorAt = (v: number): Rgb =>
    options.kind === 'diverging' ? divergingColor(v, max) : sequentialColor(v, min, max);
  const strips = 128;
  const parts: string[] = [];
  for (let i = 0; i < strips; i++) {
    const v = min + ((i + 0.5) / strips) * (max - min);
    const fill = hex(colorAt(v));
    // Strips overlap by a hair so no background line shows between them after anti-aliasing.
    if (vertical)
      parts.push(rect(x, y + height - ((i + 1) * height) / strips, width, height / strips + 0.3, fill));
    else parts.push(rect(x + (i * width) / strips, y, width / strips + 0.3, height, fill));
  }
  parts.push(
    `<rect x="${num(x)}" y="${num(y)}" width="${num(width)}" height="${num(height)}" fill="none" stroke="${theme.axis}" stroke-width="0.75"/>`,
  );
  const format =
    options.format ?? ((v: number) => Number(v.toPrecision(2)).toString().replace('-', '\u2212'));
  const ticks = options.ticks ?? [min, (min + max) / 2, max];
  for (const t of ticks) {
    const f = max > min ? (t - min) / (max - min) : 0.5;
    const label = format(t);
    const style = { size: theme.tickSize, fill: theme.muted };
    if (vertical) {
      const ty = y + height - f * height;
      parts.push(rect(x + width, ty - 0.5, 4, 1, theme.axis));
      parts.push(text(label, { ...style, x: x + width + 7, y: ty, baseline: 'middle' }));
    } else {
      const tx = x + f * width;
      parts.push(rect(tx - 0.5, y + height, 1, 4, theme.axis));
      parts.push(text(label, { ...style, x: tx, y: y + height + 7, anchor: 'middle', baseline: 'hanging' }));
    }
  }
  if (options.label) {
    parts.push(
      vertical
        ? text(options.label, {
            x: x + width / 2,
            y: y - 8,
            anchor: 'middle',
            size: theme.tickSize,
            fill: theme.ink,
          })
        : text(options.label, {
            x: x + width / 2,
            y: y - 6,
            anchor: 'middle',
            size: theme.tickSize,
            fill: theme.ink,
          }),
    );
  }
  return parts.join('');
}
