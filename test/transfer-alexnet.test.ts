/**
 * AlexNet as a feature extractor: facelab's random AlexNet (torchvision layout) run end to end,
 * its taps checked against a plain TypeScript convolution, layer names found by walking the
 * graph for facelab's, torchvision's and a Caffe-style (ONNX model zoo) layout, and — when
 * Debian's python3-torch is installed — features equal to PyTorch's on a real
 * `torch.onnx.export` of torchvision's AlexNet.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import onnxProto from 'onnx-proto';
import { decodeNpy, encodeNpy } from '../src/data/npy.js';
import { describeModel, readInitializer } from '../src/engine/model-surgery.js';
import { UserError } from '../src/errors.js';
import { ALEXNET_SIDE, buildAlexNet } from '../src/transfer/alexnet.js';
import { Backbone } from '../src/transfer/backbone.js';
import { resolveBackbone } from '../src/transfer/backbones.js';
import { buildFaceNet } from '../src/transfer/face-net.js';
import { alexnetLayers } from '../src/transfer/layer-names.js';
import { preprocessImages } from '../src/transfer/preprocess.js';
import { pythonMissing } from './helpers/python.js';
import { realCrops } from './helpers/real-crops.js';

const S = ALEXNET_SIDE;
let tmp: string;
let crops: Awaited<ReturnType<typeof realCrops>>;
let fullPath: string;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'facelab-alexnet-'));
  crops = await realCrops(S, 1);
  fullPath = join(tmp, 'alexnet-random.onnx');
  await writeFile(fullPath, buildAlexNet({ seed: 7 }));
});

after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function run(spec: Awaited<ReturnType<typeof resolveBackbone>>, images: Uint8Array, count: number) {
  const backbone = await Backbone.load(spec, { threads: 2, batchSize: 4 });
  try {
    return { features: await backbone.extract(images, count), dim: backbone.dim };
  } finally {
    await backbone.dispose();
  }
}

/** Asserts |actual − expected| ≤ atol everywhere (naming the first failing index); returns the largest |Δ|. */
function assertClose(actual: Float32Array, expected: Float32Array, atol: number, what: string): number {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i]! - expected[i]!);
    if (!(diff <= atol)) assert.fail(`${what}[${i}]: ${actual[i]} vs ${expected[i]} (|Δ| ${diff} > ${atol})`);
    worst = Math.max(worst, diff);
  }
  return worst;
}

test('a saved random AlexNet runs end to end: pool5 is 256×6×6 and equals the features-only model', async () => {
  const spec = await resolveBackbone({ backbone: 'alexnet', weights: fullPath });
  assert.equal(spec.side, 227);
  assert.equal(spec.preprocess, 'imagenet');
  const full = await run(spec, crops.images, crops.count);
  assert.equal(full.dim, 9216);
  assert.ok(
    full.features.some((v) => v > 0),
    'pool5 is all zero',
  );
  // Same seed → same conv weights: the classifier is drawn after them.
  const features = await resolveBackbone({ backbone: 'alexnet', randomWeights: 7 });
  const alone = await run(features, crops.images, crops.count);
  assertClose(full.features, alone.features, 1e-6, 'pool5 full vs features-only');
  const fc7 = await run(
    await resolveBackbone({ backbone: 'alexnet', weights: fullPath, layer: 'fc7' }),
    crops.images.subarray(0, 2 * S * S * 3),
    2,
  );
  assert.equal(fc7.dim, 4096);
});

test('conv1 and pool1 taps equal a plain TypeScript conv + ReLU + max-pool (|Δ| ≤ 1e-4)', async (t) => {
  const seed = 3;
  const model = buildAlexNet({ seed, classifier: false });
  const image = crops.images.subarray(0, S * S * 3);
  const conv1 = await run(
    await resolveBackbone({ backbone: 'alexnet', randomWeights: seed, layer: 'conv1' }),
    image,
    1,
  );
  const pool1 = await run(
    await resolveBackbone({ backbone: 'alexnet', randomWeights: seed, layer: 'pool1' }),
    image,
    1,
  );
  assert.equal(conv1.dim, 64 * 56 * 56);
  assert.equal(pool1.dim, 64 * 27 * 27);
  const weights = readInitializer(model, 'features.0.weight').data;
  const bias = readInitializer(model, 'features.0.bias').data;
  const x = preprocessImages(image, { count: 1, side: S, mode: 'imagenet' }).data as Float32Array;
  const ref = new Float32Array(64 * 56 * 56);
  for (let o = 0; o < 64; o++)
    for (let oy = 0; oy < 56; oy++)
      for (let ox = 0; ox < 56; ox++) {
        let sum = bias[o]!;
        for (let c = 0; c < 3; c++)
          for (let ky = 0; ky < 11; ky++) {
            const y = oy * 4 - 2 + ky;
            if (y < 0 || y >= S) continue;
            for (let kx = 0; kx < 11; kx++) {
              const xx = ox * 4 - 2 + kx;
              if (xx < 0 || xx >= S) continue;
              sum += weights[((o * 3 + c) * 11 + ky) * 11 + kx]! * x[(c * S + y) * S + xx]!;
            }
          }
        ref[(o * 56 + oy) * 56 + ox] = Math.max(0, sum);
      }
  t.diagnostic(`conv1 max |Δ| ${assertClose(conv1.features, ref, 1e-4, 'conv1')}`);
  const refPool = new Float32Array(64 * 27 * 27);
  for (let o = 0; o < 64; o++)
    for (let py = 0; py < 27; py++)
      for (let px = 0; px < 27; px++) {
        let m = -Infinity;
        for (let dy = 0; dy < 3; dy++)
          for (let dx = 0; dx < 3; dx++) m = Math.max(m, ref[(o * 56 + py * 2 + dy) * 56 + px * 2 + dx]!);
        refPool[(o * 27 + py) * 27 + px] = m;
      }
  assertClose(pool1.features, refPool, 1e-4, 'pool1');
});

test('layer names come from the node sequence: facelab, Caffe-style (model zoo) and non-AlexNet models', async () => {
  const ours = alexnetLayers(describeModel(await readFile(fullPath)));
  assert.deepEqual(Object.keys(ours).sort(), [
    'avgpool',
    'conv1',
    'conv2',
    'conv3',
    'conv4',
    'conv5',
    'fc6',
    'fc7',
    'fc8',
    'pool1',
    'pool2',
    'pool5',
  ]);
  const caffe = caffeStyleAlexNet();
  const layers = alexnetLayers(describeModel(caffe));
  assert.equal(layers.conv1, 'conv1_2');
  assert.equal(layers.conv3, 'conv3_2');
  assert.equal(layers.norm1, 'norm1_1');
  assert.equal(layers.pool1, 'pool1_1');
  assert.equal(layers.norm2, 'norm2_1');
  assert.equal(layers.pool2, 'pool2_1');
  assert.equal(layers.conv5, 'conv5_2');
  assert.equal(layers.pool5, 'pool5_1');
  assert.equal(layers.fc6, 'fc6_2');
  assert.equal(layers.fc7, 'fc7_2');
  assert.equal(layers.fc8, 'fc8_1');
  // The zoo model fixes its batch at 1; tapping relaxes it, so batches of several images run.
  const modelPath = join(tmp, 'caffe-style.onnx');
  await writeFile(modelPath, caffe);
  const spec = await resolveBackbone({ backbone: 'alexnet', weights: modelPath, preprocess: 'caffe' });
  assert.equal(spec.side, 67);
  const small = new Uint8Array(3 * 67 * 67 * 3).map((_, i) => (i * 37) % 256);
  const out = await run(spec, small, 3);
  assert.equal(out.dim, 8 * 1 * 1);
  assert.throws(() => alexnetLayers(describeModel(new Uint8Array(0))), UserError);
  assert.throws(
    () => alexnetLayers({ ...describeModel(caffe), nodes: [] }),
    /does not look like AlexNet: found 0 Conv/,
  );
  await assert.rejects(
    async () => alexnetLayers(describeModel(await buildFaceNet())),
    /does not look like AlexNet/,
  );
  await assert.rejects(
    resolveBackbone({ backbone: 'alexnet', weights: fullPath, layer: 'conv9' }),
    /--layer 'conv9'/,
  );
});

test('alexnet without weights is refused with a pointer to the README; bad files name themselves', async () => {
  await assert.rejects(
    resolveBackbone({ backbone: 'alexnet' }),
    /pretrained weights.*README.*Pretrained AlexNet.*--random-weights/s,
  );
  await assert.rejects(
    resolveBackbone({ backbone: 'alexnet', weights: join(tmp, 'missing.onnx') }),
    /missing\.onnx.*ENOENT/,
  );
  const junk = join(tmp, 'junk.onnx');
  await writeFile(junk, 'not a model');
  await assert.rejects(resolveBackbone({ backbone: 'onnx', weights: junk }), /not an ONNX model/);
  await assert.rejects(resolveBackbone({ backbone: 'face', randomWeights: 1 }), /only to --backbone alexnet/);
});

test('pool5 of a torch.onnx.export of torchvision AlexNet equals PyTorch (|Δ| ≤ 1e-4·max|ref|)', async (t) => {
  const missing = pythonMissing('torch', 'torchvision', 'numpy');
  if (missing) {
    t.skip(missing);
    return;
  }
  const cropsPath = join(tmp, 'crops.npy');
  await writeFile(cropsPath, encodeNpy({ data: crops.images, shape: [crops.count, S, S, 3] }));
  const script = `
import sys, numpy as np, torch, torchvision
torch.manual_seed(0); torch.set_num_threads(2)
net = torchvision.models.alexnet().eval()
x = torch.from_numpy(np.load(sys.argv[1]).astype(np.float32)).permute(0, 3, 1, 2) / 255
x = (x - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)) / torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
with torch.no_grad():
    np.save(sys.argv[2], net.features(x).flatten(1).numpy().astype(np.float32))
    torch.onnx.export(net, x[:1], sys.argv[3], input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}}, opset_version=13)
    torch.onnx.export(net.features, x[:1], sys.argv[4], input_names=['input'], output_names=['features'],
                      dynamic_axes={'input': {0: 'batch'}, 'features': {0: 'batch'}}, opset_version=13)
`;
  const refPath = join(tmp, 'torch-pool5.npy');
  const fullExport = join(tmp, 'torchvision-alexnet.onnx');
  const featuresExport = join(tmp, 'torchvision-alexnet-features.onnx');
  const python = spawnSync(
    '/usr/bin/python3',
    ['-c', script, cropsPath, refPath, fullExport, featuresExport],
    { encoding: 'utf8' },
  );
  assert.equal(python.status, 0, python.stderr);
  const refBytes = await readFile(refPath);
  const ref = decodeNpy(new Uint8Array(refBytes.buffer, refBytes.byteOffset, refBytes.byteLength), refPath)
    .data as Float32Array;
  const peak = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assert.ok(peak > 0, 'PyTorch pool5 is all zero');
  for (const file of [fullExport, featuresExport]) {
    const spec = await resolveBackbone({ backbone: 'alexnet', weights: file });
    // The full export's pool5 is an inner tensor; the features-only export's is its output.
    assert.equal(spec.tensor, file === fullExport ? '/features/features.12/MaxPool_output_0' : 'features');
    const ours = await run(spec, crops.images, crops.count);
    assert.equal(ours.dim, 9216);
    const worst = assertClose(ours.features, ref, 1e-4 * peak, `pool5 of ${file}`);
    t.diagnostic(`${file}: max |Δ| ${worst} (max |ref| ${peak})`);
  }
});

/**
 * A tiny AlexNet with the ONNX model zoo's Caffe-converted layout (written with onnx-proto so
 * every tensor has the zoo's kind of name): fixed batch 1, `conv1_1` (Conv) → `conv1_2` (Relu) →
 * `norm1_1` (LRN) → `pool1_1`…, Dropout in the classifier, softmax output `prob_1`.
 */
function caffeStyleAlexNet(): Uint8Array {
  const { onnx } = onnxProto;
  const nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  const inits: InstanceType<typeof onnx.TensorProto>[] = [];
  const T = onnx.AttributeProto.AttributeType;
  const ints = (name: string, v: number[]) => onnx.AttributeProto.create({ name, type: T.INTS, ints: v });
  const weight = (name: string, dims: number[], value: (i: number) => number) => {
    const data = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => value(i));
    inits.push(
      onnx.TensorProto.create({
        name,
        dims,
        dataType: onnx.TensorProto.DataType.FLOAT,
        rawData: new Uint8Array(data.buffer),
      }),
    );
    return name;
  };
  const node = (
    opType: string,
    input: string[],
    output: string,
    attribute: InstanceType<typeof onnx.AttributeProto>[] = [],
  ) => {
    nodes.push(onnx.NodeProto.create({ opType, input, output: [output], name: output, attribute }));
    return output;
  };
  let x = 'data_0';
  let channels = 3;
  const conv = (i: number, out: number, k: number, s: number, p: number) => {
    const w = weight(`conv${i}_w_0`, [out, channels, k, k], (j) => ((j % 7) - 3) / 50);
    const b = weight(`conv${i}_b_0`, [out], () => 0.1);
    node('Conv', [x, w, b], `conv${i}_1`, [
      ints('kernel_shape', [k, k]),
      ints('strides', [s, s]),
      ints('pads', [p, p, p, p]),
    ]);
    x = node('Relu', [`conv${i}_1`], `conv${i}_2`);
    channels = out;
  };
  const pool = (i: number) => {
    x = node('MaxPool', [x], `pool${i}_1`, [ints('kernel_shape', [3, 3]), ints('strides', [2, 2])]);
  };
  const lrn = (i: number) => {
    x = node('LRN', [x], `norm${i}_1`, [onnx.AttributeProto.create({ name: 'size', type: T.INT, i: 5 })]);
  };
  conv(1, 8, 11, 4, 0);
  lrn(1);
  pool(1);
  conv(2, 8, 5, 1, 2);
  lrn(2);
  pool(2);
  conv(3, 8, 3, 1, 1);
  conv(4, 8, 3, 1, 1);
  conv(5, 8, 3, 1, 1);
  pool(5);
  x = node('Flatten', [x], 'OC2_DUMMY_0');
  let width = 8;
  for (const [i, out] of [
    [6, 16],
    [7, 16],
    [8, 10],
  ] as const) {
    const w = weight(`fc${i}_w_0`, [out, width], () => 0.01);
    const b = weight(`fc${i}_b_0`, [out], () => 0);
    x = node('Gemm', [x, w, b], `fc${i}_1`, [
      onnx.AttributeProto.create({ name: 'transB', type: T.INT, i: 1 }),
    ]);
    if (i !== 8) {
      x = node('Relu', [x], `fc${i}_2`);
      x = node('Dropout', [x], `drop${i}_1`);
    }
    width = out;
  }
  node('Softmax', [x], 'prob_1');
  const info = (name: string, dims: number[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: onnx.TypeProto.create({
        tensorType: onnx.TypeProto.Tensor.create({
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: onnx.TensorShapeProto.create({
            dim: dims.map((d) => onnx.TensorShapeProto.Dimension.create({ dimValue: d })),
          }),
        }),
      }),
    });
  // Old exporters also list every weight as a graph input, as the zoo's opset-3..9 models do.
  const graph = onnx.GraphProto.create({
    name: 'caffe_alexnet',
    node: nodes,
    initializer: inits,
    input: [info('data_0', [1, 3, 67, 67]), ...inits.map((t) => info(t.name, (t.dims ?? []).map(Number)))],
    output: [info('prob_1', [1, 10])],
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 12 })],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}
