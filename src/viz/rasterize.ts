/**
 * SVG → PNG with sharp (librsvg). Figures built by `src/viz` draw text as paths, so the
 * result does not depend on the fonts installed on the machine.
 */
import sharp from 'sharp';
import { InvalidOptionError } from '../errors.js';

/** Options of {@link svgToPng}. */
export interface RasterizeOptions {
  /**
   * Width of the PNG in pixels; the height follows the SVG's aspect ratio. The SVG is rendered
   * at the matching density (not rendered small and enlarged), so it stays sharp.
   * Default: the SVG's own width at `density`.
   */
  width?: number;
  /** Rendering density in DPI; 72 draws one SVG user unit as one pixel. Default 72. Ignored when `width` is set. */
  density?: number;
}

/**
 * Rasterises an SVG document to PNG bytes.
 * @example await writeFile('curve.png', await svgToPng(learningCurveSvg(curves, { title: 'run 1' }), { width: 1200 }))
 */
export async function svgToPng(svg: string, options: RasterizeOptions = {}): Promise<Buffer> {
  const input = Buffer.from(svg);
  if (options.width !== undefined) {
    if (!Number.isInteger(options.width) || options.width < 1) {
      throw new InvalidOptionError('width', 'positive integer', options.width);
    }
    const svgWidth = svgWidthOf(svg);
    const density = svgWidth === undefined ? 72 : (72 * options.width) / svgWidth;
    // libvips rounds the rendered size; the resize fixes the last pixel without visible resampling.
    return sharp(input, { density }).resize({ width: options.width }).png().toBuffer();
  }
  const density = options.density ?? 72;
  if (!(density > 0) || density > 100_000)
    throw new InvalidOptionError('density', 'number in (0, 100000]', density);
  return sharp(input, { density }).png().toBuffer();
}

/** The numeric `width` attribute of the root `<svg>` element, in user units (px). */
function svgWidthOf(svg: string): number | undefined {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0];
  const width = root && /\swidth="([\d.]+)(px)?"/.exec(root)?.[1];
  return width ? Number(width) : undefined;
}
