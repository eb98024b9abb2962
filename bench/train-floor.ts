/**
 * Training against the machine's floor (issue 14), in one run on this machine:
 *
 * 1. the floor, measured: ORT's Gemm (MLAS) at every shape the runs multiply — the first
 *    layer's forward w1·xᵀ and weight gradient d·x at each batch size (the last, partial batch
 *    too) and hidden size, and the forward over every row for the accuracies — each the fastest
 *    of two layouts, every thread count up to the run's, and ORT's threads spinning or not; and
 *    one fused exact Adam pass (the native kernel) over the first layer's parameters.
 *    Second-layer work (K = 6 columns), gathers and call overheads count as zero, so the floor
 *    is a lower bound. A stricter one beside it ("peak"): the same multiply-adds at the rate of
 *    a large 2048³ Gemm (MLAS's best) on the same threads, plus the same Adam;
 * 2. the floor of the single run (200 epochs, batch 32, hidden 300, curves every epoch, one
 *    session of `cores` threads) and of the 81-point grid (27 runs of 200 epochs, accuracies at
 *    20/100/200, one thread per run on `cores` workers: the one-thread work divided by the cores,
 *    as if they shared nothing);
 * 3. facelab's times for the same work with each trainer (`native`: the C++ training kernel;
 *    `ort`: all in ORT), as ratios to the floor; and whether both trainers' grids
 *    pick the same point with the same accuracies.
 *
 * Run: node --import tsx bench/train-floor.ts [--runs 3] [--skip-ort]
 * Prints a table, then one JSON line per measurement.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadPrepared } from '../src/data/dataset.js';
import type { TrainingEngineKind } from '../src/engine/mlp-training-engine.js';
import { nativeKernel } from '../src/engine/native-kernel.js';
import { GraphBuilder } from '../src/engine/onnx-builder.js';
import { EngineSession } from '../src/engine/session.js';
import { trainClassifier } from '../src/train/classifier-trainer.js';
import { featuresFromImages } from '../src/train/features.js';
import { gridSearch, REFERENCE_GRID } from '../src/train/grid-search.js';
import { makePreparedData } from '../test/helpers/fake-cache.js';

const { values: flags } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, 'skip-ort': { type: 'boolean', default: false } },
});
const RUNS = Number(flags.runs);
const CORES = availableParallelism();
const EPOCHS = 200;
const round = (v: number, digits = 2): number => Math.round(v * 10 ** digits) / 10 ** digits;
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const results: Record<string, unknown>[] = [];
const emit = (r: Record<string, unknown>): void => {
  results.push(r);
};

const status = nativeKernel();
if (!status.kernel) {
  console.error(
    `bench train-floor: the fused Adam pass is measured with the native kernel: ${status.reason}`,
  );
  process.exit(2);
}
const kernel = status.kernel;

/** Median seconds of `fn` over enough repeats for ~0.3 s, after a warm-up. */
async function timeIt(fn: () => Promise<void> | void): Promise<number> {
  for (let i = 0; i < 5; i++) await fn();
  const started = performance.now();
  await fn();
  const once = Math.max(1e-5, (performance.now() - started) / 1000);
  const repeats = Math.max(7, Math.min(200, Math.round(0.3 / once)));
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    await fn();
    times.push((performance.now() - t) / 1000);
  }
  return median(times);
}

const gemmCache = new Map<string, number>();
/** Seconds of one Gemm [m×k]·[k×n] at `threads` ORT threads: the faster of `layouts`. */
async function gemm(
  m: number,
  n: number,
  k: number,
  threads: number,
  layouts: readonly { transA: 0 | 1; transB: 0 | 1 }[],
): Promise<number> {
  const key = `${m}/${n}/${k}/${threads}/${JSON.stringify(layouts)}`;
  const known = gemmCache.get(key);
  if (known !== undefined) return known;
  let bestSeconds = Number.POSITIVE_INFINITY;
  const settings = Array.from({ length: threads }, (_, t) => t + 1).flatMap((t) =>
    t === 1 ? [{ threads: 1, spinning: false }] : [true, false].map((spinning) => ({ threads: t, spinning })),
  );
  for (const { transA, transB } of layouts)
    for (const setting of settings) {
      const g = new GraphBuilder('gemm');
      const aDims = transA ? [k, m] : [m, k];
      const bDims = transB ? [n, k] : [k, n];
      const y = g.op('Gemm', [g.input('a', 'float32', aDims), g.input('b', 'float32', bDims)], {
        transA,
        transB,
      });
      g.output(y, 'float32', [m, n], 'y');
      const session = await EngineSession.create(g.toBytes(), setting);
      const feeds = {
        a: { data: Float32Array.from({ length: m * k }, (_, i) => ((i % 89) - 44) / 89), dims: aDims },
        b: { data: Float32Array.from({ length: k * n }, (_, i) => ((i % 97) - 48) / 97), dims: bDims },
      };
      const into = { y: { data: new Float32Array(m * n), dims: [m, n] } };
      bestSeconds = Math.min(
        bestSeconds,
        await timeIt(() => session.runInto(feeds, into).then(() => undefined)),
      );
      await session.dispose();
    }
  gemmCache.set(key, bestSeconds);
  return bestSeconds;
}

const adamCache = new Map<string, number>();
/** Seconds of one fused Adam pass over `n` parameters on `threads` threads (measured once). */
async function adam(n: number, threads: number): Promise<number> {
  const key = `${n}/${threads}`;
  const known = adamCache.get(key);
  if (known !== undefined) return known;
  const seconds = await timeAdam(n, threads);
  adamCache.set(key, seconds);
  return seconds;
}

async function timeAdam(n: number, threads: number): Promise<number> {
  const p = Float32Array.from({ length: n }, (_, i) => ((i % 89) - 44) / 890);
  const m = new Float32Array(n);
  const v = new Float32Array(n);
  const g = Float32Array.from({ length: n }, (_, i) => ((i % 97) - 48) / 970);
  let t = 0;
  return timeIt(() => {
    t++;
    kernel.adamStep(p, m, v, g, 1e-3 / (1 - 0.9 ** t), Math.sqrt(1 - 0.999 ** t), 0.9, 0.999, 1e-8, threads);
  });
}

/** A grid point and its accuracies, for comparing two searches. */
function pointKey(p: {
  epochs: number;
  batch: number;
  hidden: number;
  lr: number;
  accuracy: object;
}): string {
  return JSON.stringify([p.epochs, p.batch, p.hidden, p.lr, p.accuracy]);
}

/** Batch sizes of one epoch: full batches, then the partial last one. */
function batchSizes(n: number, batch: number): number[] {
  return Array.from({ length: Math.ceil(n / batch) }, (_, i) => Math.min(batch, n - i * batch));
}

const forwardLayouts = [
  { transA: 0, transB: 1 }, // w1 [H, D] · xᵀ (x [b, D])
  { transA: 0, transB: 0 }, // x [b, D] · w1ᵀ stored [D, H]
] as const;
const gradientLayouts = [
  { transA: 0, transB: 0 }, // dᵀ [H, b] · x [b, D]
  { transA: 1, transB: 0 }, // d [b, H] transposed · x
] as const;

/** Floor seconds of one run: every step's two Gemms and Adam, and the evaluated forwards. */
async function runFloor(options: {
  trainCount: number;
  rows: number;
  inputDim: number;
  batch: number;
  hidden: number;
  evaluations: number;
  threads: number;
}): Promise<RunFloor> {
  const { trainCount, rows, inputDim: D, batch, hidden: H, evaluations, threads } = options;
  let gemmSeconds = 0;
  for (const b of batchSizes(trainCount, batch)) {
    gemmSeconds +=
      (await gemm(H, b, D, threads, forwardLayouts)) + (await gemm(H, D, b, threads, gradientLayouts));
  }
  gemmSeconds = gemmSeconds * EPOCHS + evaluations * (await gemm(H, rows, D, threads, forwardLayouts));
  const adamSeconds = EPOCHS * batchSizes(trainCount, batch).length * (await adam(H * D, threads));
  const flops = 2 * H * D * (2 * EPOCHS * trainCount + evaluations * rows);
  return { seconds: gemmSeconds + adamSeconds, gemmSeconds, adamSeconds, flops };
}

/** A run's floor: seconds (Gemms + Adam), and the multiply-add work of its Gemms. */
interface RunFloor {
  seconds: number;
  gemmSeconds: number;
  adamSeconds: number;
  /** Floating-point operations of the first layer's products (2 per multiply-add). */
  flops: number;
}

/** MLAS's best rate here, FLOP/s: a 2048³ Gemm on up to `threads` threads. */
async function peakRate(threads: number): Promise<number> {
  const n = 2048;
  return (2 * n ** 3) / (await gemm(n, n, n, threads, [{ transA: 0, transB: 0 }]));
}

console.log(`load average before: ${load()} on ${CORES} cores; native kernel: ${kernel.build()}`);
const root = await mkdtemp(join(tmpdir(), 'facelab-bench-floor-'));
try {
  const data = featuresFromImages(await loadPrepared(await makePreparedData(root, { sizes: [32] }), 32));
  const N = data.train.count;
  const rows = N + data.val.count + data.test.count;
  const shape = { trainCount: N, rows, inputDim: data.inputDim };

  // --- Floors. ---
  const single = await runFloor({ ...shape, batch: 32, hidden: 300, evaluations: EPOCHS, threads: CORES });
  let gridWork: RunFloor = { seconds: 0, gemmSeconds: 0, adamSeconds: 0, flops: 0 };
  for (const batch of REFERENCE_GRID.batch) {
    for (const hidden of REFERENCE_GRID.hidden) {
      const run = await runFloor({
        ...shape,
        batch,
        hidden,
        evaluations: REFERENCE_GRID.epochs.length,
        threads: 1,
      });
      const runs = REFERENCE_GRID.lr.length;
      gridWork = {
        seconds: gridWork.seconds + runs * run.seconds,
        gemmSeconds: gridWork.gemmSeconds + runs * run.gemmSeconds,
        adamSeconds: gridWork.adamSeconds + runs * run.adamSeconds,
        flops: gridWork.flops + runs * run.flops,
      };
    }
  }
  const gridFloor = gridWork.seconds / CORES;
  const [peakOne, peakAll] = [await peakRate(1), await peakRate(CORES)];
  const singlePeakFloor = single.flops / peakAll + single.adamSeconds;
  const gridPeakFloor = (gridWork.flops / peakOne + gridWork.adamSeconds) / CORES;
  emit({
    bench: 'train-floor',
    run: 'peak-gemm',
    gflopsOneThread: round(peakOne / 1e9, 1),
    gflopsAllThreads: round(peakAll / 1e9, 1),
    threads: CORES,
  });
  emit({
    bench: 'train-floor',
    run: 'single',
    threads: CORES,
    seconds: round(single.seconds),
    peakSeconds: round(singlePeakFloor),
    gemmSeconds: round(single.gemmSeconds),
    adamSeconds: round(single.adamSeconds),
    adamMsPerStep: round(1000 * (await adam(300 * data.inputDim, CORES)), 3),
  });
  emit({
    bench: 'train-floor',
    run: 'grid',
    workers: CORES,
    threads: 1,
    seconds: round(gridFloor),
    peakSeconds: round(gridPeakFloor),
    oneThreadGemmSeconds: round(gridWork.gemmSeconds),
    oneThreadAdamSeconds: round(gridWork.adamSeconds),
    adamMsPerStep: round(1000 * (await adam(300 * data.inputDim, 1)), 3),
  });

  // --- facelab, each trainer, the same work. ---
  const engines: TrainingEngineKind[] = flags['skip-ort'] ? ['native'] : ['native', 'ort'];
  const grids: Partial<Record<TrainingEngineKind, Awaited<ReturnType<typeof gridSearch>>>> = {};
  for (const engine of engines) {
    const times: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const started = performance.now();
      await trainClassifier(data, { epochs: EPOCHS, batch: 32, hidden: 300, lr: 1e-3, seed: 0, engine });
      times.push((performance.now() - started) / 1000);
    }
    const seconds = Math.min(...times);
    emit({
      bench: 'train-floor-ratio',
      run: 'single',
      engine,
      seconds: round(seconds),
      runs: times.map((t) => round(t)),
      floorSeconds: round(single.seconds),
      ratio: round(seconds / single.seconds),
      bar: 1.5,
      peakRatio: round(seconds / singlePeakFloor),
    });
    const grid = await gridSearch(data, { engine, workers: CORES, threads: 1 });
    grids[engine] = grid;
    emit({
      bench: 'train-floor-ratio',
      run: 'grid',
      engine,
      seconds: round(grid.seconds),
      floorSeconds: round(gridFloor),
      ratio: round(grid.seconds / gridFloor),
      bar: 1.5,
      peakRatio: round(grid.seconds / gridPeakFloor),
      best: grid.best,
    });
  }
  if (grids.native && grids.ort) {
    const differing = grids.native.points.filter(
      (p, i) => JSON.stringify(p.accuracy) !== JSON.stringify(grids.ort!.points[i]!.accuracy),
    ).length;
    emit({
      bench: 'train-engines-agree',
      samePoint: pointKey(grids.native.best) === pointKey(grids.ort.best),
      bestNative: grids.native.best,
      bestOrt: grids.ort.best,
      pointsWithOtherAccuracies: differing,
      points: grids.native.points.length,
      gridSpeedup: round(grids.ort.seconds / grids.native.seconds),
    });
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
console.log(`load average after: ${load()}`);
for (const r of results) {
  const { bench, ...rest } = r;
  console.log(`${String(bench).padEnd(22)} ${JSON.stringify(rest)}`);
}
for (const r of results) console.log(JSON.stringify(r));
