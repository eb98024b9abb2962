/**
 * The ssd backbone (face-api's SSD-MobileNetV1 face detector as a feature extractor): on real
 * 150 px face crops, its features at a raw block equal the detector graph's own tensor
 * (`buildSsdGraph`, which `detect-equivalence.test.ts` checks against face-api's TF.js model),
 * and its pooled taps equal a plain average of that tensor, |diff| ≤ 1e-5 + 1e-5 |ref|. The CLI
 * lists the backbone with what it was trained on.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSsdGraph } from '../src/detect/ssd-graph.js';
import { tapModel } from '../src/engine/model-surgery.js';
import { EngineSession } from '../src/engine/session.js';
import { Backbone } from '../src/transfer/backbone.js';
import { BACKBONE_LAYERS, resolveBackbone } from '../src/transfer/backbones.js';
import { SSD_BACKBONE_LAYERS, SSD_BACKBONE_SIDE } from '../src/transfer/ssd-net.js';
import { runCli } from './helpers/capture-cli.js';
import { realCrops } from './helpers/real-crops.js';

const S = SSD_BACKBONE_SIDE;

function assertClose(ours: Float32Array, ref: Float32Array, what: string): void {
  assert.equal(ours.length, ref.length, `${what}: length`);
  for (let i = 0; i < ref.length; i++) {
    assert.ok(
      Math.abs(ours[i]! - ref[i]!) <= 1e-5 + 1e-5 * Math.abs(ref[i]!),
      `${what}[${i}]: backbone ${ours[i]}, reference ${ref[i]}`,
    );
  }
}

/** Averages `k × k` windows (stride k) of NCHW maps; k = side gives the global average. */
function averagePool(x: Float32Array, n: number, c: number, side: number, k: number): Float32Array {
  const o = Math.floor(side / k);
  const out = new Float32Array(n * c * o * o);
  for (let p = 0; p < n * c; p++)
    for (let i = 0; i < o; i++)
      for (let j = 0; j < o; j++) {
        let sum = 0;
        for (let a = 0; a < k; a++)
          for (let b = 0; b < k; b++) sum += x[p * side * side + (i * k + a) * side + j * k + b]!;
        out[(p * o + i) * o + j] = sum / (k * k);
      }
  return out;
}

test('ssd backbone: conv11 and its pooled taps equal the detector graph on real crops', async () => {
  const crops = await realCrops(S, 1);
  const session = await EngineSession.create(
    tapModel(await buildSsdGraph({ input: 'uint8' }), { outputs: ['conv11', 'conv13'] }),
    { threads: 2 },
  );
  let detector: Record<string, Float32Array>;
  try {
    const out = await session.run({ image: { data: crops.images, dims: [crops.count, S, S, 3] } });
    detector = { conv11: out.conv11!.data as Float32Array, conv13: out.conv13!.data as Float32Array };
    assert.deepEqual(out.conv11!.dims, [crops.count, 512, 10, 10]);
    assert.deepEqual(out.conv13!.dims, [crops.count, 1024, 5, 5]);
  } finally {
    await session.dispose();
  }
  const n = crops.count;
  const expected: Record<string, Float32Array> = {
    conv11: detector.conv11!,
    conv11_grid: averagePool(detector.conv11!, n, 512, 10, 2),
    conv11_pool: averagePool(detector.conv11!, n, 512, 10, 10),
    conv13: detector.conv13!,
    conv13_pool: averagePool(detector.conv13!, n, 1024, 5, 5),
  };
  for (const [layer, ref] of Object.entries(expected)) {
    const spec = await resolveBackbone({ backbone: 'ssd', layer });
    assert.equal(spec.side, S);
    const backbone = await Backbone.load(spec, { threads: 2 });
    try {
      const features = await backbone.extract(crops.images, n);
      assertClose(features, ref, layer);
      assert.equal(backbone.dim, ref.length / n);
    } finally {
      await backbone.dispose();
    }
  }
  // Different faces give different features: the check above would pass on a constant map too.
  const pool = expected.conv13_pool!;
  let spread = 0;
  for (let i = 0; i < 1024; i++) spread = Math.max(spread, Math.abs(pool[i]! - pool[1024 + i]!));
  assert.ok(spread > 1e-3, `conv13_pool of two actors differs by only ${spread}`);
});

test('ssd backbone: layers are checked, preprocessing is its own, --help lists it', async () => {
  assert.deepEqual(BACKBONE_LAYERS.ssd, SSD_BACKBONE_LAYERS);
  await assert.rejects(resolveBackbone({ backbone: 'ssd', layer: 'conv99' }), /--layer/);
  await assert.rejects(resolveBackbone({ backbone: 'ssd', preprocess: 'imagenet' }), /normalises/);
  const help = await runCli(['transfer', '--help']);
  assert.match(help.stdout, /ssd\s+face-api's SSD-MobileNetV1 face detector: trained to find faces/);
  assert.match(help.stdout, /layers: conv5_pool conv7_pool .* conv13\b/);
});
