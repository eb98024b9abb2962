/**
 * The backbone behind a transfer head: what a head's `facelab` metadata records under
 * `backbone` (`HeadBackbone`), read and checked, and the backbone rebuilt from it so that
 * photos can be turned into the features the head was trained on.
 */
import { resolve } from 'node:path';
import { UserError } from '../errors.js';
import { Backbone } from '../transfer/backbone.js';
import {
  BACKBONE_KINDS,
  type BackboneKind,
  type ResolvedBackbone,
  resolveBackbone,
} from '../transfer/backbones.js';
import { PREPROCESS_MODES, type Preprocess } from '../transfer/preprocess.js';

/**
 * The backbone a transfer head's features came from, as recorded under `backbone` in the
 * head's `facelab` metadata: enough to rebuild the backbone and feed it the same crops.
 */
export interface HeadBackbone {
  kind: BackboneKind;
  /** Layer tapped (e.g. 'descriptor', 'pool5', a tensor name). */
  layer: string;
  /** How crops were turned into the backbone's input. */
  preprocess: Preprocess;
  /**
   * Weights: an ONNX file (alexnet, onnx) or a TF.js manifest (face); absent means face-api's
   * own weights (face). A relative path is relative to the model's folder.
   */
  weights?: string;
  /** `alexnet` only: the seed of a randomly initialised AlexNet. */
  randomWeights?: number;
  /** Input side of the backbone in pixels, for models whose side is not fixed. */
  side?: number;
  /**
   * Side the faces were cut at before being resized to the backbone's side (what
   * `loadCropsAtSide` does when the backbone's side was not prepared). Default: the backbone's side.
   */
  cropSide?: number;
  /** SHA-256 of the backbone model the features came from; checked when present. */
  modelSha256?: string;
  /** True when the backbone was fed aligned crops (predict then aligns each face from its landmarks). */
  aligned?: boolean;
}

/**
 * Reads the `backbone` record of a head's metadata (`undefined` when there is none). Relative
 * weight paths are resolved against `folder`. Bad fields are reported through `notFacelab`.
 */
export function readHeadBackbone(
  value: unknown,
  folder: string,
  notFacelab: (why: string) => UserError,
): HeadBackbone | undefined {
  if (value === undefined || value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  const bad = (field: string): UserError =>
    notFacelab(`its backbone record has a bad '${field}': ${JSON.stringify(record[field])}`);
  const kind = record.kind;
  if (typeof kind !== 'string' || !BACKBONE_KINDS.includes(kind as BackboneKind)) throw bad('kind');
  if (typeof record.layer !== 'string' || record.layer === '') throw bad('layer');
  const preprocess = record.preprocess ?? (kind === 'face' ? 'uint8' : undefined);
  if (typeof preprocess !== 'string' || !PREPROCESS_MODES.includes(preprocess as Preprocess))
    throw bad('preprocess');
  const head: HeadBackbone = {
    kind: kind as BackboneKind,
    layer: record.layer,
    preprocess: preprocess as Preprocess,
  };
  if (record.weights !== undefined) {
    if (typeof record.weights !== 'string' || record.weights === '') throw bad('weights');
    head.weights = resolve(folder, record.weights);
  }
  for (const field of ['randomWeights', 'side', 'cropSide'] as const) {
    const n = record[field];
    if (n === undefined) continue;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < (field === 'randomWeights' ? 0 : 1))
      throw bad(field);
    head[field] = n;
  }
  if (record.aligned !== undefined) {
    if (typeof record.aligned !== 'boolean') throw bad('aligned');
    head.aligned = record.aligned;
  }
  if (record.modelSha256 !== undefined) {
    if (typeof record.modelSha256 !== 'string') throw bad('modelSha256');
    head.modelSha256 = record.modelSha256;
  }
  return head;
}

/**
 * Rebuilds and loads the backbone a head records. `path` names the head in errors; a head
 * without a record, or one whose backbone cannot be rebuilt, is a `UserError`.
 */
export async function loadHeadBackbone(
  path: string,
  input: { dim: number; backbone: HeadBackbone | undefined },
  options: { threads?: number; batchSize: number },
): Promise<Backbone> {
  const record = input.backbone;
  if (!record) {
    throw new UserError(
      `${path} is a transfer head taking ${input.dim} backbone features, and its metadata does not record the backbone ` +
        `(kind, layer, preprocessing) that made them, so predict cannot compute them from a photo; ` +
        `use a model trained on raw crops (facelab train or grid)`,
    );
  }
  const cannot = (why: string): UserError =>
    new UserError(`${path}: cannot rebuild the ${record.kind} backbone its metadata records: ${why}`);
  let spec: ResolvedBackbone;
  try {
    spec = await resolveBackbone({
      backbone: record.kind,
      layer: record.layer,
      preprocess: record.preprocess,
      ...(record.weights === undefined ? {} : { weights: record.weights }),
      ...(record.randomWeights === undefined ? {} : { randomWeights: record.randomWeights }),
      ...(record.side === undefined ? {} : { side: record.side }),
    });
  } catch (error) {
    if (error instanceof UserError) throw cannot(error.message);
    throw error;
  }
  if (record.modelSha256 !== undefined && record.modelSha256 !== spec.modelSha256) {
    throw cannot(
      `its weights (SHA-256 ${spec.modelSha256.slice(0, 12)}…) differ from the ones the head was trained on`,
    );
  }
  try {
    return await Backbone.load(spec, options);
  } catch (error) {
    if (error instanceof UserError) throw cannot(error.message);
    throw error;
  }
}
