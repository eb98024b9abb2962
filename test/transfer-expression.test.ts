/**
 * The expression backbone against `@vladmandic/face-api`'s own expression net (TF.js, WASM
 * backend; dev dependency only): the same weights, the same real 112 px face crops, the same
 * 256 features and 7 expression logits, |ORT − TF.js| ≤ 1e-4 + 1e-4 |TF.js| (as the align
 * tests hold the shared feature extractor).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { tapModel } from '../src/engine/model-surgery.js';
import { EngineSession } from '../src/engine/session.js';
import { resolveBackbone } from '../src/transfer/backbones.js';
import {
  buildExpressionNet,
  EXPRESSION_SIDE,
  expressionManifestPath,
} from '../src/transfer/expression-net.js';
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
  const manifestPath = expressionManifestPath();
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
  const bin = await readFile(manifestPath.replace('-weights_manifest.json', '.bin'));
  const weightMap = tf.io.decodeWeights(
    bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length),
    manifest[0].weights,
  );
  faceapi.nets.faceExpressionNet.loadFromWeightMap(weightMap);
});

after(() => {
  faceapi?.nets.faceExpressionNet.dispose();
});

test('expression net: features and logits equal face-api on real crops', async (t) => {
  const S = EXPRESSION_SIDE;
  const crops = await realCrops(S, 2);
  const bytes = await buildExpressionNet();
  const faces = Array.from({ length: crops.count }, (_, i) =>
    tf.tensor3d(crops.images.subarray(i * S * S * 3, (i + 1) * S * S * 3), [S, S, 3], 'int32'),
  );
  const netInput = await faceapi.toNetInput(faces);
  const features = faceapi.nets.faceExpressionNet.faceFeatureExtractor.forwardInput(netInput);
  const logits = faceapi.nets.faceExpressionNet.runNet(netInput);
  const expected: Record<string, Float32Array> = {
    features: await features.data(),
    expressions: await logits.data(),
  };
  for (const x of [...faces, features, logits]) x.dispose();
  const session = await EngineSession.create(tapModel(bytes, { outputs: ['features', 'expressions'] }), {
    threads: 2,
  });
  try {
    const out = await session.run({ image: { data: crops.images, dims: [crops.count, S, S, 3] } });
    for (const name of ['features', 'expressions']) {
      const ours = out[name]!.data as Float32Array;
      const ref = expected[name]!;
      assert.equal(ours.length, ref.length, name);
      let worst = 0;
      for (let i = 0; i < ref.length; i++) {
        const diff = Math.abs(ours[i]! - ref[i]!);
        assert.ok(
          diff <= 1e-4 + 1e-4 * Math.abs(ref[i]!),
          `${name}[${i}]: ours ${ours[i]}, face-api ${ref[i]}`,
        );
        worst = Math.max(worst, diff);
      }
      assert.ok(
        ref.some((v) => Math.abs(v) > 0.01),
        `${name}: face-api's values are all near 0`,
      );
      t.diagnostic(`${name}: max |diff| ${worst.toExponential(2)} over ${crops.count} crops`);
    }
  } finally {
    await session.dispose();
  }
});

test('resolveBackbone: expression taps its documented layers only', async () => {
  const spec = await resolveBackbone({ backbone: 'expression', layer: 'dense2' });
  assert.equal(spec.side, 112);
  assert.equal(spec.tensor, 'dense2');
  await assert.rejects(resolveBackbone({ backbone: 'expression', layer: 'pool9' }), /dense0.*--layer.*pool9/);
});
