/**
 * The offline face backbone against `@vladmandic/face-api` itself: the same weights, the same
 * real faces, the same 128-d descriptors. The package runs on TF.js's WASM backend (dev
 * dependencies only); facelab's rebuild runs on ONNX Runtime.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EngineSession } from '../src/engine/session.js';
import { UserError } from '../src/errors.js';
import { Backbone } from '../src/transfer/backbone.js';
import { resolveBackbone } from '../src/transfer/backbones.js';
import { buildFaceNet, FACE_SIDE, faceApiManifestPath } from '../src/transfer/face-net.js';
import { readTfjsWeights } from '../src/transfer/tfjs-weights.js';
import { realCrops } from './helpers/real-crops.js';

// biome-ignore lint/suspicious/noExplicitAny: face-api's CommonJS bundle is untyped here
type Any = any;

const require = createRequire(import.meta.url);
let faceapi: Any;
let tf: Any;
let crops: Awaited<ReturnType<typeof realCrops>>;
let model: Uint8Array;
let tmp: string;

before(async () => {
  faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  tf = faceapi.tf;
  await tf.setBackend('wasm');
  await tf.ready();
  const manifestPath = faceApiManifestPath();
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
  const bin = await readFile(manifestPath.replace('-weights_manifest.json', '.bin'));
  // What face-api's own loaders do after fetching: decode the manifest's weights, build params.
  const weightMap = tf.io.decodeWeights(
    bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length),
    manifest[0].weights,
  );
  faceapi.nets.faceRecognitionNet.loadFromWeightMap(weightMap);
  crops = await realCrops(FACE_SIDE, 2);
  model = await buildFaceNet();
  tmp = await mkdtemp(join(tmpdir(), 'facelab-face-'));
});

after(async () => {
  faceapi?.nets.faceRecognitionNet.dispose();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function packageDescriptor(i: number): Promise<Float32Array> {
  const bytes = FACE_SIDE * FACE_SIDE * 3;
  const image = tf.tensor3d(
    crops.images.subarray(i * bytes, (i + 1) * bytes),
    [FACE_SIDE, FACE_SIDE, 3],
    'int32',
  );
  try {
    return await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(image);
  } finally {
    image.dispose();
  }
}

test('readTfjsWeights decodes every face-api weight bit for bit as tf.io.decodeWeights', async () => {
  const ours = await readTfjsWeights(faceApiManifestPath());
  const params = faceapi.nets.faceRecognitionNet.getParamList() as { path: string; tensor: Any }[];
  assert.equal(ours.size, 117);
  let compared = 0;
  for (const { path, tensor } of params) {
    // face-api's parameter paths are the manifest's weight names.
    const name = path;
    const weight = ours.get(name);
    assert.ok(weight, `no decoded weight named ${name}`);
    assert.deepEqual(weight.shape, tensor.shape, `shape of ${name}`);
    const expected: Float32Array = tensor.dataSync();
    for (let k = 0; k < expected.length; k++) {
      if (weight.data[k] !== expected[k]) assert.fail(`${name}[${k}]: ${weight.data[k]} !== ${expected[k]}`);
    }
    compared++;
  }
  assert.equal(compared, 117);
});

test("the ONNX rebuild gives face-api's descriptors on real faces (max |Δ| ≤ 1e-5, cosine ≥ 0.99999)", async () => {
  const session = await EngineSession.create(model, { threads: 2 });
  try {
    const { count } = crops;
    const result = await session.run({
      image: { data: crops.images, dims: [count, FACE_SIDE, FACE_SIDE, 3] },
    });
    const ours = result.descriptor!.data as Float32Array;
    assert.equal(ours.length, count * 128);
    for (let i = 0; i < count; i++) {
      const expected = await packageDescriptor(i);
      let dot = 0;
      let na = 0;
      let nb = 0;
      for (let j = 0; j < 128; j++) {
        const a = ours[i * 128 + j]!;
        const b = expected[j]!;
        const diff = Math.abs(a - b);
        if (!(diff <= 1e-5))
          assert.fail(`face ${i} value ${j}: ours ${a}, face-api ${b} (|Δ| ${diff} > 1e-5)`);
        dot += a * b;
        na += a * a;
        nb += b * b;
      }
      const cosine = dot / Math.sqrt(na * nb);
      assert.ok(cosine >= 0.99999, `face ${i}: cosine ${cosine} < 0.99999`);
    }
    assert.equal(count, 12);
  } finally {
    await session.dispose();
  }
});

test('earlier layers can be tapped by name, and the descriptor is the avgpool times fc', async () => {
  const fc = (await readTfjsWeights(faceApiManifestPath())).get('fc')!;
  const dims: Record<string, number> = {};
  const outputs: Record<string, Float32Array> = {};
  for (const layer of ['descriptor', 'avgpool', 'conv256_2', 'pool']) {
    const spec = await resolveBackbone({ backbone: 'face', layer });
    const backbone = await Backbone.load(spec, { threads: 2, batchSize: 5 });
    try {
      outputs[layer] = await backbone.extract(crops.images, crops.count);
      dims[layer] = backbone.dim!;
    } finally {
      await backbone.dispose();
    }
  }
  assert.deepEqual(dims, { descriptor: 128, avgpool: 256, conv256_2: 256 * 4 * 4, pool: 32 * 35 * 35 });
  const pooled = outputs.avgpool!;
  for (let i = 0; i < crops.count; i++) {
    for (let j = 0; j < 128; j++) {
      let sum = 0;
      for (let k = 0; k < 256; k++) sum += pooled[i * 256 + k]! * fc.data[k * 128 + j]!;
      const got = outputs.descriptor![i * 128 + j]!;
      assert.ok(Math.abs(got - sum) <= 1e-5, `face ${i} value ${j}: descriptor ${got}, avgpool·fc ${sum}`);
    }
  }
});

test('face backbone errors name the bad value', async () => {
  await assert.rejects(resolveBackbone({ backbone: 'face', layer: 'conv99' }), /conv99/);
  await assert.rejects(resolveBackbone({ backbone: 'face', preprocess: 'imagenet' }), /normalises its input/);
  const missing = join(tmp, 'nope-weights_manifest.json');
  await assert.rejects(
    buildFaceNet({ manifest: missing }),
    (e: unknown) => e instanceof UserError && e.message.includes(missing),
  );
  const truncated = join(tmp, 'short-weights_manifest.json');
  await writeFile(
    truncated,
    JSON.stringify([
      { paths: ['short.bin'], weights: [{ name: 'fc', shape: [256, 128], dtype: 'float32' }] },
    ]),
  );
  await writeFile(join(tmp, 'short.bin'), new Uint8Array(100));
  await assert.rejects(readTfjsWeights(truncated), /end inside 'fc'/);
  // A manifest whose shard is missing: a UserError naming both.
  const orphan = join(tmp, 'orphan-weights_manifest.json');
  await writeFile(
    orphan,
    JSON.stringify([{ paths: ['gone.bin'], weights: [{ name: 'fc', shape: [2], dtype: 'float32' }] }]),
  );
  await assert.rejects(
    readTfjsWeights(orphan),
    (e: unknown) =>
      e instanceof UserError &&
      e.message.includes(orphan) &&
      e.message.includes(join(tmp, 'gone.bin')) &&
      !e.message.includes('\n'),
  );
});
