/**
 * From the detector's box to a FaceScrub-style box. The two conventions differ: FaceScrub's
 * boxes are wider than SSD-MobileNetV1's (about 1.19× as wide and 0.95× as tall, centred a little
 * right of and above it). Crops for the raw-pixel net and for predict are cut from the box in
 * the lists' convention, so a face found by the detector is cropped like the training faces.
 *
 * The constants are medians of (listed box / best-matching SSD box) over the photos of the
 * even-hash half of the 580 shared FaceScrub photos (measured once, minScore 0.3;
 * on all 580 the raw SSD box already overlaps the listed one at IoU ≥ 0.5 for 98.4 %, median
 * IoU 0.746). They are a fixed convention, not tuned per photo.
 */
import type { FaceBox } from '../data/face-list.js';

/** Centre shift (in detector-box widths / heights) and scale of the listed box relative to the SSD box. */
export const SSD_TO_LIST = { dx: 0.023, dy: -0.027, width: 1.19, height: 0.946 } as const;

/**
 * The FaceScrub-style integer box of a detection (stored pixels, x2/y2 exclusive). It may reach
 * past the photo's edge (crops pad with black there, as the study's did); it is at least 1 px.
 *
 * @example listBoxFromDetection({ x1: 100, y1: 80, x2: 200, y2: 200 })
 */
export function listBoxFromDetection(box: { x1: number; y1: number; x2: number; y2: number }): FaceBox {
  const w = box.x2 - box.x1;
  const h = box.y2 - box.y1;
  const cx = (box.x1 + box.x2) / 2 + SSD_TO_LIST.dx * w;
  const cy = (box.y1 + box.y2) / 2 + SSD_TO_LIST.dy * h;
  const halfW = (SSD_TO_LIST.width * w) / 2;
  const halfH = (SSD_TO_LIST.height * h) / 2;
  const x1 = Math.round(cx - halfW);
  const y1 = Math.round(cy - halfH);
  return {
    x1,
    y1,
    x2: Math.max(x1 + 1, Math.round(cx + halfW)),
    y2: Math.max(y1 + 1, Math.round(cy + halfH)),
  };
}
