/**
 * The two photo galleries of a report: misclassified test faces and a sample of crops per actor.
 */
import { type GalleryImage, imageGridSvg, imageRowsSvg } from './image-grid.js';
import { theme } from './theme.js';

/** A test photo the model got wrong. */
export interface Misclassified {
  /** RGB crop, side × side × 3 bytes. */
  pixels: Uint8Array;
  side: number;
  trueActor: string;
  predictedActor: string;
  /** The model's probability for `predictedActor`, in [0, 1]. */
  probability: number;
}

/** Options of {@link misclassifiedFacesSvg}. */
export interface MisclassifiedOptions {
  /** Default 'Misclassified test faces'. */
  title?: string;
  /** Images per row. Default 6. */
  columns?: number;
  /** Displayed image size. Default 96. */
  cellSize?: number;
}

/** Thumbnails of wrongly classified faces, each captioned with the true actor, the prediction and its probability. */
export function misclassifiedFacesSvg(items: Misclassified[], options: MisclassifiedOptions = {}): string {
  const images: GalleryImage[] = items.map((m) => ({
    pixels: m.pixels,
    side: m.side,
    frame: theme.highlight,
    caption: [
      { text: m.trueActor, weight: 'bold' },
      { text: `→ ${m.predictedActor}`, color: theme.highlight },
      { text: `p = ${m.probability.toFixed(2)}`, color: theme.muted },
    ],
  }));
  return imageGridSvg(images, {
    title: options.title ?? 'Misclassified test faces',
    subtitle: 'bold: true actor · red: predicted actor · p: predicted probability',
    columns: options.columns ?? 6,
    cellSize: options.cellSize ?? 96,
    captionLines: 3,
  });
}

/** Options of {@link cropSampleSvg}. */
export interface CropSampleOptions {
  /** Default 'Sample of crops per actor'. */
  title?: string;
  /** Displayed image size. Default 64. */
  cellSize?: number;
}

/** One row per actor: name (and photo count when given) then a few of the actor's crops. */
export function cropSampleSvg(
  rows: { actor: string; images: Uint8Array[]; total?: number }[],
  side: number,
  options: CropSampleOptions = {},
): string {
  return imageRowsSvg(
    rows.map((r) => ({
      label: r.actor,
      images: r.images,
      ...(r.total === undefined ? {} : { sublabel: `${r.total} photos` }),
    })),
    side,
    { title: options.title ?? 'Sample of crops per actor', cellSize: options.cellSize ?? 64 },
  );
}
