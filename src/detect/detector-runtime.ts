/** What `FaceDetector` needs of each detector: run it on a photo, release it. */
import type { RgbImage } from '../data/photo-decode.js';
import type { EngineSession } from '../engine/session.js';

/** A face in photo pixels (x2, y2 exclusive), as face-api maps it: not yet clipped to the photo. */
export interface RawFace {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
}

/** Validated detection options, every one resolved. */
export interface RuntimeOptions {
  /** Keep faces scoring strictly above this. */
  minScore: number;
  /** At most this many faces (may be `Infinity`). */
  maxResults: number;
  /** Tiny detector's network side. */
  inputSize: number;
}

/** One loaded detector. */
export interface DetectorRuntime {
  /** Faces in `image`, best first. */
  detect(image: RgbImage, options: RuntimeOptions): Promise<RawFace[]>;
  dispose(): Promise<void>;
}

/** Loads model bytes into an ORT session (the caller picks the session options). */
export type SessionFactory = (model: Uint8Array) => Promise<EngineSession>;
