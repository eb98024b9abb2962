/**
 * From the tiny detector's grid to faces, as face-api's `TinyYolov2Base.extractBoxes` and
 * `detect` do it (in double precision, like face-api's JavaScript): per cell and anchor, score
 * `sigmoid(t_score)`, centre `(cell + sigmoid(t)) / cells`, size `exp(t) × anchor / cells`,
 * both corrected for the padded square; greedy NMS at IoU 0.4 on boxes scaled to the input side;
 * finally relative boxes scaled to the photo.
 */
import type { RawFace } from './detector-runtime.js';
import { greedyNms, type Rect } from './nms.js';
import type { SquareInput } from './preprocess.js';

/** IoU above which face-api's tiny detector suppresses a box. */
export const TINY_IOU_THRESHOLD = 0.4;

/** The tiny face detector's anchors (width, height in cells), `tinyFaceDetector/const.ts`. */
export const TINY_ANCHORS: readonly (readonly [number, number])[] = [
  [1.603231, 2.094468],
  [6.041143, 7.080126],
  [2.882459, 3.518061],
  [4.266906, 5.178857],
  [9.041765, 10.66308],
];

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * The faces of one photo from its `cells × cells × 25` grid, best first, in photo pixels
 * (face-api's mapping: boxes are not clipped).
 */
export function decodeTiny(
  grid: Float32Array,
  cells: number,
  input: SquareInput,
  photo: { width: number; height: number },
  options: { minScore: number; maxResults: number },
): RawFace[] {
  const { width, height } = input.reshaped;
  const size = Math.max(width, height);
  const correctX = size / width;
  const correctY = size / height;
  const boxes: Rect[] = [];
  const scores: number[] = [];
  for (let row = 0; row < cells; row++) {
    for (let col = 0; col < cells; col++) {
      for (const [anchor, [ax, ay]] of TINY_ANCHORS.entries()) {
        const at = ((row * cells + col) * TINY_ANCHORS.length + anchor) * 5;
        const score = sigmoid(grid[at + 4]!);
        // face-api's `!scoreThreshold ||`: a threshold of 0 keeps every box.
        if (options.minScore && !(score > options.minScore)) continue;
        const cx = ((col + sigmoid(grid[at]!)) / cells) * correctX;
        const cy = ((row + sigmoid(grid[at + 1]!)) / cells) * correctY;
        const w = ((Math.exp(grid[at + 2]!) * ax) / cells) * correctX;
        const h = ((Math.exp(grid[at + 3]!) * ay) / cells) * correctY;
        const x = cx - w / 2;
        const y = cy - h / 2;
        // face-api's BoundingBox(x, y, x + w, y + h): its size is recomputed from the corners.
        boxes.push({ x, y, width: x + w - x, height: y + h - y });
        scores.push(score);
      }
    }
  }
  const side = input.side;
  const scaled = boxes.map((b) => ({
    x: b.x * side,
    y: b.y * side,
    width: b.width * side,
    height: b.height * side,
  }));
  const kept = greedyNms(scaled, scores, TINY_IOU_THRESHOLD).slice(0, options.maxResults);
  return kept.map((i) => {
    const b = boxes[i]!;
    const x1 = b.x * photo.width;
    const y1 = b.y * photo.height;
    return { x1, y1, x2: x1 + b.width * photo.width, y2: y1 + b.height * photo.height, score: scores[i]! };
  });
}
