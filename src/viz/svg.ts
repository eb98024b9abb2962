/**
 * Small SVG building blocks shared by the figures: escaping, the document wrapper, scales,
 * "nice" tick values and axes. Text is drawn as paths (see `text-path.ts`).
 */
import { measureText, textPath } from './text-path.js';
import { theme } from './theme.js';

export { fitText, measureText, type TextOptions, textPath as text, wrapText } from './text-path.js';

/**
 * Escapes `&`, `<`, `>`, `"` and `'` for text and attribute values of SVG/XML and of HTML alike
 * (`'` as `&#39;`, which both read; HTML 4 has no `&apos;`).
 */
export function escapeXml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": '#39' }[c]};`,
  );
}

/** The numeric `width` and `height` of an SVG document's root element, in user units (px). */
export function svgSize(svg: string): { width: number; height: number } | undefined {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0];
  const width = root && /\swidth="([\d.]+)(?:px)?"/.exec(root)?.[1];
  const height = root && /\sheight="([\d.]+)(?:px)?"/.exec(root)?.[1];
  return width && height ? { width: Number(width), height: Number(height) } : undefined;
}

/** Where {@link figureTitle} sets a title. */
export interface FigureTitleOptions {
  /** Baseline of the title in user units. Default 28. */
  y?: number;
  /** Space kept free on each side; a longer title shrinks, then is cut. Default 10. */
  margin?: number;
}

/** The bold, centred title line at the top of a figure `width` wide. */
export function figureTitle(title: string, width: number, options: FigureTitleOptions = {}): string {
  const margin = options.margin ?? 10;
  return textPath(title, {
    x: width / 2,
    y: options.y ?? 28,
    anchor: 'middle',
    size: theme.titleSize,
    weight: 'bold',
    maxWidth: width - 2 * margin,
  });
}

/** Rounds a coordinate to 0.01 user units for compact output. */
export function num(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/**
 * A complete SVG document with a white background. `title` becomes the `<title>` element
 * (read by screen readers and shown as a tooltip in browsers; not drawn).
 */
export function svgDocument(width: number, height: number, title: string, body: string): string {
  const w = Math.ceil(width);
  const h = Math.ceil(height);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img">` +
    `<title>${escapeXml(title)}</title><rect width="${w}" height="${h}" fill="${theme.background}"/>${body}</svg>`
  );
}

/** A `<rect>`; `extra` is appended verbatim as attributes (e.g. `stroke="#000"`). */
export function rect(x: number, y: number, width: number, height: number, fill: string, extra = ''): string {
  return `<rect x="${num(x)}" y="${num(y)}" width="${num(width)}" height="${num(height)}" fill="${fill}"${extra ? ` ${extra}` : ''}/>`;
}

/** A `<line>` of width `strokeWidth` (default 1). */
export function line(
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  stroke: string,
  strokeWidth = 1,
): string {
  return `<line x1="${num(x1)}" y1="${num(y1)}" x2="${num(x2)}" y2="${num(y2)}" stroke="${stroke}" stroke-width="${strokeWidth}"/>`;
}

/** Maps `[d0, d1]` linearly onto `[r0, r1]`. A zero-width domain maps to the middle of the range. */
export function linearScale(d0: number, d1: number, r0: number, r1: number): (value: number) => number {
  if (d1 === d0) return () => (r0 + r1) / 2;
  return (value) => r0 + ((value - d0) / (d1 - d0)) * (r1 - r0);
}

/**
 * Round tick values covering `[min, max]`: steps of 1, 2 or 5 × 10^k, about `count` of them,
 * every tick inside the interval (ends included when they fall on a step).
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max === min) return [min];
  const step = niceStep((max - min) / Math.max(1, count));
  const ticks: number[] = [];
  const first = Math.ceil(min / step - 1e-9);
  const last = Math.floor(max / step + 1e-9);
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** The smallest 1, 2 or 5 × 10^k not below `raw` (raw > 0). */
export function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

/** Formats tick values with as many decimals as their spacing needs (0.1 → "0.3", 0.05 → "0.35"). */
export function formatTicks(ticks: number[]): string[] {
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : 1;
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  return ticks.map((t) => t.toFixed(decimals));
}

/** Options of {@link axes}. */
export interface AxesOptions {
  /** Plot area in user units. */
  left: number;
  top: number;
  width: number;
  height: number;
  /** Data range along x and y. */
  xDomain: [number, number];
  yDomain: [number, number];
  /** Tick values along x and y (see {@link niceTicks}). */
  xTicks: number[];
  yTicks: number[];
  /** Axis titles. */
  xLabel: string;
  yLabel: string;
  /** Draw light horizontal grid lines at the y ticks. Default true. */
  grid?: boolean;
}

/** Axis lines, ticks, tick labels, axis titles and optional grid of a plot area. */
export function axes(options: AxesOptions): string {
  const { left, top, width, height } = options;
  const bottom = top + height;
  const x = linearScale(options.xDomain[0], options.xDomain[1], left, left + width);
  const y = linearScale(options.yDomain[0], options.yDomain[1], bottom, top);
  const parts: string[] = [];
  const yLabels = formatTicks(options.yTicks);
  let widestY = 0;
  options.yTicks.forEach((t, i) => {
    if (options.grid ?? true) parts.push(line(left, y(t), left + width, y(t), theme.grid));
    parts.push(line(left - 5, y(t), left, y(t), theme.axis));
    parts.push(
      textPath(yLabels[i]!, {
        x: left - 8,
        y: y(t),
        anchor: 'end',
        baseline: 'middle',
        size: theme.tickSize,
        fill: theme.muted,
      }),
    );
    widestY = Math.max(widestY, measureText(yLabels[i]!, theme.tickSize));
  });
  const xLabels = formatTicks(options.xTicks);
  options.xTicks.forEach((t, i) => {
    parts.push(line(x(t), bottom, x(t), bottom + 5, theme.axis));
    parts.push(
      textPath(xLabels[i]!, {
        x: x(t),
        y: bottom + 8,
        anchor: 'middle',
        baseline: 'hanging',
        size: theme.tickSize,
        fill: theme.muted,
      }),
    );
  });
  parts.push(line(left, top, left, bottom, theme.axis), line(left, bottom, left + width, bottom, theme.axis));
  parts.push(
    textPath(options.xLabel, {
      x: left + width / 2,
      y: bottom + 40,
      anchor: 'middle',
      size: theme.labelSize,
      fill: theme.ink,
    }),
  );
  parts.push(
    textPath(options.yLabel, {
      x: left - 16 - widestY,
      y: top + height / 2,
      anchor: 'middle',
      size: theme.labelSize,
      fill: theme.ink,
      rotate: -90,
    }),
  );
  return parts.join('');
}

/** A polyline through `points` with an optional dot of radius `markerRadius` (0 = none) at each point. */
export function circlesAndLine(points: [number, number][], color: string, markerRadius = 0): string {
  const path = points.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${num(px)} ${num(py)}`).join('');
  const dots =
    markerRadius > 0
      ? points
          .map(([px, py]) => `<circle cx="${num(px)}" cy="${num(py)}" r="${markerRadius}" fill="${color}"/>`)
          .join('')
      : '';
  const line =
    points.length > 1
      ? `<path d="${path}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round"/>`
      : '';
  return line + dots;
}
