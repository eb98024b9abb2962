/**
 * The age/gender backbone against `@vladmandic/face-api`'s own age/gender net (TF.js, WASM
 * backend; dev dependency only): the same weights, the same real 112 px face crops, the same
 * TinyXception output, 512 pooled features, age and gender logits,
 * |ORT − TF.js| ≤ 1e-4 + 1e-4 |TF.js|.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { faceApiModelManifest } from '../src/detect/detector-weights.js';
import { tapModel } from '../src/engine/model-surgery.js';
import { EngineSession } from '../src/engine/session.js';
import { AGEGENDER_SIDE, buildAgeGenderNet } from '../src/transfer/agegender-net.js';
import { BACKBONE_LAYERS, resolveBackbone } from '../src/transfer/backbones.js';
import { realCrops } from './helpers/real-crops.js';

// biome-ignore lint/suspicious/noExplicitAny: face-api's CommonJS bundle is untyped here
type Any = any;

const require = createRequire(import.meta.url);
let faceapi: Any;
let tf: Any;

before(async () => {
  faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  tf = faceapi.tf;
  await tf.setBackend('wasm');
  await tf.ready();
  const manifestPath = faceApiModelManifest('age_gender_model');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
  const bin = await readFile(manifestPath.replace('-weights_manifest.json', '.bin'));
  const weightMap = tf.io.decodeWeights(
    bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length),
    manifest[0].weights,
  );
  faceapi.nets.ageGenderNet.loadFromWeightMap(weightMap);
});

after(() => {
  faceapi?.nets.ageGenderNet.dispose();
});

test('age/gender net: TinyXception output, features, age and gender equal face-api on real crops', async () => {
  const S = AGEGENDER_SIDE;
  const crops = await realCrops(S, 2);
  const faces = Array.from({ length: crops.count }, (_, i) =>
    tf.tensor3d(crops.images.subarray(i * S * S * 3, (i + 1) * S * S * 3), [S, S, 3], 'int32'),
  );
  const netInput = await faceapi.toNetInput(faces);
  const bottleneck = faceapi.nets.ageGenderNet.faceFeatureExtractor.forwardInput(netInput);
  const nchw = tf.transpose(bottleneck, [0, 3, 1, 2]);
  const pooled = tf.avgPool(bottleneck, [7, 7], [2, 2], 'valid');
  const { age, gender } = faceapi.nets.ageGenderNet.runNet(netInput);
  const expected: Record<string, Float32Array> = {
    exit: await nchw.data(),
    features: await pooled.data(),
    age: await age.data(),
    gender: await gender.data(),
  };
  for (const x of [...faces, bottleneck, nchw, pooled, age, gender]) x.dispose();
  const names = Object.keys(expected);
  const session = await EngineSession.create(tapModel(await buildAgeGenderNet(), { outputs: names }), {
    threads: 2,
  });
  try {
    const out = await session.run({ image: { data: crops.images, dims: [crops.count, S, S, 3] } });
    for (const name of names) {
      const ours = out[name]!.data as Float32Array;
      const ref = expected[name]!;
      assert.equal(ours.length, ref.length, name);
      for (let i = 0; i < ref.length; i++) {
        assert.ok(
          Math.abs(ours[i]! - ref[i]!) <= 1e-4 + 1e-4 * Math.abs(ref[i]!),
          `${name}[${i}]: ours ${ours[i]}, face-api ${ref[i]}`,
        );
      }
    }
    // The ages differ between actors: a constant output would pass the check above only by chance.
    const ages = out.age!.data as Float32Array;
    assert.ok(Math.max(...ages) - Math.min(...ages) > 1, `ages ${[...ages].join(', ')}`);
  } finally {
    await session.dispose();
  }
});

test('resolveBackbone: agegender takes its weights from face-api, layers are checked', async () => {
  const spec = await resolveBackbone({ backbone: 'agegender' });
  assert.equal(spec.side, AGEGENDER_SIDE);
  assert.equal(spec.tensor, 'features');
  assert.ok(BACKBONE_LAYERS.agegender.includes('main1'));
  await assert.rejects(resolveBackbone({ backbone: 'agegender', layer: 'nope' }), /--layer/);
  await assert.rejects(resolveBackbone({ backbone: 'agegender', preprocess: 'imagenet' }), /normalises/);
});
