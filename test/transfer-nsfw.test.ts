/**
 * The ImageNet-lineage backbones (MobileNetV2, InceptionV3 of the `nsfwjs` package) rebuilt on
 * ONNX Runtime against the package's own TF.js layers models (WASM backend; TF.js is a dev
 * dependency only) on real face crops, at every documented layer and the five-class output:
 * |ORT − TF.js| ≤ 5e-4 × max(1, largest |TF.js| value of that layer) (the ops differ only in
 * float32 summation order, which 17 inverted-residual blocks accumulate; measured: ≤ 1.4e-4 of
 * the largest value, at out_relu).
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tapModel } from '../src/engine/model-surgery.js';
import { EngineSession } from '../src/engine/session.js';
import { UserError } from '../src/errors.js';
import { resolveBackbone } from '../src/transfer/backbones.js';
import { buildNsfwNet, NSFW_NETS, type NsfwNetName, nsfwModelsDir } from '../src/transfer/nsfw-net.js';
import { realCrops } from './helpers/real-crops.js';

// biome-ignore lint/suspicious/noExplicitAny: TF.js is untyped here (dev dependency, CommonJS)
type Any = any;

const require = createRequire(import.meta.url);
let tf: Any;

before(async () => {
  tf = require('@tensorflow/tfjs');
  require('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  await tf.ready();
});

after(() => {
  tf?.disposeVariables();
});

/** nsfwjs's own model, loaded the way nsfwjs loads it (topology + base64 shards from the package). */
async function packageModel(net: NsfwNetName): Promise<Any> {
  const folder = join(nsfwModelsDir(), NSFW_NETS[net].folder);
  const model = require(join(folder, 'model.min.js'));
  const group = model.weightsManifest[0];
  const data = Buffer.concat(
    group.paths.map((p: string) => Buffer.from(require(join(folder, `${p}.min.js`)), 'base64')),
  );
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: model.modelTopology,
      weightSpecs: group.weights,
      weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.length),
    }),
  );
}

for (const net of ['mobilenet', 'inception'] as const) {
  test(`${net}: every documented layer and the output equal nsfwjs's TF.js model on real crops`, async (t) => {
    const { side, layers } = NSFW_NETS[net];
    const crops = await realCrops(side, 1);
    const reference = await packageModel(net);
    const bytes = await buildNsfwNet(net);
    for (const layer of [...layers, 'dense_3']) {
      const sub = tf.model({ inputs: reference.inputs, outputs: reference.getLayer(layer).output });
      // nsfwjs's own preprocessing: pixels / 255.
      const x = tf.tensor4d(Float32Array.from(crops.images), [crops.count, side, side, 3]).div(255);
      const expected = (await sub.predict(x).data()) as Float32Array;
      const shape = sub.outputs[0].shape as (number | null)[];
      x.dispose();
      const session = await EngineSession.create(tapModel(bytes, { outputs: [layer] }), { threads: 2 });
      let ours: Float32Array;
      try {
        const out = await session.run({ image: { data: crops.images, dims: [crops.count, side, side, 3] } }, [
          layer,
        ]);
        ours = out[layer]!.data as Float32Array;
      } finally {
        await session.dispose();
      }
      assert.equal(ours.length, expected.length, `${layer}: size`);
      // ORT is NCHW, TF.js NHWC.
      const [h, w, c] = (shape.length === 4 ? shape.slice(1) : [1, 1, shape[1]]) as [number, number, number];
      let worst = 0;
      let scale = 0;
      let at = 0;
      for (let n = 0; n < crops.count; n++)
        for (let yy = 0; yy < h; yy++)
          for (let xx = 0; xx < w; xx++)
            for (let k = 0; k < c; k++) {
              const e = expected[((n * h + yy) * w + xx) * c + k]!;
              const o = ours[((n * c + k) * h + yy) * w + xx]!;
              scale = Math.max(scale, Math.abs(e));
              if (Math.abs(e - o) > worst) [worst, at] = [Math.abs(e - o), ((n * c + k) * h + yy) * w + xx];
            }
      t.diagnostic(
        `${layer} [${shape.slice(1)}]: max |diff| ${worst.toExponential(2)} (largest value ${scale.toFixed(2)})`,
      );
      assert.ok(worst <= 5e-4 * Math.max(1, scale), `${layer}: value ${at} differs by ${worst}`);
      assert.ok(scale > 0, `${layer}: all zero`);
    }
    reference.dispose();
  });
}

test('resolveBackbone: nsfwjs backbones take their weights from the package, layers are checked', async () => {
  const spec = await resolveBackbone({ backbone: 'mobilenet' });
  assert.equal(spec.side, 224);
  assert.equal(spec.tensor, 'average_pooling2d_1');
  assert.equal(spec.preprocess, 'uint8');
  await assert.rejects(
    resolveBackbone({ backbone: 'mobilenet', layer: 'no_such_layer' }),
    (e: unknown) => e instanceof UserError && /block_9_add.*--layer.*no_such_layer/.test(e.message),
  );
  await assert.rejects(
    resolveBackbone({ backbone: 'mobilenet', weights: 'x.onnx' }),
    /--weights does not apply/,
  );
  await assert.rejects(
    resolveBackbone({ backbone: 'inception', preprocess: 'imagenet' }),
    /inside the model/,
  );
});
