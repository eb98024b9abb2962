/**
 * face-api's own detectors on TF.js's WASM backend (dev dependencies only), loaded from the
 * package's weight files, and the shared photos they are compared on.
 */
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { RgbImage } from '../../src/data/photo-decode.js';
import { faceApiModelManifest } from '../../src/detect/detector-weights.js';
import type { DetectedFace } from '../../src/detect/face-detector.js';
import { facescrubImages } from './shared.js';

// biome-ignore lint/suspicious/noExplicitAny: face-api's CommonJS bundle is untyped here
type Any = any;

/** face-api loaded on the WASM backend, with its SSD and tiny detector weights. */
export interface FaceApi {
  faceapi: Any;
  tf: Any;
  /** face-api's detections of `image` (boxes clipped to the photo, as facelab's are). */
  detect(
    image: RgbImage,
    kind: 'ssd' | 'tiny',
    options?: { minScore?: number; inputSize?: number },
  ): Promise<DetectedFace[]>;
  dispose(): void;
}

/** Loads face-api (WASM) and both detectors' weights exactly as face-api's loaders do after fetching. */
export async function loadFaceApi(): Promise<FaceApi> {
  const require = createRequire(import.meta.url);
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  const tf = faceapi.tf;
  await tf.setBackend('wasm');
  await tf.ready();
  for (const [net, model] of [
    [faceapi.nets.ssdMobilenetv1, 'ssd_mobilenetv1_model'],
    [faceapi.nets.tinyFaceDetector, 'tiny_face_detector_model'],
  ] as const) {
    const manifestPath = faceApiModelManifest(model);
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    const bin = await readFile(manifestPath.replace('-weights_manifest.json', '.bin'));
    net.loadFromWeightMap(
      tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length), manifest[0].weights),
    );
  }
  return {
    faceapi,
    tf,
    async detect(image, kind, options = {}) {
      const tensor = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
      try {
        const found: Any[] =
          kind === 'ssd'
            ? await faceapi.nets.ssdMobilenetv1.locateFaces(tensor, {
                minConfidence: options.minScore ?? 0.5,
              })
            : await faceapi.nets.tinyFaceDetector.locateFaces(
                tensor,
                new faceapi.TinyFaceDetectorOptions({
                  inputSize: options.inputSize ?? 416,
                  scoreThreshold: options.minScore ?? 0.5,
                }),
              );
        const cx = (v: number): number => Math.min(Math.max(v, 0), image.width);
        const cy = (v: number): number => Math.min(Math.max(v, 0), image.height);
        return found.map((d) => ({
          score: d.score,
          box: {
            x1: cx(d.box.x),
            y1: cy(d.box.y),
            x2: cx(d.box.x + d.box.width),
            y2: cy(d.box.y + d.box.height),
          },
        }));
      } finally {
        tensor.dispose();
      }
    },
    dispose() {
      faceapi.nets.ssdMobilenetv1.dispose();
      faceapi.nets.tinyFaceDetector.dispose();
    },
  };
}

/** `count` of the shared photos, evenly spaced over their sorted file names (paths). */
export async function spreadPhotos(count: number): Promise<string[]> {
  const files = (await readdir(facescrubImages)).sort();
  const step = files.length / count;
  return Array.from({ length: count }, (_, i) => join(facescrubImages, files[Math.floor(i * step)]!));
}

/** Intersection over union of two boxes (x2, y2 exclusive). */
export function boxIou(a: DetectedFace['box'], b: DetectedFace['box']): number {
  const w = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const h = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const inter = w * h;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}
