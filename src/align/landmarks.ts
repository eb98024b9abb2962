/**
 * The 68 facial landmarks of face boxes in a photo, with face-api's 68-point landmark net
 * rebuilt for ONNX Runtime (`landmark-net.ts`) and face-api's way of cutting a box out of the
 * photo and mapping the outputs back (`face-square.ts`). No TF.js at run time.
 *
 * The points are in face-api's (iBUG 300-W) order: 0–16 jaw, 17–21 and 22–26 brows, 27–35
 * nose (30 its tip), 36–41 and 42–47 eyes (the person's right eye first, which is on the left
 * of the photo), 48–67 mouth (48 and 54 its corners).
 */
import { checkRgbImage, type RgbImage } from '../data/photo-decode.js';
import { EngineSession } from '../engine/session.js';
import { positiveInteger } from '../validate.js';
import { FEATURE_SIDE } from './face-feature-extractor.js';
import { type SquareGeometry, squareGeometry, squareToPhoto, writeFaceSquare } from './face-square.js';
import { buildLandmarkNet, LANDMARK_COUNT, LANDMARK_INPUT, LANDMARK_OUTPUT } from './landmark-net.js';

/** A point in photo pixel coordinates: x to the right, y down, pixel (i, j) at the point (i, j), as face-api and OpenCV count. */
export interface Point {
  x: number;
  y: number;
}

/** A face box in photo pixels: x1, y1 its top-left corner, x2, y2 exclusive; floats allowed. */
export interface FaceBoxF {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** Options of `LandmarkDetector.load`. */
export interface LandmarkDetectorOptions {
  /** ORT threads, default one per core. */
  threads?: number;
}

/** Faces sent to the net in one run; bounds the input tensor (150 KB of floats a face). */
const BATCH = 32;

/**
 * Finds the 68 landmarks of given face boxes. Holds an ORT session: call `dispose()` when done.
 * `detect` may be called concurrently.
 *
 * @example
 * const detector = await LandmarkDetector.load();
 * const [points] = await detector.detect(await decodePhoto('me.jpg'), [{ x1: 40, y1: 60, x2: 200, y2: 220 }]);
 * await detector.dispose();
 */
export class LandmarkDetector {
  private constructor(private readonly session: EngineSession) {}

  /** Builds the net from face-api's installed weights and loads it into ONNX Runtime. */
  static async load(options: LandmarkDetectorOptions = {}): Promise<LandmarkDetector> {
    const { threads } = options;
    if (threads !== undefined) positiveInteger('threads', threads);
    const model = await buildLandmarkNet();
    return new LandmarkDetector(await EngineSession.create(model, threads === undefined ? {} : { threads }));
  }

  /**
   * The 68 landmarks (face-api/iBUG order, photo pixel coordinates) of each face box in
   * `image` (an RgbImage from src/data/photo-decode.ts). A box may reach outside the photo: the
   * outside is black. Throws `InvalidOptionError` for a box that is not finite or under 1 px.
   */
  async detect(image: RgbImage, boxes: readonly FaceBoxF[]): Promise<Point[][]> {
    checkRgbImage(image);
    const geometries = boxes.map((box, i) => squareGeometry(box, `boxes[${i}]`));
    const results: Point[][] = [];
    const faceSize = FEATURE_SIDE * FEATURE_SIDE * 3;
    for (let start = 0; start < geometries.length; start += BATCH) {
      const batch: SquareGeometry[] = geometries.slice(start, start + BATCH);
      const input = new Float32Array(batch.length * faceSize);
      for (const [i, geometry] of batch.entries()) writeFaceSquare(image, geometry, input, i * faceSize);
      const output = await this.session.run(
        { [LANDMARK_INPUT]: { data: input, dims: [batch.length, FEATURE_SIDE, FEATURE_SIDE, 3] } },
        [LANDMARK_OUTPUT],
      );
      const values = output[LANDMARK_OUTPUT]!.data as Float32Array;
      for (const [i, geometry] of batch.entries())
        results.push(squareToPhoto(values, i * LANDMARK_COUNT * 2, geometry, LANDMARK_COUNT));
    }
    return results;
  }

  /** Releases the ORT session. */
  async dispose(): Promise<void> {
    await this.session.dispose();
  }
}
