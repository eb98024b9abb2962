/**
 * Galleries of small RGB images with captions: misclassified test faces, a sample of crops
 * per actor, and the pictures of the hidden-unit figure. Pixels are embedded as PNG data URIs,
 * enlarged by whole factors with nearest neighbour and marked `image-rendering: pixelated`,
 * so every pixel stays a crisp square in librsvg and in browsers.
 */
import { InvalidOptionError } from '../errors.js';
import { positiveInteger } from '../validate.js';
import type { FontWeight } from './font.js';
import { rgbPngDataUri, upscaleNearest } from './png-encode.js';
import { figureTitle, num, rect, svgDocument, text } from './svg.js';
import { theme } from './theme.js';

/** One line of a caption: plain text, or text with its own colour and weight. */
export type CaptionLine = string | { text: string; color?: string; weight?: FontWeight };

/** An RGB image (Uint8Array, height × width × 3, row-major) of `side` × `side` pixels. */
export interface GalleryImage {
  pixels: Uint8Array;
  side: number;
  /** Lines under the image. Default none. */
  caption?: CaptionLine[];
  /** Colour of a frame around the image (e.g. red for a wrong prediction). Default: a thin grey frame. */
  frame?: string;
}

/**
 * An `<image>` element showing `pixels` in a `size` × `size` box at (x, y). The PNG is
 * enlarged by the largest whole factor that fits `size`, so any remaining scaling is small.
 */
export function embedImage(pixels: Uint8Array, side: number, x: number, y: number, size: number): string {
  positiveInteger('image side', side);
  if (pixels.length !== side * side * 3) {
    throw new InvalidOptionError(
      'image pixels',
      `${side * side * 3} bytes (${side}×${side}×3 RGB)`,
      pixels.length,
    );
  }
  const factor = Math.max(1, Math.floor(size / side));
  const uri = rgbPngDataUri(upscaleNearest(pixels, side, side, factor), side * factor, side * factor);
  return (
    `<image x="${num(x)}" y="${num(y)}" width="${num(size)}" height="${num(size)}" preserveAspectRatio="none" ` +
    `image-rendering="optimizeSpeed" style="image-rendering:pixelated" href="${uri}"/>`
  );
}

/** Options of {@link imageGridSvg}. */
export interface ImageGridOptions {
  /** Figure title. Default none. */
  title?: string;
  /** A line under the title explaining the captions. Default none. */
  subtitle?: string;
  /** Images per row. Default 6. */
  columns?: number;
  /** Displayed size of each image in user units. Default 96. */
  cellSize?: number;
  /** Caption lines reserved under every image. Default: the longest caption's line count. */
  captionLines?: number;
}

const CAPTION_LINE_H = 15;
const GAP = 14;

/** Images in a grid, row by row, each with its caption lines below it. */
export function imageGridSvg(items: GalleryImage[], options: ImageGridOptions = {}): string {
  const columns = Math.max(1, Math.min(options.columns ?? 6, Math.max(1, items.length)));
  const size = options.cellSize ?? 96;
  const captionLines = options.captionLines ?? Math.max(0, ...items.map((i) => i.caption?.length ?? 0));
  const cellW = Math.max(size, 110);
  const cellH = size + 6 + captionLines * CAPTION_LINE_H;
  const top = (options.title ? 52 : 16) + (options.subtitle ? 20 : 0);
  const rows = Math.ceil(items.length / columns);
  const width = 16 * 2 + columns * cellW + (columns - 1) * GAP;
  const height = top + Math.max(1, rows) * (cellH + GAP) + 4;
  const parts: string[] = [];
  if (options.title) {
    parts.push(figureTitle(options.title, width, { y: 30 }));
  }
  if (options.subtitle) {
    parts.push(
      text(options.subtitle, {
        x: width / 2,
        y: top - 20,
        anchor: 'middle',
        size: theme.tickSize,
        fill: theme.muted,
        maxWidth: width - 20,
      }),
    );
  }
  if (items.length === 0) {
    parts.push(
      text('(no images)', {
        x: width / 2,
        y: top + 20,
        anchor: 'middle',
        size: theme.labelSize,
        fill: theme.muted,
      }),
    );
  }
  items.forEach((item, k) => {
    const cx = 16 + (k % columns) * (cellW + GAP);
    const cy = top + Math.floor(k / columns) * (cellH + GAP);
    const ix = cx + (cellW - size) / 2;
    parts.push(embedImage(item.pixels, item.side, ix, cy, size));
    parts.push(frame(ix, cy, size, item.frame));
    (item.caption ?? []).forEach((line, j) => {
      const spec = typeof line === 'string' ? { text: line } : line;
      parts.push(
        text(spec.text, {
          x: cx + cellW / 2,
          y: cy + size + 6 + (j + 0.78) * CAPTION_LINE_H,
          anchor: 'middle',
          size: theme.tickSize,
          fill: spec.color ?? theme.ink,
          weight: spec.weight ?? 'regular',
          maxWidth: cellW,
        }),
      );
    });
  });
  return svgDocument(width, height, options.title ?? 'image gallery', parts.join(''));
}

/** Options of {@link imageRowsSvg}. */
export interface ImageRowsOptions {
  /** Figure title. Default none. */
  title?: string;
  /** Displayed size of each image. Default 72. */
  cellSize?: number;
}

/** Labelled rows of images, e.g. a sample of crops per actor: the label left, its images to the right. */
export function imageRowsSvg(
  rows: { label: string; sublabel?: string; images: Uint8Array[] }[],
  side: number,
  options: ImageRowsOptions = {},
): string {
  const size = options.cellSize ?? 72;
  const labelW = 150;
  const gap = 6;
  const top = options.title ? 50 : 12;
  const perRow = Math.max(1, ...rows.map((r) => r.images.length));
  const width = 12 + labelW + perRow * (size + gap) + 8;
  const height = top + rows.length * (size + gap) + 8;
  const parts: string[] = [];
  if (options.title) {
    parts.push(figureTitle(options.title, width, { y: 30 }));
  }
  rows.forEach((row, r) => {
    const y = top + r * (size + gap);
    const labelY = row.sublabel ? y + size / 2 - 7 : y + size / 2;
    parts.push(
      text(row.label, {
        x: 12 + labelW - 10,
        y: labelY,
        anchor: 'end',
        baseline: 'middle',
        size: theme.labelSize,
        maxWidth: labelW - 14,
      }),
    );
    if (row.sublabel) {
      parts.push(
        text(row.sublabel, {
          x: 12 + labelW - 10,
          y: labelY + 17,
          anchor: 'end',
          baseline: 'middle',
          size: theme.tickSize,
          fill: theme.muted,
          maxWidth: labelW - 14,
        }),
      );
    }
    row.images.forEach((pixels, i) => {
      const x = 12 + labelW + i * (size + gap);
      parts.push(embedImage(pixels, side, x, y, size), frame(x, y, size));
    });
  });
  return svgDocument(width, height, options.title ?? 'image rows', parts.join(''));
}

function frame(x: number, y: number, size: number, color?: string): string {
  return rect(x, y, size, size, 'none', `stroke="${color ?? '#c8c8c8'}" stroke-width="${color ? 2.5 : 1}"`);
}
