/**
 * `facelab detect PHOTO… [--detector ssd|tiny] [--min-score 0.5] [--annotate DIR] [--json]`:
 * every face in each photo with its box and score. With `--json` the last stdout line is
 * `[{"photo":…,"faces":[{"box":[x1,y1,x2,y2],"score":…},…]},…]` (boxes in stored pixels, x2 and
 * y2 exclusive, as the FaceScrub lists give them); a photo that cannot be read is
 * `{"photo":…,"error":…}` there, the others are still done, and the exit status is 2.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { decodePhoto } from '../data/photo-decode.js';
import { type DetectedFace, FaceDetector } from '../detect/face-detector.js';
import { ImageError, InvalidOptionError, UserError } from '../errors.js';
import { annotatePhoto } from '../viz/annotate-photo.js';
import { type FlagSpec, intFlag, optionalString, parseCommand } from './args.js';
import type { Command } from './command.js';
import { printJson, say } from './output.js';
import { detectorFlag } from './prepare.js';
import { progressPrinter } from './progress-bar.js';

const flags: Record<string, FlagSpec> = {
  detector: {
    type: 'string',
    help: 'ssd (SSD-MobileNetV1, accurate) or tiny (tiny face detector, fast)',
    default: 'ssd',
    value: 'NAME',
  },
  'min-score': {
    type: 'string',
    help: 'smallest detection score reported, from 0 to 1',
    default: '0.5',
    value: 'P',
  },
  annotate: { type: 'string', help: 'write each photo with its faces boxed into this folder', value: 'DIR' },
  threads: { type: 'string', help: 'ONNX Runtime threads', default: 'one per core' },
};

const USAGE = 'PHOTO… [--detector ssd|tiny] [--min-score 0.5] [--annotate DIR] [--json]';
const DESCRIPTION = `Finds every face in each photo with face-api's SSD-MobileNetV1 face detector (or its tiny
face detector), rebuilt on ONNX Runtime from the weights in @vladmandic/face-api: no network, no
TensorFlow.js. Prints each face's box (x1,y1,x2,y2 in the photo's stored pixels, EXIF rotation not
applied, as FaceScrub lists give boxes) and score. A photo that cannot be read is reported on its
own line and the others are still done; the exit status is then 2.`;

/** One photo's outcome, as `--json` prints it. */
export type PhotoFaces =
  | { photo: string; faces: { box: [number, number, number, number]; score: number }[] }
  | { photo: string; error: string };

/** The `detect` command. */
export const command: Command = {
  name: 'detect',
  summary: 'find every face in photos (box and score), optionally drawn on the photos',
  async run(argv) {
    const parsed = parseCommand(
      { name: 'detect', usage: USAGE, description: DESCRIPTION, flags, positionals: true },
      argv,
    );
    if (!parsed) return 0;
    const { values, positionals, json } = parsed;
    if (positionals.length === 0) throw new UserError('give at least one PHOTO (see facelab detect --help)');
    const minScore = scoreFlag(optionalString(values, 'min-score'), '--min-score', 0.5);
    const annotate = optionalString(values, 'annotate');
    const threads = values.threads === undefined ? undefined : intFlag(values, 'threads', 1, 1, 1024);
    if (annotate !== undefined) await makeFolder(annotate);
    const detector = await FaceDetector.load({
      detector: detectorFlag(values),
      ...(threads ? { threads } : {}),
    });
    const onProgress = progressPrinter();
    const results: PhotoFaces[] = [];
    try {
      onProgress({ kind: 'start', task: 'detect', total: positionals.length });
      for (const [i, photo] of positionals.entries()) {
        let faces: DetectedFace[];
        try {
          faces = await detector.detect(await decodePhoto(photo), { minScore });
          if (annotate !== undefined) {
            const out = annotatedPath(annotate, photo, i);
            const drawn = await annotatePhoto(
              photo,
              faces.map((f) => ({ box: f.box, label: f.score.toFixed(2) })),
              { format: out.endsWith('.png') ? 'png' : 'jpeg' },
            );
            await writeFile(out, drawn);
          }
        } catch (error) {
          if (!(error instanceof ImageError)) throw error;
          results.push({ photo, error: error.message });
          process.stderr.write(`facelab detect: ${error.message}\n`);
          continue;
        }
        results.push({
          photo,
          faces: faces.map((f) => ({ box: boxArray(f.box), score: round(f.score, 4) })),
        });
        say(`${photo}: ${faces.length} face${faces.length === 1 ? '' : 's'}`, json);
        for (const f of faces) say(`  ${boxArray(f.box).join(',')}  score ${f.score.toFixed(3)}`, json);
        onProgress({ kind: 'advance', task: 'detect', done: i + 1, total: positionals.length });
      }
      onProgress({ kind: 'done', task: 'detect' });
    } finally {
      await detector.dispose();
    }
    if (json) printJson(results);
    return results.some((r) => 'error' in r) ? 2 : 0;
  },
};

/** A probability-like flag in [0, 1]. */
export function scoreFlag(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value >= 1)
    throw new InvalidOptionError(name, 'a number from 0 up to (not including) 1', raw);
  return value;
}

/** `DIR`, created; a path that cannot be a folder is one line, exit 2. */
export async function makeFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw new UserError(
      `cannot create the folder ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/** Where the annotated copy of the `index`-th photo goes (same base name; the index keeps names apart). */
export function annotatedPath(dir: string, photo: string, index: number): string {
  const ext = extname(photo).toLowerCase() === '.png' ? '.png' : '.jpg';
  return join(dir, `${String(index + 1).padStart(3, '0')}-${basename(photo, extname(photo))}${ext}`);
}

/** A box as integers in stored pixels, as FaceScrub lists give them. */
export function boxArray(box: {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}): [number, number, number, number] {
  return [Math.round(box.x1), Math.round(box.y1), Math.round(box.x2), Math.round(box.y2)];
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
