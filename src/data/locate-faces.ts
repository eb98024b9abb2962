/**
 * The face of each labelled photo, before cropping: decode the photo, take its listed box or
 * find the face with the detector, and (when alignment is wanted) find its 68 landmarks and cut
 * the aligned crops. A photo with no face, with two faces too close in size to say which one is
 * meant, or that is not a photo at all is left out with its reason; it never stops the job.
 *
 * Which face: the detector's faces scoring at least `minScore`, largest first. The largest is
 * taken when the next one's side (the square root of its box area) is less than
 * `AMBIGUOUS_SIDE_RATIO` of its own — a face in the background is much smaller than the one a
 * photo is of — otherwise the photo is `ambiguous faces`.
 */
import { alignedCrop } from '../align/face-align.js';
import { LandmarkDetector } from '../align/landmarks.js';
import { listBoxFromDetection } from '../detect/box-convention.js';
import { type DetectedFace, type DetectorKind, FaceDetector } from '../detect/face-detector.js';
import { ImageError } from '../errors.js';
import type { OnProgress } from '../progress.js';
import { boxProblem } from './crop.js';
import type { FaceBox } from './face-list.js';
import type { LabelledPhoto, LeftOutReason, LeftOutRecord } from './labelled-photo.js';
import { decodePhoto } from './photo-decode.js';

/** Two faces whose sides are closer than this ratio are too close in size to choose between. */
export const AMBIGUOUS_SIDE_RATIO = 0.8;

/** Options of `locateFaces`. */
export interface LocateFacesOptions {
  /** Detector for photos without a box. Default 'ssd'. */
  detector?: DetectorKind;
  /** Smallest detection score taken as a face. Default 0.5 (face-api's default). */
  minScore?: number;
  /** Sides of the aligned crops to cut (none: no landmarks are computed). Default none. */
  alignSides?: readonly number[];
  /** Largest photo accepted, in pixels. Default: `decodePhoto`'s. */
  maxPixels?: number;
  /** Photos decoded at once. Default 4. */
  concurrency?: number;
  /** ORT threads of each network. Default: one per core. */
  threads?: number;
  onProgress?: OnProgress;
}

/** A photo whose face was found. */
export interface LocatedPhoto extends LabelledPhoto {
  box: FaceBox;
  /** True when the box came from the detector, not from the source. */
  detected: boolean;
  /** Detection score (detected boxes only). */
  score?: number;
  /** Aligned crops, one per `alignSides` entry (side² × 3 RGB bytes each). */
  aligned?: Uint8Array[];
}

/** What `locateFaces` found. */
export interface LocatedFaces {
  photos: LocatedPhoto[];
  leftOut: LeftOutRecord[];
}

/**
 * The face of every photo (in input order), or why it was left out.
 *
 * @example
 * const { photos, leftOut } = await locateFaces(labelled, { alignSides: [150] });
 */
export async function locateFaces(
  photos: readonly LabelledPhoto[],
  options: LocateFacesOptions = {},
): Promise<LocatedFaces> {
  const alignSides = options.alignSides ?? [];
  const needsDetector = photos.some((p) => p.box === undefined);
  const threads = options.threads === undefined ? {} : { threads: options.threads };
  const detector = needsDetector
    ? await FaceDetector.load({ detector: options.detector ?? 'ssd', ...threads })
    : undefined;
  const landmarks =
    alignSides.length > 0
      ? await LandmarkDetector.load(threads).catch(async (error) => {
          await detector?.dispose();
          throw error;
        })
      : undefined;
  const minScore = options.minScore ?? 0.5;
  const results = new Array<LocatedPhoto | LeftOutRecord>(photos.length);
  const { onProgress } = options;
  onProgress?.({ kind: 'start', task: 'faces', total: photos.length });
  let done = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < photos.length) {
      const i = next++;
      const photo = photos[i]!;
      results[i] = await locateOne(photo, {
        detector,
        landmarks,
        minScore,
        alignSides,
        maxPixels: options.maxPixels,
      });
      const result = results[i]!;
      if ('reason' in result) onProgress?.({ kind: 'warning', task: 'faces', message: result.message });
      onProgress?.({ kind: 'advance', task: 'faces', done: ++done, total: photos.length });
    }
  };
  try {
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, photos.length)) }, worker),
    );
  } finally {
    await Promise.all([detector?.dispose(), landmarks?.dispose()]);
  }
  onProgress?.({ kind: 'done', task: 'faces' });
  const located: LocatedPhoto[] = [];
  const leftOut: LeftOutRecord[] = [];
  for (const r of results) {
    if ('reason' in r) leftOut.push(r);
    else located.push(r);
  }
  return { photos: located, leftOut };
}

/**
 * The face to take among `faces` (the detector's, any order): the largest when the next one
 * is clearly smaller, else `'ambiguous'`; `undefined` when there is none.
 */
export function chooseFace(faces: readonly DetectedFace[]): DetectedFace | 'ambiguous' | undefined {
  const side = (f: DetectedFace): number => Math.sqrt((f.box.x2 - f.box.x1) * (f.box.y2 - f.box.y1));
  const bySize = [...faces].sort((a, b) => side(b) - side(a));
  const [first, second] = bySize;
  if (first === undefined) return undefined;
  if (second !== undefined && side(second) >= AMBIGUOUS_SIDE_RATIO * side(first)) return 'ambiguous';
  return first;
}

async function locateOne(
  photo: LabelledPhoto,
  tools: {
    detector: FaceDetector | undefined;
    landmarks: LandmarkDetector | undefined;
    minScore: number;
    alignSides: readonly number[];
    maxPixels: number | undefined;
  },
): Promise<LocatedPhoto | LeftOutRecord> {
  // A list's photos sit in the cache under their hash: name the file and the list line.
  const where = photo.line !== undefined ? `${photo.file} (${photo.origin})` : photo.origin;
  const leave = (reason: LeftOutReason, why: string): LeftOutRecord => ({
    origin: photo.origin,
    reason,
    message: `${where}: ${why}`,
    person: photo.person,
    sha256: photo.sha256,
    ...(photo.line !== undefined ? { line: photo.line } : {}),
  });
  let image: Awaited<ReturnType<typeof decodePhoto>>;
  try {
    image = await decodePhoto(photo.file, {
      source: where,
      ...(tools.maxPixels !== undefined ? { maxPixels: tools.maxPixels } : {}),
    });
  } catch (error) {
    if (error instanceof ImageError)
      return leave(error.reason as LeftOutReason, error.message.replace(`${where}: `, ''));
    throw error;
  }
  let box: FaceBox;
  let score: number | undefined;
  if (photo.box !== undefined) {
    // An absurd listed box is this photo's problem, found before landmarks are looked for in it.
    const problem = boxProblem(photo.box, image.width, image.height);
    if (problem) return leave(problem.reason, problem.message);
    box = photo.box;
  } else {
    const faces = (await tools.detector!.detect(image)).filter((f) => f.score >= tools.minScore);
    const chosen = chooseFace(faces);
    if (chosen === undefined) return leave('no face', 'no face found');
    if (chosen === 'ambiguous') {
      return leave(
        'ambiguous faces',
        `${faces.length} faces of similar size: cannot tell which one is meant (give its box in a labels CSV)`,
      );
    }
    box = listBoxFromDetection(chosen.box);
    score = chosen.score;
  }
  const located: LocatedPhoto = {
    ...photo,
    box,
    detected: photo.box === undefined,
    ...(score !== undefined ? { score } : {}),
  };
  if (tools.landmarks && tools.alignSides.length > 0) {
    const [points] = await tools.landmarks.detect(image, [box]);
    located.aligned = tools.alignSides.map((side) => alignedCrop(image, points!, { side }));
  }
  return located;
}
