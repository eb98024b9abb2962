/**
 * Scale check of the training engine (issue 14): a synthetic problem the size of full FaceScrub —
 * 530 people × 100 photos at 32 px (3,072 values per row; 70 training, 15 validation and 15 test
 * rows per person: 37,100 / 7,950 / 7,950) — through the reference grid's 27 runs (batch 32/64/128
 * × hidden 100/200/300 × lr 1e-4/1e-3/1e-2) on the default trainer and workers.
 *
 * Two hundred epochs of 27 runs at this size are about 0.5 PFLOP of matrix products — over an hour on
 * two cores — so the runs are trained for `--epochs` (default 1,2: accuracies kept after epoch 1
 * and 2) and the bench prints the time, the epochs trained per second, and the peak resident
 * memory against the size of the rows: memory must stay a small multiple of the rows, whatever
 * the number of runs and epochs.
 *
 * Run: node --import tsx bench/train-scale.ts [--epochs 1,2] [--people 530]
 * Prints a table, then one JSON line per measurement.
 */
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { gridSearch, REFERENCE_GRID } from '../src/train/grid-search.js';
import { syntheticFeatures } from '../test/helpers/synthetic-features.js';

const { values: flags } = parseArgs({
  options: { epochs: { type: 'string', default: '1,2' }, people: { type: 'string', default: '530' } },
});
const epochs = flags.epochs!.split(',').map(Number);
const people = Number(flags.people);
const round = (v: number, digits = 2): number => Math.round(v * 10 ** digits) / 10 ** digits;
const gib = (bytes: number): number => round(bytes / 2 ** 30, 2);
console.log(
  `load average before: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);

let started = performance.now();
const data = syntheticFeatures({
  inputDim: 32 * 32 * 3,
  classes: people,
  sizes: { train: 70 * people, val: 15 * people, test: 15 * people },
  noise: 6,
  seed: 11,
});
const makeSeconds = (performance.now() - started) / 1000;
const rows = data.train.count + data.val.count + data.test.count;
const rowBytes = rows * data.inputDim * 4;
const rssBefore = process.memoryUsage().rss;

started = performance.now();
let peakSampled = 0;
const sampler = setInterval(() => {
  peakSampled = Math.max(peakSampled, process.memoryUsage().rss);
}, 200);
const grid = await gridSearch(data, { ...REFERENCE_GRID, epochs });
clearInterval(sampler);
const seconds = (performance.now() - started) / 1000;
// maxRSS covers the whole process (worker threads included), in KiB.
const peak = Math.max(peakSampled, process.resourceUsage().maxRSS * 1024);
const epochsTrained = grid.runs * Math.max(...epochs);
const results = [
  {
    bench: 'train-scale',
    people,
    rows,
    inputDim: data.inputDim,
    runs: grid.runs,
    epochsPerRun: Math.max(...epochs),
    engine: grid.engine,
    workers: grid.workers,
    seconds: round(seconds),
    epochsPerSecond: round(epochsTrained / seconds, 3),
    rowsGiB: gib(rowBytes),
    rssBeforeGiB: gib(rssBefore),
    peakRssGiB: gib(peak),
    peakOverRows: round(peak / rowBytes, 2),
    best: grid.best,
    setupSeconds: round(makeSeconds),
    cores: availableParallelism(),
  },
];
console.log(
  `load average after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const r of results) {
  const { bench, ...rest } = r;
  console.log(`${bench.padEnd(14)} ${JSON.stringify(rest)}`);
}
for (const r of results) console.log(JSON.stringify(r));
