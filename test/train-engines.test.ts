/**
 * The two trainers (issue 14): `native` (every epoch one call of the native kernel built at
 * install by scripts/build-native.mjs) and `ort` (all in ONNX Runtime), and the path between
 * them: the kernel against a float64 Adam step and, at sizes that reach every blocking path of
 * its forward and gradient loops, a whole training run against the float64 reference, a grid on the real shared photos picking the same
 * point with the same accuracies under both, the one-line fallback when the kernel is refused,
 * and the install script on a machine whose compiler fails. CI runs both paths: a missing
 * kernel fails this file.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { loadPrepared } from '../src/data/dataset.js';
import type { MlpParams } from '../src/engine/mlp-layers.js';
import { createMlpTrainingEngine } from '../src/engine/mlp-training-engine.js';
import { type NativeKernel, nativeKernel } from '../src/engine/native-kernel.js';
import { createRng } from '../src/random.js';
import { featuresFromImages } from '../src/train/features.js';
import { gridSearch } from '../src/train/grid-search.js';
import { makePreparedData } from './helpers/fake-cache.js';
import { maxAbsDiff, refAdamState, refTrain, toRef } from './helpers/mlp-reference.js';
import { repoRoot } from './helpers/shared.js';

const exec = promisify(execFile);
let temp = '';
let prepared = '';

before(async () => {
  temp = await mkdtemp(join(tmpdir(), 'facelab-engines-'));
  prepared = await makePreparedData(temp, { sizes: [32] });
});

after(async () => {
  await rm(temp, { recursive: true, force: true });
});

function kernel(): NativeKernel {
  const status = nativeKernel();
  assert.ok(
    status.kernel,
    `the native kernel must be built for this test (${'reason' in status ? status.reason : ''})`,
  );
  return status.kernel;
}

test('the fused Adam kernel: five steps within 1e-6 of float64 Adam; one thread or two, the same bits', () => {
  const n = 300_001; // large enough for two threads, and not a multiple of the vector width
  const rng = createRng(7);
  const start = Float32Array.from({ length: n }, () => rng.normal() * 0.1);
  const grads = Array.from({ length: 5 }, () => Float32Array.from({ length: n }, () => rng.normal()));
  const [lr, b1, b2, eps] = [3e-3, 0.9, 0.999, 1e-8];
  const runs = [1, 2].map((threads) => {
    const p = start.slice();
    const m = new Float32Array(n);
    const v = new Float32Array(n);
    grads.forEach((g, i) => {
      const t = i + 1;
      kernel().adamStep(p, m, v, g, lr / (1 - b1 ** t), Math.sqrt(1 - b2 ** t), b1, b2, eps, threads);
    });
    return { p, m, v };
  });
  assert.deepEqual(runs[1], runs[0], 'two threads change no bit');
  // PyTorch's Adam in float64.
  let worst = 0;
  for (let i = 0; i < n; i++) {
    let [p, m, v] = [start[i]!, 0, 0];
    grads.forEach((g, s) => {
      const t = s + 1;
      m = b1 * m + (1 - b1) * g[i]!;
      v = b2 * v + (1 - b2) * g[i]! ** 2;
      p -= (lr / (1 - b1 ** t)) * (m / (Math.sqrt(v) / Math.sqrt(1 - b2 ** t) + eps));
    });
    worst = Math.max(
      worst,
      Math.abs(runs[0]!.p[i]! - p),
      Math.abs(runs[0]!.m[i]! - m),
      Math.abs(runs[0]!.v[i]! - v),
    );
  }
  assert.ok(worst < 1e-6, `largest difference from float64 Adam ${worst}`);
  assert.throws(
    () =>
      kernel().adamStep(
        start,
        new Float32Array(3),
        new Float32Array(n),
        grads[0]!,
        1,
        1,
        0.9,
        0.999,
        1e-8,
        1,
      ),
    /m has 3 values but params has 300001/,
  );
});

// Every path of the kernel's blocking (4-row blocks with 1, 2 or 3 rows left over; tiles of
// 384 columns, blocks of 96, single vectors of 16 and single columns left over), a partial
// batch of 5 rows, and enough parameters (> 65,536) for the second thread.
for (const [H, D] of [
  [30, 2210], // 2 rows left; last tile 290 = 3 blocks + 2 columns
  [33, 2051], // 1 row left; last tile 131 = 1 block + 2 vectors + 3 columns
  [35, 1937], // 3 rows left; last tile 17 = 1 vector + 1 column
] as const) {
  test(`the fused gradient + Adam pass (${H} x ${D}): w1 after three steps within 1e-5 of float64; one thread or two, the same bits`, () => {
    const rows = 5;
    const rng = createRng(9);
    const start = Float32Array.from({ length: H * D }, () => rng.normal() * 0.05);
    // Every product of a gradient's sum has the same sign (dT > 0, each column of x one sign), so
    // no gradient is a near-cancellation: Adam divides by √v, and a gradient near 0 would turn
    // float32 rounding of the sum into large differences of the step.
    const columnSign = Array.from({ length: D }, () => (rng.normal() < 0 ? -1 : 1));
    const steps = Array.from({ length: 3 }, () => ({
      dT: Float32Array.from({ length: H * rows }, () => 0.01 + Math.abs(rng.normal()) * 0.1),
      x: Float32Array.from(
        { length: rows * D },
        (_, k) => columnSign[k % D]! * (0.1 + Math.abs(rng.normal())),
      ),
    }));
    const [lr, b1, b2, eps] = [1e-2, 0.9, 0.999, 1e-8];
    const runs = [1, 2].map((threads) => {
      const w = start.slice();
      const m = new Float32Array(H * D);
      const v = new Float32Array(H * D);
      steps.forEach(({ dT, x }, s) => {
        const t = s + 1;
        kernel().gradAdamStep(
          w,
          m,
          v,
          dT,
          x,
          rows,
          D,
          lr / (1 - b1 ** t),
          Math.sqrt(1 - b2 ** t),
          b1,
          b2,
          eps,
          threads,
        );
      });
      return { w, m, v };
    });
    assert.deepEqual(runs[1], runs[0], 'two threads change no bit');
    let worst = 0;
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < D; j++) {
        let [w, m, v] = [start[i * D + j]!, 0, 0];
        steps.forEach(({ dT, x }, s) => {
          const t = s + 1;
          let g = 0;
          for (let b = 0; b < rows; b++) g += dT[i * rows + b]! * x[b * D + j]!;
          m = b1 * m + (1 - b1) * g;
          v = b2 * v + (1 - b2) * g * g;
          w -= (lr / (1 - b1 ** t)) * (m / (Math.sqrt(v) / Math.sqrt(1 - b2 ** t) + eps));
        });
        const k = i * D + j;
        worst = Math.max(
          worst,
          Math.abs(runs[0]!.w[k]! - w),
          Math.abs(runs[0]!.m[k]! - m),
          Math.abs(runs[0]!.v[k]! - v),
        );
      }
    }
    assert.ok(worst < 1e-5, `largest difference from float64 ${worst}`);
    assert.throws(
      () =>
        kernel().gradAdamStep(
          start,
          start,
          start,
          steps[0]!.dT,
          steps[0]!.x,
          rows + 1,
          D,
          1,
          1,
          0.9,
          0.999,
          1e-8,
          1,
        ),
      new RegExp(`expected w1, m, v of H x ${D}, dT of H x 6`),
    );
  });
}

test('the native trainer at blocking sizes: 3 epochs within 1e-5 of the float64 reference; one thread or two, the same bits', async () => {
  // D 2051 (forward: 128 vectors + 3 columns; gradient: tiles of 384, the last 131 = a block
  // of 96, 2 vectors, 3 columns), H 35 (8 blocks of 4 + 3 rows), batches of 13, 13 and 4
  // (blocks of 6 rows + 1; a block of 4), K 4. No sum cancels, so float32 rounding cannot flip
  // a gradient's sign (Adam's step is ±lr for any gradient well above ε): pixels ≥ 0, every
  // unit active (b1 ≫ w1·x), one label, and w2 of class 0 below the others for every unit,
  // which makes every error at the hidden units one sign.
  const [D, H, K, N, batch] = [2051, 35, 4, 30, 13];
  const rng = createRng(11);
  const x = Float32Array.from({ length: N * D }, () => Math.abs(rng.normal()) * 0.5);
  const labels = new Int32Array(N);
  const params = {
    inputDim: D,
    hidden: H,
    classes: K,
    w1: Float32Array.from({ length: H * D }, () => rng.normal() * 0.01),
    b1: Float32Array.from({ length: H }, () => 2 + rng.normal() * 0.1),
    w2: Float32Array.from({ length: K * H }, (_, i) => (i < H ? -0.5 : 0.2 + Math.abs(rng.normal()) * 0.3)),
    b2: Float32Array.from({ length: K }, () => rng.normal() * 0.1),
  };
  const orders = Array.from({ length: 3 }, (_, e) => Array.from({ length: N }, (_, i) => (i * 7 + e) % N));
  const runs: { params: MlpParams; moments: { m: Float32Array[]; v: Float32Array[] }; loss: Float32Array }[] =
    [];
  for (const threads of [1, 2]) {
    const trainer = await createMlpTrainingEngine({
      inputDim: D,
      hidden: H,
      classes: K,
      trainCount: N,
      rowCount: N,
      batch,
      threads,
      engine: 'native',
    });
    try {
      trainer.setData(x, labels);
      const out = await trainer.run({
        state: trainer.initialState(params),
        orders: BigInt64Array.from(orders.flat(), (v) => BigInt(v)),
        evaluate: [false, false, true],
        lr: 1e-3,
      });
      runs.push({ params: trainer.params(out.state), moments: trainer.moments(out.state), loss: out.loss });
    } finally {
      await trainer.dispose();
    }
  }
  assert.deepEqual(runs[1], runs[0], 'two threads change no bit');
  const ref = toRef(params);
  const adam = refAdamState(ref);
  const losses = refTrain({ inputDim: D, hidden: H, classes: K }, ref, adam, x, labels, orders, batch, 1e-3);
  (['w1', 'b1', 'w2', 'b2'] as const).forEach((key, i) => {
    for (const [what, actual, expected] of [
      ['param', runs[0]!.params[key], ref[key]],
      ['m', runs[0]!.moments.m[i]!, adam.m[key]],
      ['v', runs[0]!.moments.v[i]!, adam.v[key]],
    ] as const) {
      const { max, at } = maxAbsDiff(actual, expected);
      assert.ok(max <= 1e-5, `${what} ${key}[${at}] differs by ${max}`);
    }
  });
  // The loss (~50 per row here) is summed in float32 per batch: relative tolerance.
  runs[0]!.loss.forEach((loss, e) => {
    const relative = Math.abs(loss - losses[e]!) / Math.abs(losses[e]!);
    assert.ok(relative <= 1e-5, `epoch ${e} loss ${loss} vs ${losses[e]} (relative ${relative})`);
  });
});

test('a grid on the real photos picks the same point with the same accuracies under both trainers', async () => {
  const data = featuresFromImages(await loadPrepared(prepared, 32));
  const grid = { epochs: [5, 30], batch: [32, 128], hidden: [100], lr: [1e-3, 1e-2], workers: 2 };
  const native = await gridSearch(data, { ...grid, engine: 'native' });
  const ort = await gridSearch(data, { ...grid, engine: 'ort' });
  assert.equal(native.engine, 'native');
  assert.equal(ort.engine, 'ort');
  const { loss: _a, ...nativeBest } = native.best;
  const { loss: _b, ...ortBest } = ort.best;
  assert.deepEqual(nativeBest, ortBest);
  assert.ok(
    Math.abs(native.best.loss - ort.best.loss) < 1e-4,
    `losses ${native.best.loss} / ${ort.best.loss}`,
  );
  // Both learn: the chosen point is far above chance (1/6).
  assert.ok(native.best.accuracy.val > 0.7, `validation ${native.best.accuracy.val}`);
});

async function facelab(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'test/helpers/cli-entry.ts'), ...args],
      { cwd: repoRoot, env: { ...process.env, ...env }, maxBuffer: 1 << 24 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('FACELAB_NATIVE=0: training falls back to ONNX Runtime and says so in one line; --engine native is refused', async () => {
  const args = ['train', '--data', prepared, '--epochs', '3', '--hidden', '20', '--json'];
  const fallback = await facelab([...args, '--out', join(temp, 'ort')], { FACELAB_NATIVE: '0' });
  assert.equal(fallback.code, 0, fallback.stderr);
  const notices = fallback.stderr.split('\n').filter((l) => l.includes('training on ONNX Runtime alone'));
  assert.equal(notices.length, 1, fallback.stderr);
  assert.match(notices[0]!, /FACELAB_NATIVE=0/);
  const native = await facelab([...args, '--out', join(temp, 'native')], {});
  assert.equal(native.code, 0, native.stderr);
  assert.doesNotMatch(native.stderr, /ONNX Runtime alone/);
  const accuracy = (r: { stdout: string }): unknown =>
    JSON.parse(r.stdout.trim().split('\n').at(-1)!).accuracy;
  assert.deepEqual(accuracy(fallback), accuracy(native), 'three epochs: the same predictions either way');

  const refused = await facelab([...args, '--engine', 'native', '--out', join(temp, 'x')], {
    FACELAB_NATIVE: '0',
  });
  assert.equal(refused.code, 2);
  assert.match(
    refused.stderr,
    /engine 'native' asked for, but the native training kernel is unavailable: FACELAB_NATIVE=0 is set/,
  );
  const unknown = await facelab([...args, '--engine', 'gpu', '--out', join(temp, 'y')], {});
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Expected one of auto, native, ort for --engine but received 'gpu'/);
});

test('the install script: a failing compiler leaves no kernel and one line, exit 0; a working one builds a kernel that loads', async () => {
  const pkg = join(temp, 'pkg');
  for (const path of ['binding.gyp', 'native', 'scripts/build-native.mjs']) {
    await cp(join(repoRoot, path), join(pkg, path), { recursive: true });
  }
  const script = join(pkg, 'scripts', 'build-native.mjs');
  const built = join(pkg, 'build', 'Release', 'fused_adam.node');
  const broken = await exec(process.execPath, [script], {
    cwd: pkg,
    env: { ...process.env, CXX: '/bin/false' },
  });
  const lines = broken.stderr.trim().split('\n');
  assert.equal(lines.length, 1, broken.stderr);
  assert.match(
    lines[0]!,
    /^facelab: native training kernel not built \(.*native-build\.log\); training will use ONNX Runtime alone/,
  );
  await assert.rejects(stat(built), /ENOENT/);

  const working = await exec(process.execPath, [script], { cwd: pkg });
  assert.match(working.stderr, /^facelab: built the native training kernel \(g\+\+ /);
  const loaded = createRequire(import.meta.url)(built) as NativeKernel;
  assert.match(loaded.build(), /g\+\+/);
});
