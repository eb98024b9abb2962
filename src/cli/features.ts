/**
 * `facelab features --data DIR --backbone face|alexnet|onnx [--weights FILE] [--layer NAME]
 * [--preprocess seed|imagenet|caffe|uint8] --out FILE.npz [--json]`: runs every prepared crop
 * through a backbone and writes its features per part of the split. With `--json` the last
 * stdout line is `{"backbone":…,"layer":…,"features":dim,"images":N,"seconds":…,"images_per_s":…}`.
 */
import { InvalidOptionError } from '../errors.js';
import {
  BACKBONE_KINDS,
  BACKBONE_LAYERS,
  BACKBONE_TRAINED_ON,
  type BackboneKind,
} from '../transfer/backbones.js';
import { computeFeatures } from '../transfer/compute-features.js';
import { PREPROCESS_MODES, type Preprocess } from '../transfer/preprocess.js';
import {
  type FlagSpec,
  intFlag,
  optionalString,
  type ParsedArgs,
  parseCommand,
  requireString,
} from './args.js';
import type { Command } from './command.js';
import { printJson, say } from './output.js';
import { progressPrinter } from './progress-bar.js';

/** The `--align` flag of `features` and `transfer`. */
export const ALIGN_FLAG: FlagSpec = {
  type: 'string',
  value: 'on|off',
  help: 'feed the backbone the aligned crops (eyes level, fixed place and scale) or the box crops',
  default: 'on for the face backbone when the dataset has aligned crops, else off',
};

const flags: Record<string, FlagSpec> = {
  align: ALIGN_FLAG,
  data: { type: 'string', help: 'folder written by facelab prepare' },
  backbone: {
    type: 'string',
    help: `${BACKBONE_KINDS.join(', ')} (what each was trained on: see facelab transfer --help)`,
  },
  weights: {
    type: 'string',
    help: 'alexnet/onnx: the .onnx file; face: a TF.js weights manifest',
    default: "face: @vladmandic/face-api's",
  },
  layer: {
    type: 'string',
    help: 'tensor to tap: face descriptor|avgpool|conv256_2|…; alexnet conv1…conv5|pool1|pool2|pool5|fc6|fc7|fc8; onnx a tensor name',
    default: 'descriptor / pool5 / the first output',
  },
  preprocess: {
    type: 'string',
    help: `input preprocessing: ${PREPROCESS_MODES.join(' | ')}`,
    default: 'imagenet (face: built in)',
  },
  'random-weights': {
    type: 'string',
    help: 'alexnet only: random AlexNet with this seed — tests the pipeline, MEANINGLESS for accuracy',
  },
  side: { type: 'string', help: 'crop side for models whose input side is not fixed', default: '227' },
  out: {
    type: 'string',
    value: 'FILE.npz',
    help: 'the features .npz to write (train_x, train_y, val_x, val_y, test_x, test_y)',
  },
  batch: { type: 'string', help: 'images per ONNX Runtime run', default: '32' },
  threads: { type: 'string', help: 'ONNX Runtime threads', default: 'one per core' },
};

const USAGE = `--data DIR --backbone ${BACKBONE_KINDS.join('|')} [--weights FILE] [--layer NAME] [--preprocess MODE] --out FILE.npz [--json]`;
const DESCRIPTION = `Runs every crop of a prepared dataset through an image backbone on ONNX Runtime, taps one layer,
and writes its features (flattened, float32) with the labels, split as prepared.
  face        face-api's face-recognition ResNet (128-d descriptor, trained on face IDENTITY)
  expression  face-api's expression net (dense blocks dense0…dense3, features, expressions)
  agegender   face-api's age/gender TinyXception (entry, reduction0/1, main0/1, exit_reduction, exit, features, age, gender)
  ssd         face-api's SSD-MobileNetV1 face DETECTOR (trained to find faces): conv0…conv13, convK_pool, convK_grid
  mobilenet   nsfwjs's MobileNetV2 (ImageNet-initialised, 5 photo categories): block_N_add, out_relu, average_pooling2d_1, dense_1, dense_2
  inception   nsfwjs's InceptionV3 (same lineage and task): mixed0…mixed10, average_pooling2d_10, dense_1, dense_2
  alexnet  an AlexNet .onnx exported from torchvision (see the README); layers named by torchvision's layout
  onnx     any ONNX image model; --layer names a tensor
All but alexnet/onnx are rebuilt offline from their npm packages' weights and run on ONNX Runtime.
Crops are resized in memory when the backbone's side (face 150, expression 112, agegender 112, ssd 150, mobilenet 224,
inception 299, AlexNet 227) was not prepared.`;

/** The `features` command. */
export const command: Command = {
  name: 'features',
  summary: 'extract backbone features (face, AlexNet, any ONNX model) of a prepared dataset',
  async run(argv: string[]): Promise<number> {
    const parsed = parseCommand({ name: 'features', usage: USAGE, description: DESCRIPTION, flags }, argv);
    if (!parsed) return 0;
    const { values, json } = parsed;
    const dataDir = requireString(values, 'data');
    const out = requireString(values, 'out');
    const backbone = backboneFlag(values);
    const preprocess = preprocessFlag(values);
    const weights = optionalString(values, 'weights');
    const layer = optionalString(values, 'layer');
    const randomWeights = randomWeightsFlag(values);
    const result = await computeFeatures({
      dataDir,
      out,
      backbone,
      ...(weights !== undefined ? { weights } : {}),
      ...(layer !== undefined ? { layer } : {}),
      ...(preprocess !== undefined ? { preprocess } : {}),
      ...(randomWeights !== undefined ? { randomWeights } : {}),
      ...(values.side !== undefined ? { side: intFlag(values, 'side', 227, 16, 4096) } : {}),
      ...alignOption(values),
      batchSize: intFlag(values, 'batch', 32, 1, 4096),
      ...(values.threads !== undefined ? { threads: intFlag(values, 'threads', 1, 1, 1024) } : {}),
      onProgress: progressPrinter(),
    });
    const seconds = Math.round(result.seconds * 100) / 100;
    const imagesPerSecond = result.seconds > 0 ? Math.round((result.images / result.seconds) * 10) / 10 : 0;
    const { set } = result;
    say(`backbone   ${result.backbone}  layer ${result.layer}  (${result.side} px crops)`, json);
    say(`features   ${set.dim} per image`, json);
    say(
      `images     ${result.images}  (train ${set.train.count}, val ${set.val.count}, test ${set.test.count})`,
      json,
    );
    say(`speed      ${imagesPerSecond} images/s  (${seconds} s)`, json);
    say(`wrote      ${out}`, json);
    if (json) {
      printJson({
        backbone: result.backbone,
        layer: result.layer,
        features: set.dim,
        images: result.images,
        seconds,
        images_per_s: imagesPerSecond,
        ...(randomWeights !== undefined ? { random_weights: true } : {}),
      });
    }
    return 0;
  },
};

/** `{ align }` from `--align on|off`, or nothing when not given (the backbone's default). */
export function alignOption(values: ParsedArgs['values']): { align?: boolean } {
  const align = alignFlag(values);
  return align === undefined ? {} : { align };
}

/** `--align on|off` (undefined when not given: the backbone's default). */
export function alignFlag(values: ParsedArgs['values']): boolean | undefined {
  const raw = optionalString(values, 'align');
  if (raw === undefined) return undefined;
  if (raw !== 'on' && raw !== 'off') throw new InvalidOptionError('--align', 'on | off', raw);
  return raw === 'on';
}

/** `--backbone`, validated. */
export function backboneFlag(values: ParsedArgs['values']): BackboneKind {
  const raw = requireString(values, 'backbone');
  if (!(BACKBONE_KINDS as readonly string[]).includes(raw))
    throw new InvalidOptionError('--backbone', BACKBONE_KINDS.join(' | '), raw);
  return raw as BackboneKind;
}

/**
 * Help lines for `kinds`: each backbone, what it was trained on and its `--layers all` tap
 * points (shallow to deep), as `transfer --help` and `run --help` print them.
 */
export function backboneHelp(kinds: readonly BackboneKind[]): string {
  return kinds
    .map((k) => {
      const layers = BACKBONE_LAYERS[k];
      return `  ${k.padEnd(9)} ${BACKBONE_TRAINED_ON[k]}${layers.length ? `\n            layers: ${layers.join(' ')}` : ''}`;
    })
    .join('\n');
}

/** `--layers all|L1,L2,…` as 'all' or the list of names; undefined when not given. */
export function layersFlag(values: ParsedArgs['values']): 'all' | string[] | undefined {
  const raw = optionalString(values, 'layers');
  if (raw === undefined) return undefined;
  if (raw === 'all') return 'all';
  const layers = raw
    .split(',')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (layers.length === 0)
    throw new InvalidOptionError('--layers', "'all' or a comma-separated list of layer names", raw);
  return layers;
}

/** `--preprocess`, validated; undefined when not given. */
export function preprocessFlag(values: ParsedArgs['values']): Preprocess | undefined {
  const raw = optionalString(values, 'preprocess');
  if (raw === undefined) return undefined;
  if (!(PREPROCESS_MODES as readonly string[]).includes(raw))
    throw new InvalidOptionError('--preprocess', PREPROCESS_MODES.join(' | '), raw);
  return raw as Preprocess;
}

/** `--random-weights SEED`; prints the loud warning that its features mean nothing for accuracy. */
export function randomWeightsFlag(values: ParsedArgs['values']): number | undefined {
  if (values['random-weights'] === undefined) return undefined;
  const seed = intFlag(values, 'random-weights', 0, 0, 0xffffffff);
  process.stderr.write(
    'WARNING: --random-weights uses an AlexNet with RANDOM weights: its features are MEANINGLESS for accuracy (pipeline test and timing only)\n',
  );
  return seed;
}
