/**
 * Both trainers — `ort` (the training graph: epoch loop with mini-batch forward, softmax
 * cross-entropy, backward, Adam, all in ORT) and `native` (the C++ training kernel built at
 * install: an epoch per call) — against the plain float64 TypeScript reference in
 * helpers/mlp-reference.ts, on small sizes:
 * D 12, H 5, K 3, N 10 training rows + 4 evaluated rows, batch 4 (steps of 4, 4 and a partial 2).
 * Tolerance: parameters and moments within 1e-5 absolute (float32 against float64). The native
 * kernel must be built (`npm run build:native`): CI tests both paths, so a missing kernel fails here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MlpParams } from '../src/engine/mlp-layers.js';
import {
  createMlpTrainingEngine,
  type MlpTrainingEngine,
  type MlpTrainingEngineOptions,
  type TrainingEngineKind,
  type TrainingState,
} from '../src/engine/mlp-training-engine.js';
import { createRng, shuffleInPlace } from '../src/random.js';
import {
  maxAbsDiff,
  type RefAdam,
  type RefParams,
  refAdamState,
  refPredict,
  refTrain,
  toRef,
} from './helpers/mlp-reference.js';

const D = 12;
const H = 5;
const K = 3;
const N = 10;
const ROWS = 14;
const TOLERANCE = 1e-5;
const shape = { inputDim: D, hidden: H, classes: K };

const rng = createRng(42);
const x = Float32Array.from({ length: ROWS * D }, () => rng.normal());
const labels = Int32Array.from({ length: ROWS }, () => rng.int(K));
const initial: MlpParams = {
  ...shape,
  w1: Float32Array.from({ length: H * D }, () => rng.normal() * 0.3),
  b1: Float32Array.from({ length: H }, () => rng.normal() * 0.1),
  w2: Float32Array.from({ length: K * H }, () => rng.normal() * 0.3),
  b2: Float32Array.from({ length: K }, () => rng.normal() * 0.1),
};
const orders = Array.from({ length: 5 }, () =>
  shuffleInPlace(
    Array.from({ length: N }, (_, i) => i),
    rng,
  ),
);
const int64 = (rows: number[][]): BigInt64Array => BigInt64Array.from(rows.flat(), (v) => BigInt(v));

for (const engine of ['ort', 'native'] as const) describe(`${engine} trainer`, () => trainerTests(engine));

async function load(
  engine: TrainingEngineKind,
  options: Partial<MlpTrainingEngineOptions>,
): Promise<MlpTrainingEngine> {
  const session = await createMlpTrainingEngine({
    ...shape,
    trainCount: N,
    rowCount: ROWS,
    batch: 4,
    threads: 1,
    engine,
    ...options,
  });
  assert.equal(session.kind, engine);
  session.setData(x, labels);
  return session;
}

function assertCloseToReference(
  session: MlpTrainingEngine,
  state: TrainingState,
  ref: RefParams,
  adam: RefAdam,
  where: string,
): void {
  const params = session.params(state);
  const { m, v } = session.moments(state);
  (['w1', 'b1', 'w2', 'b2'] as const).forEach((key, i) => {
    for (const [what, actual, expected] of [
      ['param', params[key], ref[key]],
      ['m', m[i]!, adam.m[key]],
      ['v', v[i]!, adam.v[key]],
    ] as const) {
      const { max, at } = maxAbsDiff(actual, expected);
      assert.ok(max <= TOLERANCE, `${where}: ${what} ${key}[${at}] differs by ${max} (> ${TOLERANCE})`);
    }
  });
}

function trainerTests(engine: TrainingEngineKind): void {
  let batch4: MlpTrainingEngine;
  let fullBatch: MlpTrainingEngine;
  let blocked: MlpTrainingEngine;

  before(async () => {
    batch4 = await load(engine, {});
    fullBatch = await load(engine, { batch: N });
    // w1 in row blocks of 2 and 3 hidden units, each with its own Adam update (the ORT trainer;
    // the native one keeps w1 whole and ignores blocks).
    blocked = await load(engine, { blocks: 2 });
  });

  after(async () => {
    await batch4.dispose();
    await fullBatch.dispose();
    await blocked.dispose();
  });

  test('one Adam step (one full batch) matches the reference', async () => {
    const out = await fullBatch.run({
      state: fullBatch.initialState(initial),
      orders: int64([orders[0]!]),
      evaluate: [true],
      lr: 0.01,
    });
    const ref = toRef(initial);
    const adam = refAdamState(ref);
    const losses = refTrain(shape, ref, adam, x, labels, [orders[0]!], N, 0.01);
    assert.equal(out.state.steps, 1);
    assert.ok(Math.abs(out.loss[0]! - losses[0]!) <= 1e-6, `loss ${out.loss[0]} vs reference ${losses[0]}`);
    assertCloseToReference(fullBatch, out.state, ref, adam, 'after 1 step');
    // The first Adam step moves every parameter with a non-zero gradient by ±lr.
    const moved = maxAbsDiff(fullBatch.params(out.state).w1, initial.w1);
    assert.ok(Math.abs(moved.max - 0.01) < 1e-6, `largest first-step move ${moved.max}, expected lr 0.01`);
  });

  test('three epochs of mini-batches with a partial last batch match the reference', async () => {
    const out = await batch4.run({
      state: batch4.initialState(initial),
      orders: int64(orders.slice(0, 3)),
      evaluate: [true, false, true],
      lr: 0.003,
    });
    const ref = toRef(initial);
    const adam = refAdamState(ref);
    const losses = refTrain(shape, ref, adam, x, labels, orders.slice(0, 3), 4, 0.003);
    assert.equal(out.state.steps, 9, '3 epochs of ⌈10/4⌉ = 3 steps');
    assert.equal(adam.step, 9);
    for (const [e, l] of losses.entries()) {
      assert.ok(Math.abs(out.loss[e]! - l) <= 1e-5, `epoch ${e + 1} loss ${out.loss[e]} vs ${l}`);
    }
    assertCloseToReference(batch4, out.state, ref, adam, 'after 3 epochs');
    const predicted = Array.from(out.predictions.subarray(2 * ROWS), Number);
    assert.deepEqual(predicted, refPredict(shape, ref, x, ROWS), 'predictions after epoch 3');
    assert.ok(
      out.predictions.subarray(ROWS, 2 * ROWS).every((p) => p === -1n),
      'epoch 2 was not evaluated: all −1',
    );
  });

  test('chunks of epochs continue exactly where the previous chunk stopped (bit for bit)', async () => {
    const whole = await batch4.run({
      state: batch4.initialState(initial),
      orders: int64(orders),
      evaluate: [false, false, false, false, true],
      lr: 0.01,
    });
    const first = await batch4.run({
      state: batch4.initialState(initial),
      orders: int64(orders.slice(0, 2)),
      evaluate: [false, false],
      lr: 0.01,
    });
    const rest = await batch4.run({
      state: first.state,
      orders: int64(orders.slice(2)),
      evaluate: [false, false, true],
      lr: 0.01,
    });
    assert.equal(rest.state.steps, whole.state.steps);
    for (const [i, t] of whole.state.tensors.entries())
      assert.deepEqual(rest.state.tensors[i], t, `state tensor ${i}`);
    assert.deepEqual(rest.predictions.subarray(2 * ROWS), whole.predictions.subarray(4 * ROWS));
    // And the same run again gives the same bits.
    const again = await batch4.run({
      state: batch4.initialState(initial),
      orders: int64(orders),
      evaluate: [false, false, false, false, true],
      lr: 0.01,
    });
    for (const [i, t] of whole.state.tensors.entries()) {
      assert.deepEqual(again.state.tensors[i], t, `repeat: state tensor ${i}`);
    }
  });

  test('five epochs at a large learning rate stay within tolerance of the reference', async () => {
    const out = await batch4.run({
      state: batch4.initialState(initial),
      orders: int64(orders),
      evaluate: [false, false, false, false, true],
      lr: 0.05,
    });
    const ref = toRef(initial);
    const adam = refAdamState(ref);
    refTrain(shape, ref, adam, x, labels, orders, 4, 0.05);
    assertCloseToReference(batch4, out.state, ref, adam, 'after 5 epochs at lr 0.05');
  });

  test('w1 in row blocks trains the same as in one block (reference tolerance)', async () => {
    const out = await blocked.run({
      state: blocked.initialState(initial),
      orders: int64(orders.slice(0, 3)),
      evaluate: [false, false, true],
      lr: 0.01,
    });
    const ref = toRef(initial);
    const adam = refAdamState(ref);
    refTrain(shape, ref, adam, x, labels, orders.slice(0, 3), 4, 0.01);
    assertCloseToReference(blocked, out.state, ref, adam, 'blocked, after 3 epochs');
    assert.deepEqual(Array.from(out.predictions.subarray(2 * ROWS), Number), refPredict(shape, ref, x, ROWS));
    // The state round-trips: initialState then params gives the parameters back.
    assert.deepEqual(blocked.params(blocked.initialState(initial)), initial);
  });

  test('wrong sizes are refused with the numbers in the message', async () => {
    assert.throws(() => batch4.setData(new Float32Array(5), labels), /Expected 14 rows of 12 values/);
    assert.throws(() => batch4.initialState({ ...initial, hidden: 6 }), /12→5→3 network but received 12→6→3/);
    await assert.rejects(
      batch4.run({
        state: batch4.initialState(initial),
        orders: int64([orders[0]!.slice(0, 5)]),
        evaluate: [true],
        lr: 0.01,
      }),
      /Expected 1 orders of 10 rows but received 5/,
    );
  });
}

test('native trainer: evaluating a few rows at a time predicts the same as all at once', async () => {
  const chunked = await load('native', { evalRows: 3 });
  const whole = await load('native', {});
  try {
    const chunk = { orders: int64(orders.slice(0, 2)), evaluate: [true, true], lr: 0.01 };
    const a = await chunked.run({ ...chunk, state: chunked.initialState(initial) });
    const b = await whole.run({ ...chunk, state: whole.initialState(initial) });
    assert.deepEqual(a.predictions, b.predictions);
    assert.ok(a.predictions.every((p) => p >= 0n));
  } finally {
    await chunked.dispose();
    await whole.dispose();
  }
});

// The native trainer's fused w1 gradient + Adam pass split over two threads, and over a batch
// larger than the rows (one partial batch per epoch).
for (const { what, options, batch } of [
  { what: 'on two threads', options: { threads: 2 }, batch: 4 },
  { what: 'with a batch of 65 on one thread', options: { batch: 65 }, batch: 65 },
]) {
  test(`native trainer ${what} matches the reference`, async () => {
    const session = await load('native', options);
    try {
      const out = await session.run({
        state: session.initialState(initial),
        orders: int64(orders.slice(0, 3)),
        evaluate: [false, false, true],
        lr: 0.01,
      });
      const ref = toRef(initial);
      const adam = refAdamState(ref);
      refTrain(shape, ref, adam, x, labels, orders.slice(0, 3), batch, 0.01);
      assertCloseToReference(session, out.state, ref, adam, `${what}, after 3 epochs`);
      assert.deepEqual(
        Array.from(out.predictions.subarray(2 * ROWS), Number),
        refPredict(shape, ref, x, ROWS),
      );
    } finally {
      await session.dispose();
    }
  });
}
