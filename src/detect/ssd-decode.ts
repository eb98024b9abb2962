/**
 * From the SSD graph's outputs to faces, as face-api's `SsdMobilenetv1.locateFaces` and
 * `outputLayer.ts` do it: decode each candidate's box against its anchor (centre offsets / 10,
 * log sizes / 5, in float32 like the TF.js ops), NMS at IoU 0.5, clip to the padded square,
 * and scale back to the photo through face-api's rounded reshaped size.
 */
import type { RawFace } from './detector-runtime.js';
import { type Corners, ssdNms } from './nms.js';
import type { SquareInput } from './preprocess.js';

/** IoU above which face-api's SSD suppresses a box. */
export const SSD_IOU_THRESHOLD = 0.5;

const f32 = Math.fround;

/** Anchor centres and sizes in float32, as `getCenterCoordinatesAndSizesLayer` computes them. */
export interface SsdAnchors {
  count: number;
  /** Per anchor: size y, size x, centre y, centre x. */
  geometry: Float32Array;
}

/** Precomputes the anchors' centres and sizes from `Output/extra_dim` (ymin, xmin, ymax, xmax). */
export function ssdAnchors(extraDim: Float32Array): SsdAnchors {
  const count = extraDim.length / 4;
  const geometry = new Float32Array(count * 4);
  for (let i = 0; i < count; i++) {
    const [y0, x0, y1, x1] = [
      extraDim[i * 4]!,
      extraDim[i * 4 + 1]!,
      extraDim[i * 4 + 2]!,
      extraDim[i * 4 + 3]!,
    ];
    const sy = f32(y1 - y0);
    const sx = f32(x1 - x0);
    geometry.set([sy, sx, f32(y0 + f32(sy / 2)), f32(x0 + f32(sx / 2))], i * 4);
  }
  return { count, geometry };
}

/** Decodes anchor `i`'s box (top, left, bottom, right in 0…1 of the padded square). */
export function decodeSsdBox(encodings: Float32Array, anchors: SsdAnchors, i: number): Corners {
  const g = anchors.geometry;
  const [sy, sx, cy, cx] = [g[i * 4]!, g[i * 4 + 1]!, g[i * 4 + 2]!, g[i * 4 + 3]!];
  const [ty, tx, th, tw] = [
    encodings[i * 4]!,
    encodings[i * 4 + 1]!,
    encodings[i * 4 + 2]!,
    encodings[i * 4 + 3]!,
  ];
  const halfH = f32(f32(f32(Math.exp(f32(th / 5))) * sy) / 2);
  const centreY = f32(f32(f32(ty / 10) * sy) + cy);
  const halfW = f32(f32(f32(Math.exp(f32(tw / 5))) * sx) / 2);
  const centreX = f32(f32(f32(tx / 10) * sx) + cx);
  return {
    top: f32(centreY - halfH),
    left: f32(centreX - halfW),
    bottom: f32(centreY + halfH),
    right: f32(centreX + halfW),
  };
}

/** Options of `decodeSsd`. */
export interface SsdDecodeOptions {
  /** Keep candidates scoring strictly above this. */
  minScore: number;
  /** At most this many faces. */
  maxResults: number;
}

/**
 * The faces of one photo from one image's `box_encodings` and `scores`, best first, in photo
 * pixels (face-api's own mapping, which may reach past the photo's edge: clip afterwards).
 */
export function decodeSsd(
  encodings: Float32Array,
  scores: Float32Array,
  anchors: SsdAnchors,
  input: SquareInput,
  photo: { width: number; height: number },
  options: SsdDecodeOptions,
): RawFace[] {
  const boxes = new Map<number, Corners>();
  const box = (i: number): Corners => {
    let b = boxes.get(i);
    if (!b) {
      b = decodeSsdBox(encodings, anchors, i);
      boxes.set(i, b);
    }
    return b;
  };
  const kept = ssdNms(anchors.count, scores, box, {
    maxResults: options.maxResults,
    iouThreshold: SSD_IOU_THRESHOLD,
    minScore: options.minScore,
  });
  const padX = input.side / input.reshaped.width;
  const padY = input.side / input.reshaped.height;
  return kept.map((i) => {
    const b = box(i);
    // face-api clips to the padded square, then makes relative photo coordinates.
    const top = Math.max(0, b.top) * padY;
    const bottom = Math.min(1, b.bottom) * padY;
    const left = Math.max(0, b.left) * padX;
    const right = Math.min(1, b.right) * padX;
    const x1 = left * photo.width;
    const y1 = top * photo.height;
    return {
      x1,
      y1,
      x2: x1 + (right - left) * photo.width,
      y2: y1 + (bottom - top) * photo.height,
      score: scores[i]!,
    };
  });
}
