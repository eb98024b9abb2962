/**
 * Face detection in whole photos, offline: face-api's SSD-MobileNetV1 (default) or tiny face
 * detector, rebuilt as ONNX graphs from the package's weights and run by ONNX Runtime, with
 * face-api's own preprocessing, box decoding and NMS.
 *
 * @example
 * const faces = await detectFaces('group.jpg'); // [{ box: { x1, y1, x2, y2 }, score }, …]
 */
import { checkRgbImage, decodePhoto, type RgbImage } from '../data/photo-decode.js';
import { EngineSession } from '../engine/session.js';
import { InvalidOptionError } from '../errors.js';
import { positiveInteger } from '../validate.js';
import type { DetectorRuntime, RawFace } from './detector-runtime.js';
import { loadSsd } from './ssd-runtime.js';
import { loadTiny, TINY_DEFAULT_SIDE } from './tiny-runtime.js';

/** The two detectors: face-api's SSD-MobileNetV1 and its tiny face detector. */
export type DetectorKind = 'ssd' | 'tiny';

/** Every `DetectorKind`, for flag validation. */
export const DETECTOR_KINDS: readonly DetectorKind[] = ['ssd', 'tiny'];

/** A face found in a photo: box in stored-pixel coordinates (floats; x2, y2 exclusive, so width = x2 − x1), clipped to the photo. */
export interface DetectedFace {
  box: { x1: number; y1: number; x2: number; y2: number };
  score: number;
}

/** Options of `FaceDetector.load`. */
export interface FaceDetectorOptions {
  /** Which detector; default 'ssd'. */
  detector?: DetectorKind;
  /** ORT intra-op threads; default one per core. */
  threads?: number;
}

/** Options of `FaceDetector.detect`. */
export interface DetectOptions {
  /**
   * Keep faces scoring strictly above this, in [0, 1); default face-api's own default for the
   * detector (SSD `minConfidence` 0.5, tiny `scoreThreshold` 0.5).
   */
  minScore?: number;
  /** At most this many faces (a positive integer); default face-api's: 100 for the SSD, no limit for tiny. */
  maxResults?: number;
  /** Tiny only: network input side, a positive multiple of 32; default 416 (face-api's). */
  inputSize?: number;
}

/** Defaults of face-api's `SsdMobilenetv1Options` and `TinyFaceDetectorOptions`. */
const DEFAULT_MIN_SCORE = 0.5;
const DEFAULT_SSD_MAX_RESULTS = 100;

/** A loaded detector; call `dispose()` when done. */
export class FaceDetector {
  private constructor(
    /** Which detector this is. */
    readonly kind: DetectorKind,
    private readonly runtime: DetectorRuntime,
  ) {}

  /** Builds the chosen detector's graph from face-api's weights and loads it into ONNX Runtime. */
  static async load(options: FaceDetectorOptions = {}): Promise<FaceDetector> {
    const kind = options.detector ?? 'ssd';
    if (!DETECTOR_KINDS.includes(kind)) throw new InvalidOptionError('detector', "'ssd' or 'tiny'", kind);
    if (options.threads !== undefined) positiveInteger('threads', options.threads);
    // No spinning: between runs the main thread resizes the next photo, and spinning ORT
    // threads would take the cores it needs (measured: 1.4-1.6 × faster on the loaded 2 cores).
    const sessionOptions = {
      spinning: false,
      ...(options.threads === undefined ? {} : { threads: options.threads }),
    };
    const runtime =
      kind === 'ssd'
        ? await loadSsd((model) => EngineSession.create(model, sessionOptions))
        : await loadTiny((model) => EngineSession.create(model, sessionOptions));
    return new FaceDetector(kind, runtime);
  }

  /** Faces in `image` (an `RgbImage` from `decodePhoto`), highest score first. */
  async detect(image: RgbImage, options: DetectOptions = {}): Promise<DetectedFace[]> {
    const minScore = options.minScore ?? DEFAULT_MIN_SCORE;
    if (typeof minScore !== 'number' || !(minScore >= 0 && minScore < 1))
      throw new InvalidOptionError('minScore', 'number in [0, 1)', minScore);
    const maxResults =
      options.maxResults ?? (this.kind === 'ssd' ? DEFAULT_SSD_MAX_RESULTS : Number.POSITIVE_INFINITY);
    if (options.maxResults !== undefined) positiveInteger('maxResults', options.maxResults);
    const inputSize = options.inputSize ?? TINY_DEFAULT_SIDE;
    if (options.inputSize !== undefined) {
      if (this.kind !== 'tiny')
        throw new InvalidOptionError(
          'inputSize',
          "no value for the 'ssd' detector (it always uses 512)",
          inputSize,
        );
      if (!(Number.isInteger(inputSize) && inputSize > 0 && inputSize % 32 === 0))
        throw new InvalidOptionError('inputSize', 'positive multiple of 32', inputSize);
    }
    checkRgbImage(image);
    const raw = await this.runtime.detect(image, { minScore, maxResults, inputSize });
    return raw.map((face) => clip(face, image));
  }

  /** Releases the ORT session. */
  async dispose(): Promise<void> {
    await this.runtime.dispose();
  }
}

/** Convenience: decode (path or bytes) if needed, load, detect, dispose. */
export async function detectFaces(
  photo: string | Uint8Array | RgbImage,
  options: FaceDetectorOptions & DetectOptions = {},
): Promise<DetectedFace[]> {
  const image = typeof photo === 'string' || photo instanceof Uint8Array ? await decodePhoto(photo) : photo;
  const { detector, threads, ...detect } = options;
  const loadOptions: FaceDetectorOptions = {
    ...(detector === undefined ? {} : { detector }),
    ...(threads === undefined ? {} : { threads }),
  };
  const faceDetector = await FaceDetector.load(loadOptions);
  try {
    return await faceDetector.detect(image, detect);
  } finally {
    await faceDetector.dispose();
  }
}

function clip(face: RawFace, image: RgbImage): DetectedFace {
  const cx = (v: number): number => Math.min(Math.max(v, 0), image.width);
  const cy = (v: number): number => Math.min(Math.max(v, 0), image.height);
  return { box: { x1: cx(face.x1), y1: cy(face.y1), x2: cx(face.x2), y2: cy(face.y2) }, score: face.score };
}
