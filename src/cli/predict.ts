/**
 * `facelab predict --model DIR/model.onnx PHOTO… [--unknown] [--annotate DIR] [--box x1,y1,x2,y2]
 * [--top 3] [--json]`: who is in each photo. Every face the detector finds is named (top-k with
 * probabilities); with `--json` the last stdout line is
 * `[{"photo":…,"faces":[{"box":[x1,y1,x2,y2],"score":…,"top":[{"actor":…,"p":…},…]},…]},…]`,
 * and `{"photo":…,"error":…}` for a photo that cannot be read (the others are still done, and
 * the exit status is 2). With `--box` the given box is the one face of every photo, and each
 * entry also keeps the earlier shape (`box`, `centredSquare`, `padded`, `top`).
 */
import { writeFile } from 'node:fs/promises';
import type { FaceBox } from '../data/face-list.js';
import { ImageError, InvalidOptionError, UserError } from '../errors.js';
import { type ActorProbability, type PhotoPrediction, Predictor } from '../train/predict.js';
import { type FacePrediction, type PhotoFacesPrediction, predictFaces } from '../train/predict-faces.js';
import { annotatePhoto } from '../viz/annotate-photo.js';
import { theme } from '../viz/theme.js';
import { type FlagSpec, intFlag, optionalString, parseCommand, requireString } from './args.js';
import type { Command } from './command.js';
import { annotatedPath, makeFolder, scoreFlag } from './detect.js';
import { printJson, say } from './output.js';
import { detectorFlag } from './prepare.js';
import { progressPrinter } from './progress-bar.js';

const flags: Record<string, FlagSpec> = {
  detector: {
    type: 'string',
    help: 'face detector: ssd (accurate) or tiny (fast)',
    default: 'ssd',
    value: 'NAME',
  },
  'min-score': {
    type: 'string',
    help: 'smallest detection score taken as a face',
    default: '0.5',
    value: 'P',
  },
  unknown: {
    type: 'boolean',
    help: "say 'unknown' for a face of nobody the model knows (transfer heads: features far from every person, threshold chosen on validation at a 95 % true-accept rate)",
  },
  annotate: {
    type: 'string',
    help: 'write each photo with its faces boxed and named into this folder',
    value: 'DIR',
  },
  model: {
    type: 'string',
    help: 'model.onnx written by facelab train, grid or transfer (or the folder holding it)',
  },
  box: {
    type: 'string',
    help: 'face box x1,y1,x2,y2 in pixels (x2, y2 exclusive), used for every photo instead of finding faces',
    default: 'every face the detector finds',
  },
  top: { type: 'string', help: 'most likely actors listed per photo', default: '3' },
  threads: { type: 'string', help: 'ONNX Runtime threads', default: 'one per core' },
};

const USAGE =
  '--model DIR/model.onnx PHOTO… [--unknown] [--annotate DIR] [--detector ssd|tiny] [--box x1,y1,x2,y2] [--top 3] [--json]';
const DESCRIPTION = `Finds every face in each photo (face-api's SSD-MobileNetV1 on ONNX Runtime, offline), cuts it
the way the model's training crops were made (the study's box crop, or the aligned crop for
models trained on aligned faces) and prints the actors the model finds most likely for each face,
with their softmax probabilities. --unknown says 'unknown' for a face of nobody the model knows
(a transfer head's features farther from every person than a threshold chosen on validation).
--annotate writes each photo with its faces boxed and named. With --box the given box is used
as the one face of every photo. A photo that cannot be read is reported on its own line and the
others are still done; the exit status is then 2.`;

/** The `predict` command. */
export const command: Command = {
  name: 'predict',
  summary: 'who is in photos: every face found, named with probabilities, from a trained model',
  async run(argv) {
    const parsed = parseCommand(
      { name: 'predict', usage: USAGE, description: DESCRIPTION, flags, positionals: true },
      argv,
    );
    if (!parsed) return 0;
    const { values, positionals, json } = parsed;
    const model = requireString(values, 'model');
    if (positionals.length === 0)
      throw new UserError('give at least one PHOTO to predict (see facelab predict --help)');
    const boxText = optionalString(values, 'box');
    const box = boxText === undefined ? undefined : parseBox(boxText);
    const top = intFlag(values, 'top', 3, 1, 1_000_000);
    const threads = values.threads === undefined ? undefined : intFlag(values, 'threads', 1, 1, 1024);
    const annotate = optionalString(values, 'annotate');
    if (annotate !== undefined) await makeFolder(annotate);
    const results = box
      ? await predictBoxes(model, positionals, box, top, threads)
      : await predictFaces({
          model,
          photos: positionals,
          top,
          detector: detectorFlag(values),
          minScore: scoreFlag(optionalString(values, 'min-score'), '--min-score', 0.5),
          unknown: values.unknown === true,
          ...(threads === undefined ? {} : { threads }),
          onProgress: progressPrinter(),
        });
    for (const [i, result] of results.entries()) {
      if ('error' in result) {
        process.stderr.write(`facelab predict: ${result.error}\n`);
        continue;
      }
      for (const line of describe(result)) say(line, json);
      if (annotate !== undefined) await drawFaces(annotate, result, i);
    }
    if (json) printJson(results.map(jsonOf));
    return results.some((r) => 'error' in r) ? 2 : 0;
  },
};

/** One photo's outcome: its faces (one with --box), or why it could not be read. */
type Outcome = PhotoFacesPrediction & { boxPrediction?: PhotoPrediction };

/** `--box`: the given box of every photo, one photo at a time so that a bad one stops nothing. */
async function predictBoxes(
  model: string,
  photos: readonly string[],
  box: FaceBox,
  top: number,
  threads: number | undefined,
): Promise<Outcome[]> {
  const predictor = await Predictor.load(model, threads === undefined ? {} : { threads });
  try {
    const out: Outcome[] = [];
    for (const photo of photos) {
      try {
        const [p] = await predictor.predict([photo], { box, top });
        out.push({ photo, faces: [{ box: p!.box, score: 1, top: p!.top }], boxPrediction: p! });
      } catch (error) {
        if (!(error instanceof ImageError)) throw error;
        out.push({ photo, error: error.message });
      }
    }
    return out;
  } finally {
    await predictor.dispose();
  }
}

function jsonOf(result: Outcome): unknown {
  if ('error' in result) return { photo: result.photo, error: result.error };
  const faces = result.faces.map((f) => ({
    box: boxArray(f.box),
    ...(result.boxPrediction ? {} : { score: Math.round(f.score * 1e4) / 1e4 }),
    top: f.top,
    ...(f.unknown
      ? { unknown: f.unknown.unknown, distance: f.unknown.distance, threshold: f.unknown.threshold }
      : {}),
  }));
  const p = result.boxPrediction;
  // With --box the earlier shape (one face: box, centredSquare, padded, top) stays valid.
  return p
    ? {
        photo: p.photo,
        box: boxArray(p.box),
        centredSquare: p.centredSquare,
        padded: p.padded,
        top: p.top,
        faces,
      }
    : { photo: result.photo, faces };
}

function nameOf(face: FacePrediction): string {
  const best = face.top[0]!;
  return face.unknown?.unknown ? 'unknown' : best.actor;
}

async function drawFaces(
  dir: string,
  result: { photo: string; faces: FacePrediction[] },
  index: number,
): Promise<void> {
  const out = annotatedPath(dir, result.photo, index);
  const drawn = await annotatePhoto(
    result.photo,
    result.faces.map((f, k) => ({
      box: f.box,
      label: `${nameOf(f)} ${f.unknown?.unknown ? '' : f.top[0]!.p.toFixed(2)}`.trim(),
      color: theme.series[k % theme.series.length]!,
    })),
    { format: out.endsWith('.png') ? 'png' : 'jpeg' },
  );
  await writeFile(out, drawn);
}

function describe(result: Outcome): string[] {
  const p = result.boxPrediction;
  if (p) {
    const padded = p.padded ? ', partly outside the photo: padded with black' : '';
    return [`${p.photo}  (box ${boxArray(p.box).join(',')}${padded})`, ...topLines(p.top)];
  }
  const faces = (result as { faces: FacePrediction[] }).faces;
  if (faces.length === 0) return [`${result.photo}  no face found`];
  return [
    `${result.photo}  ${faces.length} face${faces.length === 1 ? '' : 's'}`,
    ...faces.flatMap((f, k) => [
      `  face ${k + 1} at ${boxArray(f.box).join(',')} (score ${f.score.toFixed(2)})${verdictText(f)}`,
      ...topLines(f.top).map((l) => `  ${l}`),
    ]),
  ];
}

/** With --unknown: whether the face is somebody the model knows, and the distance that says so. */
function verdictText(face: FacePrediction): string {
  const u = face.unknown;
  if (!u) return '';
  const d = u.distance.toFixed(3);
  const t = u.threshold.toFixed(3);
  return u.unknown ? `: unknown (distance ${d} ≥ ${t})` : `: known (distance ${d} < ${t})`;
}

function topLines(top: ActorProbability[]): string[] {
  const width = Math.max(...top.map((t) => t.actor.length));
  return top.map((t, i) => `  ${String(i + 1).padStart(2)}. ${t.actor.padEnd(width)}  ${t.p.toFixed(4)}`);
}

/** Parses `x1,y1,x2,y2`: four integers (negative allowed: the box may reach past the edge). */
export function parseBox(text: string): FaceBox {
  const parts = text.split(',').map((s) => s.trim());
  const numbers = parts.map((s) => (/^-?\d+$/.test(s) ? Number(s) : Number.NaN));
  const [x1, y1, x2, y2] = numbers as [number, number, number, number];
  if (numbers.length !== 4 || numbers.some((n) => !Number.isSafeInteger(n))) {
    throw new InvalidOptionError('--box', 'x1,y1,x2,y2 (four integers)', text);
  }
  if (x2 <= x1 || y2 <= y1) {
    throw new InvalidOptionError('--box', 'a non-empty box x1,y1,x2,y2 with x2 > x1 and y2 > y1', text);
  }
  return { x1, y1, x2, y2 };
}

function boxArray(box: FaceBox): [number, number, number, number] {
  return [box.x1, box.y1, box.x2, box.y2];
}
