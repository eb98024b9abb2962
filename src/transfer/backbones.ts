/**
 * From what a user asks for (`--backbone face|alexnet|onnx`, `--weights`, `--layer`,
 * `--preprocess`) to a `BackboneSpec`: the model bytes, the tensor to tap, the crop side and
 * the preprocessing.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describeModel, type ModelSummary } from '../engine/model-surgery.js';
import { InvalidOptionError, UserError } from '../errors.js';
import { AGEGENDER_LAYERS, AGEGENDER_SIDE, AGEGENDER_TAPS, buildAgeGenderNet } from './agegender-net.js';
import { ALEXNET_SIDE, buildAlexNet } from './alexnet.js';
import type { BackboneSpec } from './backbone.js';
import { buildExpressionNet, EXPRESSION_LAYERS, EXPRESSION_SIDE, EXPRESSION_TAPS } from './expression-net.js';
import { buildFaceNet, FACE_LAYERS, FACE_OUTPUT, FACE_SIDE } from './face-net.js';
import { resolveAlexnetLayer } from './layer-names.js';
import { buildNsfwNet, NSFW_NETS, type NsfwNetName } from './nsfw-net.js';
import type { Preprocess } from './preprocess.js';
import {
  buildSsdBackbone,
  SSD_BACKBONE_LAYERS,
  SSD_BACKBONE_SIDE,
  SSD_DEFAULT_LAYER,
  SSD_TAPS,
} from './ssd-net.js';

/** The kinds of backbone facelab knows. */
export type BackboneKind = 'face' | 'expression' | 'agegender' | 'ssd' | 'alexnet' | 'onnx' | NsfwNetName;

/** Every `BackboneKind`, for flag validation. */
export const BACKBONE_KINDS: readonly BackboneKind[] = [
  'face',
  'expression',
  'agegender',
  'ssd',
  'mobilenet',
  'inception',
  'alexnet',
  'onnx',
];

/** What each backbone was trained on, for help texts and reports. */
export const BACKBONE_TRAINED_ON: Readonly<Record<BackboneKind, string>> = {
  face: 'face IDENTITY (dlib ResNet-34, face-api): trained to tell people apart, i.e. for this very job',
  expression: 'facial EXPRESSION (face-api dense-block net, 7 expressions): a face task other than identity',
  agegender: "AGE and GENDER (face-api's TinyXception age/gender net): face tasks other than identity",
  ssd: "face-api's SSD-MobileNetV1 face detector: trained to find faces (WIDER FACE), not to tell people apart",
  mobilenet:
    'MobileNetV2 224 px from nsfwjs: ImageNet-initialised, fine-tuned to 5 photo categories (drawing/hentai/neutral/porn/sexy)',
  inception:
    'InceptionV3 299 px from nsfwjs: ImageNet-initialised, fine-tuned to the same 5 photo categories',
  alexnet:
    'AlexNet on ImageNet: weights you export from torchvision (--weights), or random (--random-weights)',
  onnx: 'any ONNX image model you give (--weights)',
};

/** Default layer of each backbone. */
export const DEFAULT_LAYERS: Readonly<Record<BackboneKind, string>> = {
  face: FACE_OUTPUT,
  expression: 'features',
  agegender: 'features',
  ssd: SSD_DEFAULT_LAYER,
  mobilenet: NSFW_NETS.mobilenet.defaultLayer,
  inception: NSFW_NETS.inception.defaultLayer,
  alexnet: 'pool5',
  onnx: 'output',
};

/** The documented tap points of each backbone, shallow to deep (`--layers all`). */
export const BACKBONE_LAYERS: Readonly<Record<BackboneKind, readonly string[]>> = {
  face: FACE_LAYERS,
  expression: EXPRESSION_LAYERS,
  agegender: AGEGENDER_LAYERS,
  ssd: SSD_BACKBONE_LAYERS,
  mobilenet: NSFW_NETS.mobilenet.layers,
  inception: NSFW_NETS.inception.layers,
  alexnet: ['conv1', 'pool1', 'conv2', 'pool2', 'conv3', 'conv4', 'conv5', 'pool5', 'fc6', 'fc7'],
  onnx: [],
};

/** Where the README explains how to export pretrained AlexNet weights. */
export const ALEXNET_README_SECTION = 'README, section "Pretrained AlexNet"';

/** What the user chose. */
export interface BackboneChoice {
  backbone: BackboneKind;
  /**
   * `face`: a TF.js weights manifest (default: the one in `@vladmandic/face-api`);
   * `alexnet` / `onnx`: an ONNX model file. Required for `onnx`, and for `alexnet` unless
   * `randomWeights` is given.
   */
  weights?: string;
  /**
   * Tensor to tap. `face`: one of `FACE_LAYERS` (default 'descriptor'); `alexnet`: conv1…conv5,
   * pool1, pool2, pool5, fc6…fc8 or a tensor name (default 'pool5'); `onnx`: a tensor name
   * (default: the model's first output).
   */
  layer?: string;
  /** Input preprocessing. Default 'imagenet' (AlexNet, ONNX float models), 'uint8' for uint8 inputs; the face backbone takes only 'uint8'. */
  preprocess?: Preprocess;
  /**
   * `alexnet` only: use a randomly initialised AlexNet built with this seed instead of weights.
   * Its features are meaningless for accuracy; it exists to test and time the pipeline.
   */
  randomWeights?: number;
  /** Crop side for models whose input side is not fixed. Default 227. */
  side?: number;
}

/** A resolved backbone plus a fingerprint of the model (SHA-256 of its bytes) for cache keys. */
export interface ResolvedBackbone extends BackboneSpec {
  modelSha256: string;
}

/**
 * Resolves a backbone choice: reads or builds the model and finds the tensor, side and
 * preprocessing. Throws a `UserError` naming the flag for every inconsistent choice.
 *
 * @example
 * const spec = await resolveBackbone({ backbone: 'face' }); // 150 px, 128-d descriptor
 */
export async function resolveBackbone(choice: BackboneChoice): Promise<ResolvedBackbone> {
  const { backbone } = choice;
  if (choice.randomWeights !== undefined && backbone !== 'alexnet') {
    throw new UserError(`--random-weights applies only to --backbone alexnet, not ${backbone}`);
  }
  if (backbone === 'face') {
    if (choice.preprocess !== undefined && choice.preprocess !== 'uint8') {
      throw new UserError(
        `the face backbone normalises its input inside the model; --preprocess ${choice.preprocess} does not apply`,
      );
    }
    const layer = choice.layer ?? FACE_OUTPUT;
    if (!FACE_LAYERS.includes(layer))
      throw new InvalidOptionError('--layer', `one of ${FACE_LAYERS.join(', ')}`, layer);
    const model = await buildFaceNet(choice.weights === undefined ? {} : { manifest: choice.weights });
    return {
      name: 'face',
      model,
      layer,
      tensor: layer,
      side: FACE_SIDE,
      preprocess: 'uint8',
      modelSha256: sha256(model),
    };
  }
  if (backbone === 'expression') {
    if (choice.preprocess !== undefined && choice.preprocess !== 'uint8') {
      throw new UserError(
        `the expression backbone normalises its input inside the model; --preprocess ${choice.preprocess} does not apply`,
      );
    }
    const layer = choice.layer ?? 'features';
    if (!EXPRESSION_TAPS.includes(layer))
      throw new InvalidOptionError('--layer', `one of ${EXPRESSION_TAPS.join(', ')}`, layer);
    const model = await buildExpressionNet(choice.weights === undefined ? {} : { manifest: choice.weights });
    return {
      name: 'expression',
      source: choice.weights ?? 'face-api face_expression_model',
      model,
      layer,
      tensor: layer,
      side: EXPRESSION_SIDE,
      preprocess: 'uint8',
      modelSha256: sha256(model),
    };
  }
  if (backbone === 'agegender') {
    if (choice.preprocess !== undefined && choice.preprocess !== 'uint8') {
      throw new UserError(
        `the agegender backbone normalises its input inside the model; --preprocess ${choice.preprocess} does not apply`,
      );
    }
    const layer = choice.layer ?? 'features';
    if (!AGEGENDER_TAPS.includes(layer))
      throw new InvalidOptionError('--layer', `one of ${AGEGENDER_TAPS.join(', ')}`, layer);
    const model = await buildAgeGenderNet(choice.weights === undefined ? {} : { manifest: choice.weights });
    return {
      name: 'agegender',
      source: choice.weights ?? 'face-api age_gender_model',
      model,
      layer,
      tensor: layer,
      side: AGEGENDER_SIDE,
      preprocess: 'uint8',
      modelSha256: sha256(model),
    };
  }
  if (backbone === 'ssd') {
    if (choice.preprocess !== undefined && choice.preprocess !== 'uint8') {
      throw new UserError(
        `the ssd backbone normalises its input inside the model; --preprocess ${choice.preprocess} does not apply`,
      );
    }
    const layer = choice.layer ?? SSD_DEFAULT_LAYER;
    if (!SSD_TAPS.includes(layer))
      throw new InvalidOptionError('--layer', `one of ${SSD_TAPS.join(', ')}`, layer);
    const model = await buildSsdBackbone(choice.weights === undefined ? {} : { manifest: choice.weights });
    return {
      name: 'ssd',
      source: choice.weights ?? 'face-api ssd_mobilenetv1_model',
      model,
      layer,
      tensor: layer,
      side: SSD_BACKBONE_SIDE,
      preprocess: 'uint8',
      modelSha256: sha256(model),
    };
  }
  if (backbone === 'mobilenet' || backbone === 'inception') {
    if (choice.preprocess !== undefined && choice.preprocess !== 'uint8') {
      throw new UserError(
        `the ${backbone} backbone scales its input (pixels / 255) inside the model; --preprocess ${choice.preprocess} does not apply`,
      );
    }
    if (choice.weights !== undefined)
      throw new UserError(
        `--backbone ${backbone} reads its weights from the nsfwjs package; --weights does not apply`,
      );
    const net = NSFW_NETS[backbone];
    const layer = choice.layer ?? net.defaultLayer;
    const model = await buildNsfwNet(backbone);
    // Any Keras layer name is a tensor of the model; the documented ones are the usual choices.
    if (!describeModel(model, backbone).nodes.some((n) => n.outputs.includes(layer)))
      throw new InvalidOptionError('--layer', `a layer of ${backbone}, e.g. ${net.layers.join(', ')}`, layer);
    return {
      name: backbone,
      source: `nsfwjs ${net.folder}`,
      model,
      layer,
      tensor: layer,
      side: net.side,
      preprocess: 'uint8',
      modelSha256: sha256(model),
    };
  }
  if (backbone === 'alexnet') {
    let model: Uint8Array;
    if (choice.weights !== undefined) {
      if (choice.randomWeights !== undefined)
        throw new UserError('give either --weights or --random-weights, not both');
      model = await readModel(choice.weights);
    } else if (choice.randomWeights !== undefined) {
      // The 224 MB classifier is built only when a layer after pool5 is asked for.
      const classifier = /^(avgpool|fc[678])$/.test(choice.layer ?? '');
      model = buildAlexNet({ seed: choice.randomWeights, side: choice.side ?? ALEXNET_SIDE, classifier });
    } else {
      throw new UserError(
        `--backbone alexnet needs pretrained weights as an ONNX file (--weights alexnet.onnx); they cannot be downloaded here. ` +
          `See the ${ALEXNET_README_SECTION} for the one-line torchvision export (--random-weights SEED runs the pipeline on random weights, useless for accuracy).`,
      );
    }
    const source = choice.weights ?? `AlexNet with random weights (seed ${choice.randomWeights})`;
    const summary = describeModel(model, source);
    const layer = choice.layer ?? 'pool5';
    return finish('alexnet', source, model, summary, layer, resolveAlexnetLayer(summary, layer), choice);
  }
  if (backbone === 'onnx') {
    if (choice.weights === undefined) throw new UserError('--backbone onnx needs --weights FILE.onnx');
    const model = await readModel(choice.weights);
    const summary = describeModel(model, choice.weights);
    const layer = choice.layer ?? summary.outputs[0]?.name;
    if (layer === undefined)
      throw new UserError(`${choice.weights} declares no outputs; name a tensor with --layer`);
    return finish(choice.weights, choice.weights, model, summary, layer, layer, choice);
  }
  throw new InvalidOptionError('--backbone', BACKBONE_KINDS.join(' | '), backbone);
}

function finish(
  name: string,
  source: string,
  model: Uint8Array,
  summary: ModelSummary,
  layer: string,
  tensor: string,
  choice: BackboneChoice,
): ResolvedBackbone {
  const input = summary.inputs[0];
  if (summary.inputs.length !== 1 || !input) {
    throw new UserError(
      `${name}: expected one image input, found ${summary.inputs.map((i) => i.name).join(', ') || 'none'}`,
    );
  }
  const preprocess = choice.preprocess ?? (input.type === 'uint8' ? 'uint8' : 'imagenet');
  // NCHW float inputs keep the side at dims 2 and 3; uint8 inputs are NHWC crops.
  const declared = input.dims?.[preprocess === 'uint8' ? 1 : 2];
  const side = typeof declared === 'number' && declared > 0 ? declared : (choice.side ?? ALEXNET_SIDE);
  if (choice.side !== undefined && side !== choice.side) {
    throw new UserError(
      `${name}: its input '${input.name}' is fixed at ${side} px, not --side ${choice.side}`,
    );
  }
  return { name, source, model, layer, tensor, side, preprocess, modelSha256: sha256(model) };
}

async function readModel(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw new UserError(
      `cannot read the model ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
