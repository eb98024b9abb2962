/**
 * `npm run bench`: every benchmark of facelab, one after the other, each in its own Node
 * process (so one benchmark's memory and threads do not colour the next), on this machine:
 *
 * - download: 16 concurrent downloads vs one at a time through a slow loopback mirror;
 * - data: `prepare` (32 + 227 px crops) vs the reference study's PyTorch/PIL loader;
 * - train: the machine's floor for one 200-epoch run and the 81-point grid, measured, and
 *   facelab's times as ratios to it (both trainers); the same run and grid vs PyTorch, plus
 *   GFLOP/s; a 530-person synthetic grid's time and peak memory;
 * - features: AlexNet pool5 vs torchvision, the face backbone vs face-api (TF.js WASM);
 * - detect: the SSD and tiny face detectors vs face-api's own (TF.js WASM), decode excluded;
 * - align: 68 landmarks + 150 px alignment vs face-api's landmarks (TF.js WASM), decode excluded;
 * - photos: the whole folder pipeline (`prepare --photos`: detect, align, crop) in photos/s vs
 *   the same photos prepared from their listed boxes.
 *
 * Each benchmark prints its own table; this script then prints the machine, the date and one
 * summary line per measured ratio, and writes every JSON line to `bench-results.json` (or the
 * path given with `--out`) so the README's tables can be refreshed from one file.
 *
 * Run: npm run bench [-- --only data,train] [-- --out FILE] [-- --quick]
 * (`--quick` passes `--skip-peer-grid` to the training benchmark: PyTorch's 81-point grid alone
 * takes about ten minutes.)
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';

/** The scripts of each benchmark, run one after the other. */
const BENCHES: Record<string, string[]> = {
  download: ['bench/download.ts'],
  data: ['bench/data.ts'],
  train: ['bench/train-floor.ts', 'bench/train.ts', 'bench/train-scale.ts'],
  features: ['bench/features.ts'],
  detect: ['bench/detect.ts'],
  align: ['bench/align.ts'],
  photos: ['bench/photos.ts'],
};

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    out: { type: 'string', default: 'bench-results.json' },
    quick: { type: 'boolean', default: false },
  },
});
const selected = values.only ? values.only.split(',').map((s) => s.trim()) : Object.keys(BENCHES);
for (const name of selected) {
  if (!(name in BENCHES)) {
    console.error(`bench: unknown benchmark '${name}' (known: ${Object.keys(BENCHES).join(', ')})`);
    process.exit(2);
  }
}

/** Runs one benchmark's scripts, echoing their output, and returns the JSON objects they printed. */
async function runBench(name: string): Promise<{ code: number; records: Record<string, unknown>[] }> {
  const records: Record<string, unknown>[] = [];
  let code = 0;
  for (const script of BENCHES[name]!) {
    const args = [script];
    if (script === 'bench/train.ts' && values.quick) args.push('--skip-peer-grid');
    code = Math.max(code, await runScript(name, args, records));
  }
  return { code, records };
}

/** Runs one script, echoing its output and collecting the JSON objects it prints. */
async function runScript(name: string, args: string[], records: Record<string, unknown>[]): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const text = line.trim();
      if (!text.startsWith('{')) continue;
      try {
        records.push({ suite: name, ...(JSON.parse(text) as Record<string, unknown>) });
      } catch {
        // A table line that happens to start with a brace: not a record.
      }
    }
  });
  return new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
}

const machine = {
  date: new Date().toISOString(),
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  loadBefore: loadavg().map((l) => Math.round(l * 100) / 100),
};
console.log(
  `facelab benchmarks — ${machine.date} — ${machine.cores} × ${machine.cpu}, ${machine.memoryGiB} GiB`,
);

const all: Record<string, unknown>[] = [];
const failures: string[] = [];
for (const name of selected) {
  console.log(`\n━━━ ${name} ━━━`);
  const started = performance.now();
  const { code, records } = await runBench(name);
  const seconds = (performance.now() - started) / 1000;
  all.push(...records);
  if (code !== 0) failures.push(`${name} (exit ${code})`);
  console.log(`(${name}: ${seconds.toFixed(0)} s)`);
}

console.log('\n━━━ summary: ratios measured in this run ━━━');
for (const record of all) {
  const bench = String(record.bench ?? '');
  if (!bench.endsWith('ratio') && !bench.endsWith('speedup')) continue;
  const { suite, bench: _name, ...rest } = record;
  console.log(`${String(suite).padEnd(9)} ${bench.padEnd(22)} ${JSON.stringify(rest)}`);
}
await writeFile(
  values.out,
  `${JSON.stringify({ machine: { ...machine, loadAfter: loadavg() }, results: all }, null, 1)}\n`,
);
console.log(`\nevery measurement: ${values.out}`);
if (failures.length > 0) {
  console.error(`bench: failed: ${failures.join(', ')}`);
  process.exit(1);
}
