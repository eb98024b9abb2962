/**
 * The two non-maximum suppressions of face-api, reproduced step for step (same ordering, same
 * comparisons, same ties) so the same boxes survive:
 *
 * - `ssdNms`: `src/ssdMobilenetv1/nonMaxSuppression.ts` — candidates scoring above the
 *   threshold, best first; a candidate is kept unless its IoU with a kept box exceeds the IoU
 *   threshold; at most `maxResults` kept.
 * - `greedyNms`: `src/ops/nonMaxSuppression.ts` (the tiny detector's) — repeatedly take the
 *   best remaining box and drop every remaining box whose IoU with it exceeds the threshold.
 */

/** A box as corners: top, left, bottom, right (any unit). */
export interface Corners {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

/** IoU as face-api's SSD computes it (corners reordered, 0 when either box is empty). */
function ssdIou(a: Corners, b: Corners): number {
  const aTop = Math.min(a.top, a.bottom);
  const aLeft = Math.min(a.left, a.right);
  const aBottom = Math.max(a.top, a.bottom);
  const aRight = Math.max(a.left, a.right);
  const bTop = Math.min(b.top, b.bottom);
  const bLeft = Math.min(b.left, b.right);
  const bBottom = Math.max(b.top, b.bottom);
  const bRight = Math.max(b.left, b.right);
  const areaA = (aBottom - aTop) * (aRight - aLeft);
  const areaB = (bBottom - bTop) * (bRight - bLeft);
  if (areaA <= 0 || areaB <= 0) return 0;
  const inter =
    Math.max(Math.min(aBottom, bBottom) - Math.max(aTop, bTop), 0) *
    Math.max(Math.min(aRight, bRight) - Math.max(aLeft, bLeft), 0);
  return inter / (areaA + areaB - inter);
}

/**
 * face-api's SSD NMS. `boxes(i)` gives candidate `i`'s corners (called only for candidates
 * scoring above `minScore`); returns the kept indices, best first.
 */
export function ssdNms(
  count: number,
  scores: ArrayLike<number>,
  boxes: (index: number) => Corners,
  options: { maxResults: number; iouThreshold: number; minScore: number },
): number[] {
  const { maxResults, iouThreshold, minScore } = options;
  const outputSize = Math.min(maxResults, count);
  const candidates: { score: number; index: number }[] = [];
  for (let i = 0; i < count; i++) if (scores[i]! > minScore) candidates.push({ score: scores[i]!, index: i });
  candidates.sort((a, b) => b.score - a.score);
  const kept: number[] = [];
  const keptBoxes: Corners[] = [];
  for (const candidate of candidates) {
    if (kept.length >= outputSize) break;
    const box = boxes(candidate.index);
    let suppressed = false;
    for (let j = keptBoxes.length - 1; j >= 0; j--) {
      const iou = ssdIou(box, keptBoxes[j]!);
      if (iou === 0) continue;
      // face-api multiplies the score by 0 here and stops at once: the candidate is dropped.
      if (iou > iouThreshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) {
      kept.push(candidate.index);
      keptBoxes.push(box);
    }
  }
  return kept;
}

/** A box as face-api's `Box`: origin and size. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

function rectIou(a: Rect, b: Rect): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/** face-api's greedy NMS on all `boxes` (face-api's `nonMaxSuppression` with IoU); kept indices, best first. */
export function greedyNms(boxes: readonly Rect[], scores: readonly number[], iouThreshold: number): number[] {
  let order = scores
    .map((score, index) => ({ score, index }))
    .sort((a, b) => a.score - b.score)
    .map((c) => c.index);
  const pick: number[] = [];
  while (order.length > 0) {
    const current = order.pop()!;
    pick.push(current);
    const box = boxes[current]!;
    order = order.filter((i) => rectIou(box, boxes[i]!) <= iouThreshold);
  }
  return pick;
}
