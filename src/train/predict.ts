/**
 * Predicting actors for photos with a model facelab wrote. The face is cut out and resized
 * exactly as `facelab prepare` made the training crops (`cropFace`: stored pixels, black
 * padding past the edge, Pillow's BILINEAR), then fed to the model:
 *
 * - a model trained on raw crops takes the uint8 values as float32 and normalises inside its graph;
 * - a transfer head takes backbone features, so the backbone its metadata records (see
 *   `HeadBackbone`) is rebuilt and run first on crops of the backbone's side.
 *
 * Without a box the centred square of each photo is used (`centredSquare`).
 */
import { cropFace } from '../data/crop.js';
import type { FaceBox } from '../data/face-list.js';
import { centredSquare, readPhotoSize } from '../data/photo-size.js';
import { EngineSession } from '../engine/session.js';
import { InvalidOptionError, UserError } from '../errors.js';
import type { OnProgress } from '../progress.js';
import type { Backbone } from '../transfer/backbone.js';
import { resizeCrops } from '../transfer/crops.js';
import { positiveInteger } from '../validate.js';
import { type ClassifierFile, loadClassifierFile } from './classifier-file.js';
import { loadHeadBackbone } from './head-backbone.js';

/** Options of `Predictor.load`. */
export interface PredictorOptions {
  /** ORT intra-op threads. Default: one per core. */
  threads?: number;
  /** Photos per ORT run. Default 32. */
  batchSize?: number;
}

/** A photo with its own face box (e.g. from a FaceScrub list line). */
export interface PhotoWithBox {
  photo: string;
  /** Face box of this photo; overrides `PredictPhotosOptions.box`. */
  box?: FaceBox;
}

/** Options of `Predictor.predict`. */
export interface PredictPhotosOptions {
  /** Face box for every photo without its own. Default: the centred square of each photo. */
  box?: FaceBox;
  /** Most likely actors listed per photo, at most the number of actors. Default 3. */
  top?: number;
  /** One `advance` per batch of photos under the task 'predict'. */
  onProgress?: OnProgress;
}

/** Options of `predictPhotos`: the model, the photos and both option sets above. */
export interface PredictOptions extends PredictorOptions, PredictPhotosOptions {
  /** The `model.onnx` file, or a run folder holding one. */
  model: string;
  /** Photo files, each optionally with its own box. */
  photos: readonly (string | PhotoWithBox)[];
}

/** One actor and its probability. */
export interface ActorProbability {
  actor: string;
  /** Softmax probability from the model (float32 precision). */
  p: number;
}

/** The prediction for one photo. */
export interface PhotoPrediction {
  /** The photo as given. */
  photo: string;
  /** The face box cut out, in stored pixels. */
  box: FaceBox;
  /** True when no box was given and the centred square of the photo was used. */
  centredSquare: boolean;
  /** True when part of the box lay outside the photo and was filled with black (as in training). */
  padded: boolean;
  /** The `top` most likely actors, most likely first. */
  top: ActorProbability[];
}

/** What `predictPhotos` returns. */
export interface PredictResult {
  /** Absolute path of the model file. */
  model: string;
  /** Actor names of the model, in output order. */
  actors: string[];
  /** Side of the face crops cut from the photos, in pixels. */
  cropSide: number;
  predictions: PhotoPrediction[];
}

/** A loaded model that predicts actors. Call `dispose()` when done. */
export class Predictor {
  private constructor(
    /** The model file (without its bytes). */
    readonly model: Omit<ClassifierFile, 'bytes'>,
    /** Side at which faces are cut from photos. */
    readonly cropSide: number,
    /** Side the model (or its backbone) is fed. */
    private readonly feedSide: number,
    private readonly head: EngineSession,
    private readonly backbone: Backbone | undefined,
    private readonly batchSize: number,
  ) {}

  /**
   * Loads a facelab model (and, for a transfer head, the backbone its metadata records).
   * Throws a `UserError` when the model is missing, not a facelab model, or a transfer head
   * whose backbone is not recorded or cannot be rebuilt.
   */
  static async load(path: string, options: PredictorOptions = {}): Promise<Predictor> {
    const batchSize = positiveInteger('batchSize', options.batchSize ?? 32);
    const threads = options.threads === undefined ? {} : { threads: options.threads };
    const file = await loadClassifierFile(path);
    const { input } = file;
    let backbone: Backbone | undefined;
    let cropSide: number;
    let feedSide: number;
    if (input.kind === 'image') {
      // A portable transfer model records the side its training faces were cut at (e.g. 227,
      // resized to its 150 px input), so faces are cut and resized the same way.
      cropSide = input.cropSide ?? input.side;
      feedSide = input.side;
    } else {
      backbone = await loadHeadBackbone(path, input, { ...threads, batchSize });
      feedSide = backbone.spec.side;
      cropSide = input.backbone?.cropSide ?? feedSide;
    }
    let head: EngineSession;
    try {
      head = await EngineSession.create(file.bytes, threads);
    } catch (error) {
      await backbone?.dispose();
      throw new UserError(
        `${path} is not a facelab model (ONNX Runtime cannot load it: ${firstLine(error)})`,
      );
    }
    if (!head.inputNames.includes(input.name) || !head.outputNames.includes('probabilities')) {
      await Promise.all([head.dispose(), backbone?.dispose()]);
      throw new UserError(
        `${path} is not a facelab model (its graph has no '${input.name}' input or 'probabilities' output)`,
      );
    }
    const { bytes: _bytes, ...described } = file;
    return new Predictor(described, cropSide, feedSide, head, backbone, batchSize);
  }

  /** Actor names in output order. */
  get actors(): string[] {
    return this.model.labels;
  }

  /**
   * Softmax probabilities (`count × actors`, row by row) of `count` face crops of `cropSide`
   * px (`cropSide² × 3` RGB bytes each, stored one after another), as `facelab prepare` stores them.
   */
  async classifyCrops(crops: Uint8Array, count: number): Promise<Float32Array> {
    return (await this.classifyCropsWithFeatures(crops, count)).probabilities;
  }

  /**
   * `classifyCrops`, and for a transfer head also the backbone features of each crop
   * (`count × dim`, what the head took; undefined for a model on raw crops).
   */
  async classifyCropsWithFeatures(
    crops: Uint8Array,
    count: number,
  ): Promise<{ probabilities: Float32Array; features: Float32Array | undefined }> {
    const side = this.cropSide;
    if (crops.length !== count * side * side * 3)
      throw new InvalidOptionError('crops', `${count} crops of ${side} × ${side} × 3 bytes`, crops.length);
    const K = this.actors.length;
    const out = new Float32Array(count * K);
    let features: Float32Array | undefined;
    for (let start = 0; start < count; start += this.batchSize) {
      const n = Math.min(this.batchSize, count - start);
      let batch = crops.subarray(start * side * side * 3, (start + n) * side * side * 3);
      if (this.feedSide !== side) batch = resizeCrops(batch, n, side, this.feedSide);
      const { input } = this.model;
      let feed: Float32Array;
      let dims: number[];
      if (this.backbone) {
        feed = await this.backbone.extract(batch, n);
        const dim = feed.length / n;
        if (input.kind === 'features' && dim !== input.dim) {
          throw new UserError(
            `${this.model.path}: the backbone gives ${dim} features but the head takes ${input.dim}; its backbone record is wrong`,
          );
        }
        features ??= new Float32Array(count * dim);
        features.set(feed, start * dim);
        dims = [n, dim];
      } else {
        feed = Float32Array.from(batch); // the graph normalises raw 0–255 values itself
        dims = [n, this.feedSide, this.feedSide, 3];
      }
      const result = await this.head.run({ [input.name]: { data: feed, dims } }, ['probabilities']);
      out.set(result.probabilities!.data as Float32Array, start * K);
    }
    return { probabilities: out, features };
  }

  /**
   * Predicts the most likely actors of each photo. Throws an `ImageError` naming the photo when
   * one is missing, not an image, or its box is empty or wholly outside it (no photo is skipped).
   */
  async predict(
    photos: readonly (string | PhotoWithBox)[],
    options: PredictPhotosOptions = {},
  ): Promise<PhotoPrediction[]> {
    const K = this.actors.length;
    const top = positiveInteger('top', options.top ?? 3);
    const { onProgress } = options;
    const side = this.cropSide;
    const predictions: PhotoPrediction[] = [];
    onProgress?.({ kind: 'start', task: 'predict', total: photos.length });
    for (let start = 0; start < photos.length; start += this.batchSize) {
      const batch = photos.slice(start, start + this.batchSize);
      const crops = await Promise.allSettled(
        batch.map((item) =>
          typeof item === 'string'
            ? this.cropPhoto(item, options.box)
            : this.cropPhoto(item.photo, item.box ?? options.box),
        ),
      );
      const failed = crops.find((c) => c.status === 'rejected');
      if (failed) throw failed.reason;
      const done = crops.map((c) => (c as PromiseFulfilledResult<CroppedPhoto>).value);
      const images = new Uint8Array(done.length * side * side * 3);
      for (const [i, c] of done.entries()) images.set(c.crop, i * c.crop.length);
      const probabilities = await this.classifyCrops(images, done.length);
      done.forEach((c, i) => {
        const row = probabilities.subarray(i * K, (i + 1) * K);
        const item = batch[i]!;
        predictions.push({
          photo: typeof item === 'string' ? item : item.photo,
          box: c.box,
          centredSquare: c.centred,
          padded: c.padded,
          top: topActors(row, this.actors, top),
        });
      });
      onProgress?.({ kind: 'advance', task: 'predict', done: predictions.length, total: photos.length });
    }
    onProgress?.({ kind: 'done', task: 'predict' });
    return predictions;
  }

  /** Releases the ORT sessions. */
  async dispose(): Promise<void> {
    await Promise.all([this.head.dispose(), this.backbone?.dispose()]);
  }

  private async cropPhoto(photo: string, given: FaceBox | undefined): Promise<CroppedPhoto> {
    const box = given ?? centredSquare(await readPhotoSize(photo));
    const { crops, padded } = await cropFace(photo, box, { sides: [this.cropSide], source: photo });
    return { crop: crops[0]!, box, centred: given === undefined, padded };
  }
}

interface CroppedPhoto {
  crop: Uint8Array;
  box: FaceBox;
  centred: boolean;
  padded: boolean;
}

/**
 * Loads a model and predicts the photos: `Predictor.load` + `predict` + `dispose`.
 *
 * @example
 * const { predictions } = await predictPhotos({ model: 'runs/six', photos: ['me.jpg'], top: 3 });
 * predictions[0].top[0]; // { actor: 'Bill Hader', p: 0.93 }
 */
export async function predictPhotos(options: PredictOptions): Promise<PredictResult> {
  const predictor = await Predictor.load(options.model, options);
  try {
    const predictions = await predictor.predict(options.photos, options);
    return {
      model: predictor.model.path,
      actors: predictor.actors,
      cropSide: predictor.cropSide,
      predictions,
    };
  } finally {
    await predictor.dispose();
  }
}

/** The `top` largest probabilities with their actors, largest first (ties: output order). */
export function topActors(
  probabilities: Float32Array,
  actors: readonly string[],
  top: number,
): ActorProbability[] {
  const order = [...probabilities.keys()].sort((a, b) => probabilities[b]! - probabilities[a]! || a - b);
  return order.slice(0, top).map((i) => ({ actor: actors[i]!, p: probabilities[i]! }));
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
}
