/**
 * Text as SVG paths. Every label of every figure goes through here, so figures contain no
 * `<text>` element and render identically with or without system fonts.
 */
import { embeddedFont, type FontWeight } from './font.js';

/** Where a text run sits relative to its `x`. */
export type TextAnchor = 'start' | 'middle' | 'end';

/** Which line of the text sits at its `y`. */
export type TextBaseline = 'alphabetic' | 'middle' | 'hanging';

/** Options of {@link textPath}. */
export interface TextOptions {
  /** Anchor x in SVG user units. */
  x: number;
  /** Anchor y in SVG user units. */
  y: number;
  /** Font size (em height) in user units. Default 12. */
  size?: number;
  /** Horizontal alignment. Default 'start'. */
  anchor?: TextAnchor;
  /** Vertical alignment: alphabetic baseline, middle of the capitals, or top of the capitals. Default 'alphabetic'. */
  baseline?: TextBaseline;
  /** Default 'regular'. */
  weight?: FontWeight;
  /** Fill colour (any SVG colour). Default '#222'. */
  fill?: string;
  /** Rotation in degrees about (x, y), clockwise as in SVG. Default 0. */
  rotate?: number;
  /**
   * Widest the text may be. Longer text is first shrunk down to 75 % of `size`, then cut
   * with an ellipsis. Default: unlimited.
   */
  maxWidth?: number;
}

/** Width of `content` in user units at font size `size`, kerning included. */
export function measureText(content: string, size = 12, weight: FontWeight = 'regular'): number {
  const font = embeddedFont(weight);
  return (font.layout(content).advance * size) / font.unitsPerEm;
}

/**
 * Fits `content` into `maxWidth`: returns the font size to use (not below 75 % of `size`) and
 * the text, cut with '…' when even the smaller size is too wide.
 */
export function fitText(
  content: string,
  maxWidth: number,
  size = 12,
  weight: FontWeight = 'regular',
): { text: string; size: number } {
  const width = measureText(content, size, weight);
  if (width <= maxWidth) return { text: content, size };
  const smallest = size * 0.75;
  const shrunk = (size * maxWidth) / width;
  if (shrunk >= smallest) return { text: content, size: shrunk };
  const chars = [...content];
  while (chars.length > 1 && measureText(`${chars.join('').trimEnd()}…`, smallest, weight) > maxWidth)
    chars.pop();
  return { text: `${chars.join('').trimEnd()}…`, size: smallest };
}

/**
 * Breaks `content` at spaces into lines no wider than `maxWidth` (a single word wider than
 * that gets a line of its own; {@link textPath}'s `maxWidth` can shrink it).
 */
export function wrapText(
  content: string,
  maxWidth: number,
  size = 12,
  weight: FontWeight = 'regular',
): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of content.split(/\s+/).filter((w) => w.length > 0)) {
    const candidate = current ? `${current} ${word}` : word;
    if (current && measureText(candidate, size, weight) > maxWidth) {
      lines.push(current);
      current = word;
    } else current = candidate;
  }
  if (current) lines.push(current);
  return lines;
}

/**
 * One `<path>` element drawing `content` with the embedded DejaVu Sans.
 * @example textPath('accuracy', { x: 20, y: 100, anchor: 'middle', rotate: -90 })
 */
export function textPath(content: string, options: TextOptions): string {
  if (content.length === 0) return '';
  let size = options.size ?? 12;
  const weight = options.weight ?? 'regular';
  if (options.maxWidth !== undefined) {
    const fitted = fitText(content, options.maxWidth, size, weight);
    content = fitted.text;
    size = fitted.size;
  }
  const font = embeddedFont(weight);
  const scale = size / font.unitsPerEm;
  const run = font.layout(content);
  const width = run.advance * scale;
  const anchor = options.anchor ?? 'start';
  const baseline = options.baseline ?? 'alphabetic';
  const capHeight = font.capHeight * scale;
  const dx = anchor === 'middle' ? -width / 2 : anchor === 'end' ? -width : 0;
  const dy = baseline === 'middle' ? capHeight / 2 : baseline === 'hanging' ? capHeight : 0;
  // Glyphs are laid out unrotated around (x, y); rotation is applied by a transform on the path.
  const ox = options.x + dx;
  const oy = options.y + dy;
  const parts: string[] = [];
  for (const glyph of run.glyphs) {
    const px = (fx: number): string => round(ox + (glyph.x + fx) * scale);
    const py = (fy: number): string => round(oy - (glyph.y + fy) * scale);
    for (const c of glyph.commands) {
      if (c.op === 'Z') parts.push('Z');
      else if (c.op === 'Q') parts.push(`Q${px(c.cx)} ${py(c.cy)} ${px(c.x)} ${py(c.y)}`);
      else if (c.op === 'C')
        parts.push(`C${px(c.c1x)} ${py(c.c1y)} ${px(c.c2x)} ${py(c.c2y)} ${px(c.x)} ${py(c.y)}`);
      else parts.push(`${c.op}${px(c.x)} ${py(c.y)}`);
    }
  }
  const rotate = options.rotate ?? 0;
  const transform =
    rotate === 0 ? '' : ` transform="rotate(${rotate} ${round(options.x)} ${round(options.y)})"`;
  return `<path d="${parts.join('')}" fill="${options.fill ?? '#222'}"${transform}/>`;
}

function round(value: number): string {
  return String(Math.round(value * 100) / 100);
}
