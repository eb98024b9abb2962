/**
 * Predicting on any photo: every face the detector finds is classified. Each face is cut the
 * way the model's training crops were made — the study's box crop (the detector's box turned
 * into a FaceScrub-style box, `listBoxFromDetection`) or, for models trained on aligned crops
 * (`crops: 'aligned'` in their metadata), the crop aligned from the face's 68 landmarks.
 *
 * With an unknown-person calibration (`open-set.json` beside a transfer head, see
 * `open-set.ts`), a face whose features are too far from every known person is "unknown".
 * A photo that cannot be read is reported as such; the others are still done.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { alignedCrop } from '../align/face-align.js';
import { LandmarkDetector } from '../align/landmarks.js';
import { cropFace } from '../data/crop.js';
import type { FaceBox } from '../data/face-list.js';
import { unreadablePhoto } from '../data/photo-bytes.js';
import { decodePhoto } from '../data/photo-decode.js';
import { listBoxFromDetection } from '../detect/box-convention.js';
import { type DetectedFace, type DetectorKind, FaceDetector } from '../detect/face-detector.js';
import { ImageError, UserError } from '../errors.js';
import type { OnProgress } from '../progress.js';
import { OPEN_SET_FILE, type OpenSetCalibration, openSetVerdict, parseOpenSet } from './open-set.js';
import { type ActorProbability, Predictor, type PredictorOptions, topActors } from './predict.js';

/** Options of `predictFaces`. */
export interface PredictFacesOptions extends PredictorOptions {
  /** The `model.onnx` file, or a run folder holding one. */
  model: string;
  /** Photo files. */
  photos: readonly string[];
  /** Most likely actors listed per face. Default 3. */
  top?: number;
  /** Face detector. Default 'ssd'. */
  detector?: DetectorKind;
  /** Smallest detection score taken as a face. Default 0.5. */
  minScore?: number;
  /** Say "unknown" for faces of nobody the model knows (needs the head's `open-set.json`). Default false. */
  unknown?: boolean;
  onProgress?: OnProgress;
}

/** One face of a photo and who it is. */
export interface FacePrediction {
  /** The detector's box, in stored pixels. */
  box: FaceBox;
  /** Detection score. */
  score: number;
  /** The most likely actors, most likely first. */
  top: ActorProbability[];
  /** With `unknown`: whether the face is nobody the model knows, and its distance to the nearest person. */
  unknown?: { unknown: boolean; distance: number; threshold: number };
}

/** One photo's faces, or why it could not be read. */
export type PhotoFacesPrediction =
  | { photo: string; faces: FacePrediction[] }
  | { photo: string; error: string };

/** The faces of every photo, in order. */
export async function predictFaces(options: PredictFacesOptions): Promise<PhotoFacesPrediction[]> {
  const predictor = await loadPredictor(options);
  const aligned = alignedModel(predictor);
  const calibration = options.unknown ? await readOpenSet(predictor) : undefined;
  const threads = options.threads === undefined ? {} : { threads: options.threads };
  const tools: { detector?: FaceDetector; landmarks?: LandmarkDetector } = {};
  try {
    tools.detector = await FaceDetector.load({ detector: options.detector ?? 'ssd', ...threads });
    if (aligned) tools.landmarks = await LandmarkDetector.load(threads);
    const results: PhotoFacesPrediction[] = [];
    const { onProgress } = options;
    onProgress?.({ kind: 'start', task: 'predict', total: options.photos.length });
    for (const [i, photo] of options.photos.entries()) {
      try {
        results.push({ photo, faces: await facesOf(photo, predictor, tools, calibration, options) });
      } catch (error) {
        if (!(error instanceof ImageError)) throw error;
        results.push({ photo, error: error.message });
      }
      onProgress?.({ kind: 'advance', task: 'predict', done: i + 1, total: options.photos.length });
    }
    onProgress?.({ kind: 'done', task: 'predict' });
    return results;
  } finally {
    await Promise.all([predictor.dispose(), tools.detector?.dispose(), tools.landmarks?.dispose()]);
  }
}

async function facesOf(
  photo: string,
  predictor: Predictor,
  tools: { detector?: FaceDetector; landmarks?: LandmarkDetector },
  calibration: OpenSetCalibration | undefined,
  options: PredictFacesOptions,
): Promise<FacePrediction[]> {
  const bytes = await readFile(photo).catch((error: unknown) => {
    throw unreadablePhoto(photo, error);
  });
  const image = await decodePhoto(bytes, { source: photo });
  const faces: DetectedFace[] = await tools.detector!.detect(image, { minScore: options.minScore ?? 0.5 });
  if (faces.length === 0) return [];
  const side = predictor.cropSide;
  const crops = new Uint8Array(faces.length * side * side * 3);
  if (tools.landmarks) {
    const points = await tools.landmarks.detect(
      image,
      faces.map((f) => f.box),
    );
    for (const [i, p] of points.entries()) crops.set(alignedCrop(image, p, { side }), i * side * side * 3);
  } else {
    for (const [i, f] of faces.entries()) {
      const { crops: made } = await cropFace(bytes, listBoxFromDetection(f.box), {
        sides: [side],
        source: photo,
      });
      crops.set(made[0]!, i * side * side * 3);
    }
  }
  const { probabilities, features } = await predictor.classifyCropsWithFeatures(crops, faces.length);
  const K = predictor.actors.length;
  return faces.map((f, i) => {
    const prediction: FacePrediction = {
      box: roundBox(f.box),
      score: f.score,
      top: topActors(probabilities.subarray(i * K, (i + 1) * K), predictor.actors, options.top ?? 3),
    };
    if (calibration && features) {
      const verdict = openSetVerdict(
        features.subarray(i * calibration.dim, (i + 1) * calibration.dim),
        calibration,
      );
      prediction.unknown = {
        unknown: verdict.unknown,
        distance: verdict.distance,
        threshold: calibration.threshold,
      };
    }
    return prediction;
  });
}

/**
 * The model to run. A portable transfer model (backbone + head in one graph) names the
 * features-taking head beside it (`head` in its metadata); `--unknown` needs the features, so
 * it runs that head with its backbone instead — the same computation, with the features exposed.
 */
async function loadPredictor(options: PredictFacesOptions): Promise<Predictor> {
  const predictor = await Predictor.load(options.model, options);
  const head = predictor.model.metadata.head;
  if (!options.unknown || predictor.model.input.kind !== 'image' || typeof head !== 'string')
    return predictor;
  await predictor.dispose();
  return Predictor.load(join(dirname(predictor.model.path), basename(head)), options);
}

async function readOpenSet(predictor: Predictor): Promise<OpenSetCalibration> {
  if (predictor.model.input.kind !== 'features') {
    throw new UserError(
      `--unknown needs a transfer head (its features are what the unknown-person rule measures); ${predictor.model.path} takes raw crops`,
    );
  }
  const path = join(dirname(predictor.model.path), OPEN_SET_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UserError(
      `--unknown needs ${path} (written by facelab transfer beside the head); run transfer again`,
    );
  }
  try {
    return parseOpenSet(JSON.parse(text), path);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`${path} is not valid JSON`);
  }
}

/** Whether the model was trained on aligned crops (a pixel model on `prepare --align` data, or a head on aligned features). */
function alignedModel(predictor: Predictor): boolean {
  const { metadata, input } = predictor.model;
  if (metadata.crops === 'aligned') return true;
  const backbone =
    input.kind === 'features' ? input.backbone : (metadata.backbone as { aligned?: unknown } | undefined);
  return backbone?.aligned === true;
}

function roundBox(box: FaceBox): FaceBox {
  return { x1: Math.round(box.x1), y1: Math.round(box.y1), x2: Math.round(box.x2), y2: Math.round(box.y2) };
}
