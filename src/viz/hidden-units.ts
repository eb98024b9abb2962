/**
 * What a hidden unit looks for: its input weights drawn as an image. Each unit's S×S×3 weights
 * are summed over the colour channels and shown on the diverging map (blue negative, red
 * positive, near-white zero), enlarged without smoothing, beside the actor's mean face.
 */
import { InvalidOptionError } from '../errors.js';
import { colorBarSvg, divergingColor } from './colormap.js';
import { embedImage } from './image-grid.js';
import { figureTitle, measureText, num, rect, svgDocument, text, wrapText } from './svg.js';
import { theme } from './theme.js';

/** Input of {@link hiddenUnitsSvg}. */
export interface HiddenUnitsInput {
  /** Side S of the square input images. */
  side: number;
  /** One entry per unit shown: its first-layer weights, S×S×3 in HWC order. */
  weights: Float32Array[];
  /** One title per unit, e.g. "hidden unit #12 (won 23 of 70 photos)". */
  titles: string[];
  /** The actor's mean training face, S×S×3 RGB bytes. Default: not shown. */
  meanFace?: Uint8Array;
  /** The actor's name, used in the figure title and the mean face caption. */
  actor: string;
  /** Figure title. Default "Hidden units that fire most for <actor>". */
  title?: string;
  /**
   * Colour scale: 'per-unit' fits each unit's own largest |weight| (patterns stay visible even
   * when units differ in magnitude); 'shared' uses the largest over all units (magnitudes
   * compare). Default 'per-unit'.
   */
  scale?: 'per-unit' | 'shared';
  /** Displayed size of each picture in user units. Default 160. */
  cellSize?: number;
}

/** Sums the three channels of HWC weights into an S×S map. */
export function sumChannels(weights: Float32Array, side: number): Float32Array {
  if (weights.length !== side * side * 3) {
    throw new InvalidOptionError('weights', `${side * side * 3} values (${side}×${side}×3)`, weights.length);
  }
  const out = new Float32Array(side * side);
  for (let i = 0; i < out.length; i++) out[i] = weights[3 * i]! + weights[3 * i + 1]! + weights[3 * i + 2]!;
  return out;
}

/** RGB bytes of a signed map on the diverging colour scale ±maxAbs. */
export function divergingImage(values: Float32Array, maxAbs: number): Uint8Array {
  const out = new Uint8Array(values.length * 3);
  for (let i = 0; i < values.length; i++) out.set(divergingColor(values[i]!, maxAbs), 3 * i);
  return out;
}

/** Figure of hidden units' input weights (channels summed) with colour bars and the actor's mean face. */
export function hiddenUnitsSvg(input: HiddenUnitsInput): string {
  const { side, weights, titles } = input;
  if (titles.length !== weights.length) {
    throw new InvalidOptionError('titles', `${weights.length} titles (one per unit)`, titles.length);
  }
  const maps = weights.map((w) => sumChannels(w, side));
  const unitMax = maps.map((m) => m.reduce((a, v) => Math.max(a, Math.abs(v)), 0));
  const shared = Math.max(0, ...unitMax);
  const perUnit = (input.scale ?? 'per-unit') === 'per-unit';
  const size = input.cellSize ?? 160;
  const cellW = Math.max(size, 190);
  const gap = 22;
  const panels = weights.length + (input.meanFace ? 1 : 0);
  const title = input.title ?? `Hidden units that fire most for ${input.actor}`;
  const titleLines = titles.map((t) => titleLinesOf(t, cellW));
  const lineCount = Math.max(1, ...titleLines.map((l) => l.length));
  const top = 66 + lineCount * 18;
  const width = Math.max(420, 24 * 2 + panels * cellW + (panels - 1) * gap + (input.meanFace ? 16 : 0));
  const height = top + 22 + size + (perUnit ? 64 : 20) + (perUnit ? 0 : 60);

  const parts = [
    figureTitle(title, width, { y: 30 }),
    text('input weights summed over R, G, B · blue negative, red positive, white zero', {
      x: width / 2,
      y: 54,
      anchor: 'middle',
      size: theme.tickSize,
      fill: theme.muted,
      maxWidth: width - 20,
    }),
  ];
  let x = 20;
  const imageY = top + 22;
  if (input.meanFace) {
    const ix = x + (cellW - size) / 2;
    parts.push(
      text('mean training face', {
        x: x + cellW / 2,
        y: top + 8,
        anchor: 'middle',
        size: theme.labelSize,
        weight: 'bold',
      }),
    );
    parts.push(embedImage(input.meanFace, side, ix, imageY, size), outline(ix, imageY, size));
    parts.push(
      text(input.actor, {
        x: x + cellW / 2,
        y: imageY + size + 20,
        anchor: 'middle',
        size: theme.tickSize,
        fill: theme.muted,
        maxWidth: cellW,
      }),
    );
    x += cellW + gap;
    // A thin rule separates the context picture from the units.
    parts.push(rect(x - gap / 2 + 8, top - 6, 1, size + 60, theme.grid));
    x += 16;
  }
  const unitsLeft = x;
  maps.forEach((map, u) => {
    const maxAbs = perUnit ? unitMax[u]! : shared;
    const ix = x + (cellW - size) / 2;
    titleLines[u]!.forEach((l, i) => {
      const y = top + 8 - (titleLines[u]!.length - 1 - i) * 18;
      parts.push(
        text(l, {
          x: x + cellW / 2,
          y,
          anchor: 'middle',
          size: theme.labelSize,
          weight: 'bold',
          maxWidth: cellW,
        }),
      );
    });
    parts.push(embedImage(divergingImage(map, maxAbs), side, ix, imageY, size), outline(ix, imageY, size));
    if (perUnit) parts.push(bar(ix, imageY + size + 12, size, maxAbs));
    x += cellW + gap;
  });
  if (!perUnit)
    parts.push(
      bar((unitsLeft + x - gap) / 2 - 150, imageY + size + 30, 300, shared, 'weight (shared scale)'),
    );
  return svgDocument(width, height, title, parts.join(''));
}

/** Splits a unit title before its parenthesis ("hidden unit #3" / "(won 15 of 70)") when it is too wide, then wraps. */
function titleLinesOf(title: string, maxWidth: number): string[] {
  if (measureText(title, theme.labelSize, 'bold') <= maxWidth) return [title];
  const paren = title.indexOf(' (');
  const pieces = paren > 0 ? [title.slice(0, paren), title.slice(paren + 1)] : [title];
  return pieces.flatMap((p) => wrapText(p, maxWidth, theme.labelSize, 'bold'));
}

function bar(x: number, y: number, width: number, maxAbs: number, label?: string): string {
  const format = (v: number): string =>
    v === 0 ? '0' : Number(v.toPrecision(2)).toString().replace('-', '\u2212');
  return colorBarSvg({
    x,
    y,
    width,
    height: 10,
    kind: 'diverging',
    max: maxAbs > 0 ? maxAbs : 1,
    ticks: maxAbs > 0 ? [-maxAbs, 0, maxAbs] : [0],
    format,
    ...(label ? { label } : {}),
  });
}

function outline(x: number, y: number, size: number): string {
  return `<rect x="${num(x)}" y="${num(y)}" width="${num(size)}" height="${num(size)}" fill="none" stroke="${theme.axis}" stroke-width="0.75"/>`;
}
