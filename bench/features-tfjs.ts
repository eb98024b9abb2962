/**
 * The backbones trained on other tasks, facelab (ONNX Runtime) against each package's own
 * TF.js model on the WASM backend, same crops, same run, interleaved: face-api's SSD detector
 * body, age/gender and expression nets, and nsfwjs's MobileNetV2 and InceptionV3 (layers
 * models). Both sides are timed on the whole network up to facelab's default layer,
 * preprocessing included, model loading not; TF.js runs batches of 32 as facelab does (its own
 * APIs take one image at a time, which would only make it slower).
 *
 * face-api runs its SSD body only inside `locateFaces` at 512 px and does not export it, so the
 * TF.js side of `ssd` is face-api's own `mobileNetV1` code (`src/ssdMobilenetv1/mobileNetV1.ts`,
 * the same TF.js ops on the package's loaded parameters) run on the 150 px crops up to conv11,
 * then the 2 × 2 average of `conv11_grid`; its output is checked against facelab's before timing.
 * Used by `bench/features.ts`; runnable alone on the first COUNT crops:
 *
 *   node --import tsx bench/features-tfjs.ts [COUNT]
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { faceApiModelManifest } from '../src/detect/detector-weights.js';
import { Backbone } from '../src/transfer/backbone.js';
import { type BackboneKind, resolveBackbone } from '../src/transfer/backbones.js';
import { expressionManifestPath } from '../src/transfer/expression-net.js';
import { NSFW_NETS, nsfwModelsDir } from '../src/transfer/nsfw-net.js';

// biome-ignore lint/suspicious/noExplicitAny: TF.js is untyped here (dev dependency, CommonJS)
type Any = any;

/** One backbone's measurement. */
export interface TfjsComparison {
  backbone: BackboneKind;
  layer: string;
  images: number;
  /** Images per second, best of `runs`. */
  facelab: number;
  tfjs: number;
  /** facelab / TF.js (aim ≥ 1). */
  ratio: number;
}

/** The backbones compared with their package's TF.js model. */
export type TfjsBackbone = 'ssd' | 'agegender' | 'expression' | 'mobilenet' | 'inception';

/** Loads one of face-api's nets from the package's weights. */
async function loadFaceApiNet(faceapi: Any, net: Any, model: string): Promise<void> {
  const path = faceApiModelManifest(model);
  const manifest = JSON.parse(await readFile(path, 'utf8'));
  const bin = await readFile(path.replace('-weights_manifest.json', '.bin'));
  net.loadFromWeightMap(
    faceapi.tf.io.decodeWeights(
      bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length),
      manifest[0].weights,
    ),
  );
}

/**
 * face-api's `mobileNetV1` (its SSD body) up to conv11, op for op, on the loaded parameters,
 * then conv11_grid's 2 × 2 average (NHWC; facelab's is NCHW).
 */
function ssdBodyToConv11Grid(tf: Any, params: Any, x: Any): Any {
  const pointwise = (t: Any, p: Any, strides: [number, number]) =>
    tf.clipByValue(tf.add(tf.conv2d(t, p.filters, strides, 'same'), p.batch_norm_offset), 0, 6);
  const depthwise = (t: Any, p: Any, strides: [number, number]) =>
    tf.clipByValue(
      tf.batchNorm(
        tf.depthwiseConv2d(t, p.filters, strides, 'same'),
        p.batch_norm_mean,
        p.batch_norm_variance,
        p.batch_norm_offset,
        p.batch_norm_scale,
        0.0010000000474974513,
      ),
      0,
      6,
    );
  return tf.tidy(() => {
    let out = pointwise(tf.sub(tf.div(x, 127.5), 1), params.conv_0, [2, 2]);
    for (let k = 1; k <= 11; k++) {
      const strides: [number, number] = [2, 4, 6, 12].includes(k) ? [2, 2] : [1, 1];
      out = depthwise(out, params[`conv_${k}`].depthwise_conv, strides);
      out = pointwise(out, params[`conv_${k}`].pointwise_conv, [1, 1]);
    }
    return tf.avgPool(out, [2, 2], [2, 2], 'valid');
  });
}

/** The package's TF.js model as a function from a [n, S, S, 3] 0–255 float tensor to the default layer. */
async function packageForward(tf: Any, backbone: TfjsBackbone): Promise<(x: Any) => Any | Promise<Any>> {
  const require = createRequire(import.meta.url);
  if (backbone === 'ssd') {
    const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
    await loadFaceApiNet(faceapi, faceapi.nets.ssdMobilenetv1, 'ssd_mobilenetv1_model');
    const params = faceapi.nets.ssdMobilenetv1.params.mobilenetv1;
    return (x) => ssdBodyToConv11Grid(faceapi.tf, params, x);
  }
  if (backbone === 'agegender') {
    const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
    await loadFaceApiNet(faceapi, faceapi.nets.ageGenderNet, 'age_gender_model');
    // face-api's own path to the 512 pooled features (AgeGenderNet.runNet without its heads).
    return async (x) => {
      const faces = faceapi.tf.unstack(x);
      const netInput = await faceapi.toNetInput(faces);
      const y = faceapi.tf.tidy(() =>
        faceapi.tf.avgPool(
          faceapi.nets.ageGenderNet.faceFeatureExtractor.forwardInput(netInput),
          [7, 7],
          [2, 2],
          'valid',
        ),
      );
      faceapi.tf.dispose(faces);
      return y;
    };
  }
  if (backbone === 'expression') {
    const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
    const path = expressionManifestPath();
    const manifest = JSON.parse(await readFile(path, 'utf8'));
    const bin = await readFile(path.replace('-weights_manifest.json', '.bin'));
    faceapi.nets.faceExpressionNet.loadFromWeightMap(
      faceapi.tf.io.decodeWeights(
        bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length),
        manifest[0].weights,
      ),
    );
    // face-api takes a batch as an array of single images.
    return async (x) => {
      const faces = faceapi.tf.unstack(x);
      const y = await faceapi.nets.faceExpressionNet.faceFeatureExtractor.forward(faces);
      faceapi.tf.dispose(faces);
      return y;
    };
  }
  const { folder, defaultLayer } = NSFW_NETS[backbone];
  const dir = join(nsfwModelsDir(), folder);
  const model = require(join(dir, 'model.min.js'));
  const group = model.weightsManifest[0];
  const data = Buffer.concat(
    group.paths.map((p: string) => Buffer.from(require(join(dir, `${p}.min.js`)), 'base64')),
  );
  const full = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: model.modelTopology,
      weightSpecs: group.weights,
      weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.length),
    }),
  );
  const sub = tf.model({ inputs: full.inputs, outputs: full.getLayer(defaultLayer).output });
  return (x) => tf.tidy(() => sub.predict(x.div(255)));
}

/** Every backbone `compareWithTfjs` times by default. */
export const TFJS_BACKBONES: readonly TfjsBackbone[] = [
  'ssd',
  'agegender',
  'expression',
  'mobilenet',
  'inception',
];

/**
 * Times each backbone on `crops(side)` (count crops of that side), `runs` interleaved runs each.
 */
export async function compareWithTfjs(
  crops: (side: number) => Promise<{ images: Uint8Array; count: number }>,
  options: { runs?: number; threads?: number; backbones?: TfjsBackbone[] } = {},
): Promise<TfjsComparison[]> {
  const require = createRequire(import.meta.url);
  const runs = options.runs ?? 3;
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  // face-api bundles its own TF.js; the nsfwjs models run on the same one (WASM backend).
  const tf = faceapi.tf;
  await tf.setBackend('wasm');
  await tf.ready();
  const results: TfjsComparison[] = [];
  for (const backbone of options.backbones ?? TFJS_BACKBONES) {
    const spec = await resolveBackbone({ backbone });
    const { images, count } = await crops(spec.side);
    const ours = await Backbone.load(spec, { threads: options.threads ?? 2 });
    const theirs = await packageForward(tf, backbone);
    const S = spec.side;
    const runTfjs = async (): Promise<void> => {
      for (let start = 0; start < count; start += 32) {
        const n = Math.min(32, count - start);
        const x = tf.tensor4d(
          Float32Array.from(images.subarray(start * S * S * 3, (start + n) * S * S * 3)),
          [n, S, S, 3],
        );
        const y = await theirs(x);
        await y.data();
        tf.dispose([x, y]);
      }
    };
    const times = { facelab: [] as number[], tfjs: [] as number[] };
    try {
      const warm = Math.min(count, 8);
      const first = await ours.extract(images.subarray(0, warm * S * S * 3), warm); // warm-up
      if (backbone === 'ssd' || backbone === 'agegender') await checkSame(tf, theirs, images, warm, S, first);
      for (let run = 0; run < runs; run++) {
        let t = performance.now();
        await ours.extract(images, count);
        times.facelab.push((performance.now() - t) / 1000);
        t = performance.now();
        await runTfjs();
        times.tfjs.push((performance.now() - t) / 1000);
      }
    } finally {
      await ours.dispose();
    }
    const rate = (s: number[]): number => Math.round((count / Math.min(...s)) * 10) / 10;
    const facelab = rate(times.facelab);
    const tfjs = rate(times.tfjs);
    results.push({
      backbone,
      layer: spec.layer,
      images: count,
      facelab,
      tfjs,
      ratio: Math.round((facelab / tfjs) * 100) / 100,
    });
  }
  return results;
}

/**
 * Throws unless the TF.js side gives facelab's features (|diff| ≤ 1e-3 + 1e-3 |ref|, after
 * NHWC → NCHW): the timing compares the same network only if it computes the same thing.
 */
async function checkSame(
  tf: Any,
  forward: (x: Any) => Any | Promise<Any>,
  images: Uint8Array,
  n: number,
  S: number,
  ours: Float32Array,
): Promise<void> {
  const x = tf.tensor4d(Float32Array.from(images.subarray(0, n * S * S * 3)), [n, S, S, 3]);
  const y = await forward(x);
  const nchw = tf.transpose(y, [0, 3, 1, 2]);
  const ref = (await nchw.data()) as Float32Array;
  tf.dispose([x, y, nchw]);
  if (ref.length !== ours.length) throw new Error(`TF.js gives ${ref.length} values, facelab ${ours.length}`);
  let worst = 0;
  for (let i = 0; i < ref.length; i++)
    worst = Math.max(worst, Math.abs(ours[i]! - ref[i]!) / (1e-3 + 1e-3 * Math.abs(ref[i]!)));
  if (worst > 1)
    throw new Error(`the TF.js side differs from facelab's features (${worst.toFixed(2)}× the tolerance)`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { realCrops } = await import('../test/helpers/real-crops.js');
  const perActor = Math.max(1, Math.ceil(Number(process.argv[2] ?? 48) / 6));
  const results = await compareWithTfjs((side) => realCrops(side, perActor), { runs: 2 });
  for (const r of results) {
    console.log(
      `${r.backbone.padEnd(10)} ${r.layer.padEnd(22)} facelab ${String(r.facelab).padStart(6)} images/s, TF.js WASM ${String(r.tfjs).padStart(6)} images/s: ${r.ratio}× (${r.images} crops, aim ≥ 1)`,
    );
  }
  for (const r of results) console.log(JSON.stringify({ bench: 'features-tfjs', ...r }));
}
