/**
 * Opening a `model.onnx` that facelab wrote (`buildClassifierModel`) and checking that it is
 * one: the `facelab` metadata entry says the class names, the input (raw crops of a side, or
 * feature vectors) and, for a transfer model, the backbone: either inside the graph (a model
 * taking crops, as `facelab transfer` writes `model.onnx`) or to be rebuilt to make the features
 * a head takes (`head.onnx`, or heads written before).
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { type ClassifierMetadata, METADATA_KEY } from '../engine/classifier-model.js';
import { readModelMetadata } from '../engine/model-metadata.js';
import { UserError } from '../errors.js';
import { type HeadBackbone, readHeadBackbone } from './head-backbone.js';

/** File name of the model inside a run folder. */
export const MODEL_FILE = 'model.onnx';

/** What the model takes, from its metadata. */
export type ClassifierFileInput =
  | {
      kind: 'image';
      name: string;
      side: number;
      /**
       * Side the training faces were cut at before being resized to `side` (a transfer model
       * whose backbone side was not prepared, e.g. 227 px crops for the 150 px face network):
       * cut new faces at this side and resize them to `side` to match training. Default `side`.
       */
      cropSide?: number;
      /** For a transfer model (backbone and head in one graph): the backbone it contains. */
      backbone?: HeadBackbone;
    }
  | { kind: 'features'; name: string; dim: number; backbone: HeadBackbone | undefined };

/** A facelab classifier read from disk. */
export interface ClassifierFile {
  /** Absolute path of the `.onnx` file. */
  path: string;
  bytes: Uint8Array;
  /** Class (actor) names in output order. */
  labels: string[];
  input: ClassifierFileInput;
  /** The whole `facelab` metadata entry (training settings, accuracy…). */
  metadata: ClassifierMetadata;
}

/**
 * Reads a facelab model: `path` is the `.onnx` file or a run folder holding `model.onnx`.
 * Throws a `UserError` when the file is missing, is not ONNX, or is not a facelab classifier.
 *
 * @example
 * const model = await loadClassifierFile('runs/six/model.onnx');
 * model.labels; // ['Alec Baldwin', …]
 */
export async function loadClassifierFile(path: string): Promise<ClassifierFile> {
  let file = resolve(path);
  const info = await stat(file).catch(() => undefined);
  if (!info) throw new UserError(`model not found: ${path}`);
  if (info.isDirectory()) {
    file = join(file, MODEL_FILE);
    if (!(await stat(file).catch(() => undefined))?.isFile()) {
      throw new UserError(`model not found: ${path} is a folder without ${MODEL_FILE}`);
    }
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (error) {
    throw new UserError(`cannot read the model ${path} (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  const notFacelab = (why: string): UserError =>
    new UserError(
      `${path} is not a facelab model (${why}); give the model.onnx that facelab train, grid or transfer wrote`,
    );
  let entries: Record<string, string>;
  try {
    entries = readModelMetadata(bytes, path);
  } catch {
    throw notFacelab('not an ONNX file');
  }
  const text = entries[METADATA_KEY];
  if (text === undefined) throw notFacelab(`no '${METADATA_KEY}' metadata entry`);
  let metadata: ClassifierMetadata;
  try {
    metadata = JSON.parse(text) as ClassifierMetadata;
  } catch {
    throw notFacelab(`its '${METADATA_KEY}' metadata is not JSON`);
  }
  if (typeof metadata !== 'object' || metadata === null || metadata.format !== 'facelab-classifier/1') {
    throw notFacelab(`unknown format ${JSON.stringify(metadata?.format)}`);
  }
  const { labels } = metadata;
  if (!Array.isArray(labels) || labels.length === 0 || !labels.every((l) => typeof l === 'string')) {
    throw notFacelab('its metadata lists no class names');
  }
  return { path: file, bytes, labels, input: readInput(metadata, dirname(file), notFacelab), metadata };
}

function readInput(
  metadata: ClassifierMetadata,
  folder: string,
  notFacelab: (why: string) => UserError,
): ClassifierFileInput {
  const input = metadata.input as Partial<ClassifierMetadata['input']> | undefined;
  const shape: unknown[] = Array.isArray(input?.shape) ? input.shape : [];
  const positive = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0;
  if (input?.kind === 'image' && shape.length === 4 && positive(shape[1]) && shape[2] === shape[1]) {
    const image: ClassifierFileInput = { kind: 'image', name: input.name ?? 'image', side: shape[1] };
    // A combined transfer model records its backbone; its crop side tells how faces were cut.
    const backbone = readHeadBackbone(metadata.backbone, folder, notFacelab);
    if (backbone) {
      image.backbone = backbone;
      if (backbone.cropSide !== undefined && backbone.cropSide !== image.side)
        image.cropSide = backbone.cropSide;
    }
    return image;
  }
  if (input?.kind === 'features' && shape.length === 2 && positive(shape[1])) {
    const backbone = readHeadBackbone(metadata.backbone, folder, notFacelab);
    return { kind: 'features', name: input.name ?? 'features', dim: shape[1], backbone };
  }
  throw notFacelab(`unexpected input description ${JSON.stringify(input)}`);
}
