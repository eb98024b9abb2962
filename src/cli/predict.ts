/**
 * `facelab predict --model DIR/model.onnx PHOTO… [--box x1,y1,x2,y2] [--top 3] [--json]`:
 * the most likely actors of each photo, with probabilities. With `--json` the last stdout line
 * is `[{"photo":…,"box":[x1,y1,x2,y2],"centredSquare":bool,"padded":bool,"top":[{"actor":…,"p":…},…]},…]`.
 */
import type { FaceBox } from '../data/face-list.js';
import { ImageError, InvalidOptionError, UserError } from '../errors.js';
import { type PhotoPrediction, predictPhotos } from '../train/predict.js';
import { type FlagSpec, intFlag, optionalString, parseCommand, requireString } from './args.js';
import type { Command } from './command.js';
import { printJson, say } from './output.js';
import { progressPrinter } from './progress-bar.js';

const flags: Record<string, FlagSpec> = {
  model: {
    type: 'string',
    help: 'model.onnx written by facelab train, grid or transfer (or the folder holding it)',
  },
  box: {
    type: 'string',
    help: 'face box x1,y1,x2,y2 in pixels (x2, y2 exclusive), used for every photo',
    default: 'the centred square of each photo',
  },
  top: { type: 'string', help: 'most likely actors listed per photo', default: '3' },
  threads: { type: 'string', help: 'ONNX Runtime threads', default: 'one per core' },
};

const USAGE = '--model DIR/model.onnx PHOTO… [--box x1,y1,x2,y2] [--top 3] [--json]';
const DESCRIPTION = `Cuts the face box out of each photo, resizes it exactly as 'facelab prepare' made the training
crops (Pillow's BILINEAR; a box reaching past the edge is padded with black) and prints the
actors the model finds most likely, with their softmax probabilities. Without --box the centred
square of each photo is used, which suits a photo already cropped around one face. A transfer
head runs the backbone its metadata records first.`;

/** The `predict` command. */
export const command: Command = {
  name: 'predict',
  summary: 'the most likely actors of photos, with probabilities, from a trained model',
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
    let result: Awaited<ReturnType<typeof predictPhotos>>;
    try {
      result = await predictPhotos({
        model,
        photos: positionals,
        top,
        ...(box ? { box } : {}),
        ...(threads === undefined ? {} : { threads }),
        onProgress: progressPrinter(),
      });
    } catch (error) {
      // A photo the user named that cannot be used is the user's mistake: one line, exit 2.
      if (error instanceof ImageError) throw new UserError(error.message);
      throw error;
    }
    // Said after the work, so that an error stays the only line on stderr.
    if (!box) {
      process.stderr.write(
        'note: no --box given, so the centred square of each photo is used as the face (give --box x1,y1,x2,y2 to choose it)\n',
      );
    }
    for (const prediction of result.predictions) {
      for (const line of describe(prediction)) say(line, json);
    }
    if (json) {
      printJson(
        result.predictions.map((p) => ({
          photo: p.photo,
          box: boxArray(p.box),
          centredSquare: p.centredSquare,
          padded: p.padded,
          top: p.top,
        })),
      );
    }
    return 0;
  },
};

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

function describe(p: PhotoPrediction): string[] {
  const how = p.centredSquare ? 'centred square' : 'box';
  const padded = p.padded ? ', partly outside the photo: padded with black' : '';
  const width = Math.max(...p.top.map((t) => t.actor.length));
  return [
    `${p.photo}  (${how} ${boxArray(p.box).join(',')}${padded})`,
    ...p.top.map((t, i) => `  ${String(i + 1).padStart(2)}. ${t.actor.padEnd(width)}  ${t.p.toFixed(4)}`),
  ];
}

function boxArray(box: FaceBox): [number, number, number, number] {
  return [box.x1, box.y1, box.x2, box.y2];
}
