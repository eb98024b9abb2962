/**
 * What alignment changes, for both nets, on the seed actors (issue 10): the 580 shared FaceScrub
 * photos with their listed boxes (a fake download cache, no network) are prepared twice — the
 * default (box crops, plus `aligned_150.npz` for the face backbone) and `align: 'all'` (every
 * `faces_<side>.npz` aligned) — and then
 *
 *   (a) the raw-pixel net at 32 px, in the reference configuration (200 epochs, batch 32,
 *       hidden 300, lr 1e-3), trains on the box crops and on the aligned crops;
 *   (b) the face-backbone head (`runTransfer`, its defaults) trains on features of the box
 *       crops (`align: false`) and of the aligned crops (`align: true`).
 *
 * Each is trained with every seed given (the split stays seed 1), so the table shows the spread
 * the seed alone makes beside the change alignment makes.
 *
 * Run: node --import tsx scripts/align-effect.ts [--seeds 0,1,2] [--keep DIR]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadPrepared } from '../src/data/dataset.js';
import { type AlignMode, prepareDataset } from '../src/data/prepare.js';
import { trainClassifier } from '../src/train/classifier-trainer.js';
import { featuresFromImages } from '../src/train/features.js';
import { runTransfer } from '../src/transfer/transfer.js';
import { makeFakeCache } from '../test/helpers/fake-cache.js';
import { facescrubList, SIX_ACTORS } from '../test/helpers/shared.js';

/** The reference configuration of the raw-pixel net. */
const REFERENCE = { epochs: 200, batch: 32, hidden: 300, lr: 1e-3 } as const;

const { values } = parseArgs({
  options: { seeds: { type: 'string', default: '0' }, keep: { type: 'string' } },
});
const seeds = values.seeds.split(',').map((s) => Number.parseInt(s, 10));
if (seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new Error(`--seeds: ${values.seeds}`);

const work = values.keep ?? (await mkdtemp(join(tmpdir(), 'facelab-align-effect-')));
const cache = await makeFakeCache({ parent: work });

interface Row {
  net: string;
  crops: string;
  seed: number;
  val: number;
  test: number;
  seconds: number;
}
const rows: Row[] = [];

async function prepare(align: AlignMode): Promise<string> {
  const outDir = join(work, `data-${align}`);
  const started = performance.now();
  const r = await prepareDataset({
    list: facescrubList,
    actors: SIX_ACTORS,
    cacheDir: cache.dir,
    outDir,
    sizes: [32, 227],
    align,
  });
  const seconds = (performance.now() - started) / 1000;
  console.error(
    `prepared align=${align}: ${r.photos} photos (train ${r.split.train}, val ${r.split.val}, test ${r.split.test}), ` +
      `${r.leftOut.length} left out, ${seconds.toFixed(1)} s`,
  );
  return outDir;
}

try {
  const boxData = await prepare('backbone');
  const alignedData = await prepare('all');

  // (a) the raw-pixel net at 32 px.
  for (const [crops, dir] of [
    ['box', boxData],
    ['aligned', alignedData],
  ] as const) {
    const data = featuresFromImages(await loadPrepared(dir, 32));
    for (const seed of seeds) {
      const r = await trainClassifier(data, { ...REFERENCE, seed, curves: false });
      rows.push({ net: 'raw pixels 32 px', crops, seed, ...pick(r.accuracy), seconds: r.seconds });
      console.error(`  pixels ${crops} seed ${seed}: test ${r.accuracy.test.toFixed(4)}`);
    }
  }

  // (b) the face-backbone head, on the default dataset (box crops and aligned_150.npz).
  for (const align of [false, true]) {
    const crops = align ? 'aligned' : 'box';
    for (const seed of seeds) {
      const r = await runTransfer({
        dataDir: boxData,
        outDir: join(work, `transfer-${crops}`),
        backbone: 'face',
        align,
        seed,
        baselineSide: false,
      });
      rows.push({
        net: 'face backbone head',
        crops,
        seed,
        ...pick(r.accuracy),
        seconds: r.seconds.head,
      });
      console.error(`  face ${crops} seed ${seed}: test ${r.accuracy.test.toFixed(4)}`);
    }
  }
} finally {
  await cache.cleanup();
  if (values.keep === undefined) await rm(work, { recursive: true, force: true });
}

printTable(rows);

function pick(a: { val: number; test: number }): { val: number; test: number } {
  return { val: a.val, test: a.test };
}

/** One line per run, then the mean and range per net and crops. */
function printTable(all: readonly Row[]): void {
  const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
  console.log('net                 | crops   | seed | val acc | test acc');
  console.log('--------------------|---------|------|---------|---------');
  for (const r of all) {
    console.log(
      `${r.net.padEnd(20)}| ${r.crops.padEnd(8)}| ${String(r.seed).padStart(4)} | ${pct(r.val).padStart(7)} | ${pct(r.test).padStart(7)}`,
    );
  }
  console.log('\nmean (min–max) over seeds');
  const groups = new Map<string, Row[]>();
  for (const r of all) groups.set(`${r.net}|${r.crops}`, [...(groups.get(`${r.net}|${r.crops}`) ?? []), r]);
  for (const [key, group] of groups) {
    const [net, crops] = key.split('|') as [string, string];
    const stat = (f: (r: Row) => number): string => {
      const xs = group.map(f);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      return `${pct(mean)} (${pct(Math.min(...xs))}–${pct(Math.max(...xs))})`;
    };
    console.log(
      `${net.padEnd(20)}| ${crops.padEnd(8)}| val ${stat((r) => r.val)} | test ${stat((r) => r.test)}`,
    );
  }
}
