/**
 * SVG → PNG with sharp (librsvg). Figures built by `src/viz` draw text as paths, so the
 * result does not depend on the fonts installed on the machine.
 */
import sharp from 'sharp';
import { InvalidOptionError } from '../errors.js';
import { positiveInteger } from '../validate.js';
import { svgSize } from './svg.js';

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
    positiveInteger('width', options.width);
    const svgWidth = svgSize(svg)?.width;
    const density = svgWidth === undefined ? 72 : (72 * options.width) / svgWidth;
    // libvips rounds the rendered size; the resize fixes the last pixel without visible resampling.
    return sharp(input, { density }).resize({ width: options.width }).png().toBuffer();
  }
  const density = options.density ?? 72;
  if (!(density > 0) || density > 100_000)
    throw new InvalidOptionError('density', 'number in (0, 100000]', density);
  return sharp(input, { density }).png().toBuffer();
}
