/**
 * A photo with its faces drawn on it: a box round each face and a label above it (a name with
 * its probability, or a detection score). The overlay is an SVG of the photo's size composited
 * by sharp; labels are text paths (`text-path.ts`), so no system font is needed. The photo is
 * drawn in stored-pixel order (EXIF orientation not applied), the order the boxes are in.
 */
import sharp, { type Sharp } from 'sharp';
import { ImageError } from '../errors.js';
import { escapeXml, num, text } from './svg.js';
import { theme } from './theme.js';

/** One face to draw. */
export interface AnnotatedFace {
  /** Box in stored pixels (x2, y2 exclusive). */
  box: { x1: number; y1: number; x2: number; y2: number };
  /** Text above the box (e.g. "Bill Hader 0.97"). */
  label: string;
  /** Box and label colour. Default: the first series colour. */
  color?: string;
}

/** Options of `annotatePhoto`. */
export interface AnnotateOptions {
  /** `jpeg` or `png`. Default: png for PNG photos, else jpeg. */
  format?: 'jpeg' | 'png';
}

/**
 * The photo at `photo` with `faces` drawn on it, as JPEG or PNG bytes. A photo that does not
 * decode is an `ImageError`.
 *
 * @example
 * await writeFile('out/me.jpg', await annotatePhoto('me.jpg', [{ box, label: 'Ann 0.98' }]));
 */
export async function annotatePhoto(
  photo: string | Uint8Array,
  faces: readonly AnnotatedFace[],
  options: AnnotateOptions = {},
): Promise<Buffer> {
  const source = typeof photo === 'string' ? photo : 'image';
  let image: Sharp;
  let width: number;
  let height: number;
  let format: string | undefined;
  try {
    image = sharp(photo, { autoOrient: false, pages: 1, page: 0, limitInputPixels: 100_000_000 });
    const meta = await image.metadata();
    width = meta.width ?? 0;
    height = meta.pageHeight ?? meta.height ?? 0;
    format = meta.format;
  } catch (error) {
    throw new ImageError(
      source,
      'corrupt image',
      `cannot draw on the photo (${(error as Error).message.split('\n')[0]})`,
    );
  }
  const overlay = Buffer.from(overlaySvg(width, height, faces));
  const out = image.composite([{ input: overlay, top: 0, left: 0 }]);
  const as = options.format ?? (format === 'png' ? 'png' : 'jpeg');
  return as === 'png' ? out.png().toBuffer() : out.jpeg({ quality: 90 }).toBuffer();
}

/** The overlay: boxes with a label tab each, line widths and text sized to the photo. */
export function overlaySvg(width: number, height: number, faces: readonly AnnotatedFace[]): string {
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 250));
  const size = Math.max(12, Math.round(Math.min(width, height) / 40));
  const parts: string[] = [];
  for (const face of faces) {
    const color = face.color ?? theme.series[0];
    const { x1, y1, x2, y2 } = face.box;
    parts.push(
      `<rect x="${num(x1)}" y="${num(y1)}" width="${num(x2 - x1)}" height="${num(y2 - y1)}" fill="none" stroke="${escapeXml(color)}" stroke-width="${stroke}"/>`,
    );
    if (face.label === '') continue;
    const tab = size * 1.5;
    // The label sits above the box, or inside its top edge when the box touches the photo's top.
    const top = y1 - tab >= 0 ? y1 - tab : y1;
    const labelWidth = Math.min(width - Math.max(0, x1), size * 0.62 * face.label.length + size);
    parts.push(
      `<rect x="${num(Math.max(0, x1))}" y="${num(top)}" width="${num(labelWidth)}" height="${num(tab)}" fill="${escapeXml(color)}"/>`,
      text(face.label, {
        x: Math.max(0, x1) + size / 2,
        y: top + tab / 2,
        size,
        baseline: 'middle',
        fill: '#ffffff',
        maxWidth: labelWidth - size,
      }),
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}
