/**
 * Running an image backbone up to one tensor and collecting that tensor, flattened, for every
 * crop: the feature extractor of transfer learning. Any ONNX model works; the chosen tensor is
 * made the model's only output (`tapModel`), so nothing after it is computed or even loaded.
 */
import { describeModel, tapModel } from '../engine/model-surgery.js';
import { EngineSession } from '../engine/session.js';
import { InvalidOptionError, UserError } from '../errors.js';
import type { OnProgress } from '../progress.js';
import { positiveInteger } from '../validate.js';
import { type Preprocess, preprocessImages } from './preprocess.js';

/** A backbone ready to load: the model and where and how to use it. */
export interface BackboneSpec {
  /** Short name for reports and cache keys ('face', 'alexnet', a file name…). */
  name: string;
  /** ONNX model bytes. */
  model: Uint8Array;
  /** Layer name as the user gave it (e.g. 'pool5'), for reports. */
  layer: string;
  /** Tensor of `model` to tap (e.g. '/features/features.12/MaxPool_output_0'). */
  tensor: string;
  /** Crop side the model is fed, in pixels. */
  side: number;
  /** How crops become the model's input. */
  preprocess: Preprocess;
  /** The model's file (or how it was made), named in error messages. Default: `name`. */
  source?: string;
}

/** Options of `Backbone.load`. */
export interface BackboneOptions {
  /** Images per ORT run. Default 32. */
  batchSize?: number;
  /** ORT intra-op threads. Default: one per core. */
  threads?: number;
}

/** Options of `Backbone.extract`. */
export interface ExtractOptions {
  /** Progress events (one `advance` per batch) under this task name. Default 'features'. */
  task?: string;
  onProgress?: OnProgress;
}

/** A loaded backbone. Call `dispose()` when done. */
export class Backbone {
  private dimension: number | undefined;

  private constructor(
    /** What was loaded. */
    readonly spec: Readonly<Omit<BackboneSpec, 'model'>>,
    private readonly session: EngineSession,
    private readonly inputName: string,
    private readonly batchSize: number,
  ) {}

  /**
   * Cuts the model at `spec.tensor` and loads it into ONNX Runtime. Throws a `UserError` when
   * the tensor does not exist or the model's input does not fit `spec.side` and `spec.preprocess`.
   */
  static async load(spec: BackboneSpec, options: BackboneOptions = {}): Promise<Backbone> {
    const batchSize = positiveInteger('batchSize', options.batchSize ?? 32);
    const source = spec.source ?? spec.name;
    const tapped = tapModel(spec.model, { outputs: [spec.tensor], source });
    const { inputs } = describeModel(tapped, source);
    if (inputs.length !== 1) {
      throw new UserError(
        `${spec.name}: expected a model with one image input, found ${inputs.length} (${inputs.map((i) => i.name).join(', ')})`,
      );
    }
    const input = inputs[0]!;
    const wantType = spec.preprocess === 'uint8' ? 'uint8' : 'float32';
    if (input.type !== wantType) {
      throw new UserError(
        `${spec.name}: input '${input.name}' is ${input.type}, but preprocess '${spec.preprocess}' feeds ${wantType}`,
      );
    }
    const dims = input.dims ?? [];
    const spatial = spec.preprocess === 'uint8' ? dims.slice(1, 3) : dims.slice(2, 4);
    if (dims.length !== 4 || spatial.some((d) => typeof d === 'number' && d !== spec.side)) {
      throw new UserError(
        `${spec.name}: input '${input.name}' has dims [${dims.join(', ')}], which do not take ${spec.side} px crops`,
      );
    }
    const session = await EngineSession.create(
      tapped,
      options.threads === undefined ? {} : { threads: options.threads },
    );
    const { model: _model, ...described } = spec;
    return new Backbone(described, session, input.name, batchSize);
  }

  /** Features per image (the tapped tensor's size), known after the first `extract`. */
  get dim(): number | undefined {
    return this.dimension;
  }

  /**
   * Runs `count` crops (`side × side × 3` bytes each, stored one after another) through the
   * backbone and returns their features as `count × dim` float32, row by row.
   */
  async extract(images: Uint8Array, count: number, options: ExtractOptions = {}): Promise<Float32Array> {
    const { side, preprocess } = this.spec;
    const bytes = side * side * 3;
    if (images.length !== count * bytes) {
      throw new InvalidOptionError('images', `${count} crops of ${side} × ${side} × 3 bytes`, images.length);
    }
    const task = options.task ?? 'features';
    options.onProgress?.({ kind: 'start', task, total: count });
    let out: Float32Array | undefined;
    for (let start = 0; start < count; start += this.batchSize) {
      const n = Math.min(this.batchSize, count - start);
      const input = preprocessImages(images.subarray(start * bytes, (start + n) * bytes), {
        count: n,
        side,
        mode: preprocess,
      });
      const result = await this.session.run({ [this.inputName]: input }, [this.spec.tensor]);
      const tensor = result[this.spec.tensor]!;
      if (!(tensor.data instanceof Float32Array))
        throw new UserError(`${this.spec.name}: tensor '${this.spec.tensor}' is not float32`);
      const dim = tensor.data.length / n;
      if (this.dimension === undefined) this.dimension = dim;
      else if (dim !== this.dimension)
        throw new UserError(`${this.spec.name}: feature size changed from ${this.dimension} to ${dim}`);
      out ??= new Float32Array(count * dim);
      out.set(tensor.data, start * dim);
      options.onProgress?.({ kind: 'advance', task, done: start + n, total: count });
    }
    options.onProgress?.({ kind: 'done', task });
    return out ?? new Float32Array(0);
  }

  /** Releases the ORT session. */
  async dispose(): Promise<void> {
    await this.session.dispose();
  }
}
