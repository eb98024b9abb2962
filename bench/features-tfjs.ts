/**
 * The backbones trained on other tasks, facelab (ONNX Runtime) against each package's own
 * TF.js model on the WASM backend, same crops, same run, interleaved: the expression net
 * (face-api) and nsfwjs's MobileNetV2 and InceptionV3 (layers models). Both sides are timed on
 * the whole network up to facelab's default layer, preprocessing included, model loading not;
 * TF.js runs batches of 32 as facelab does (its own APIs take one image at a time, which would
 * only make it slower). Used by `bench/features.ts`; runnable alone on the first COUNT crops:
 *
 *   node --import tsx bench/features-tfjs.ts [COUNT]
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
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

/** The package's TF.js model as a function from a [n, S, S, 3] 0–255 float tensor to the default layer. */
async function packageForward(
  tf: Any,
  backbone: 'expression' | 'mobilenet' | 'inception',
): Promise<(x: Any) => Any | Promise<Any>> {
  const require = createRequire(import.meta.url);
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

/**
 * Times each backbone on `crops(side)` (count crops of that side), `runs` interleaved runs each.
 */
export async function compareWithTfjs(
  crops: (side: number) => Promise<{ images: Uint8Array; count: number }>,
  options: { runs?: number; threads?: number; backbones?: ('expression' | 'mobilenet' | 'inception')[] } = {},
): Promise<TfjsComparison[]> {
  const require = createRequire(import.meta.url);
  const runs = options.runs ?? 3;
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  // face-api bundles its own TF.js; the nsfwjs models run on the same one (WASM backend).
  const tf = faceapi.tf;
  await tf.setBackend('wasm');
  await tf.ready();
  const results: TfjsComparison[] = [];
  for (const backbone of options.backbones ?? ['expression', 'mobilenet', 'inception']) {
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
      await ours.extract(images.subarray(0, Math.min(count, 8) * S * S * 3), Math.min(count, 8)); // warm-up
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
