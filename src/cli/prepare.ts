/**
 * `facelab prepare --subset FILE [--actors LIST] [--cache DIR] --out DIR [--sizes 32,227]
 * [--seed N] [--json]`: crops what `download` verified, writes `faces_<side>.npz` per size and
 * `split.json`. With `--json` the last stdout line is
 * `{"photos":…,"sizes":[…],"split":{"train":…,"val":…,"test":…},"seconds":…}` plus
 * `"unused"` when actors have surplus photos and `"failed":{reason:count}` when crops failed.
 */
import { DEFAULT_SIDES } from '../data/crop.js';
import { DEFAULT_CACHE_DIR, type PrepareResult, prepareDataset } from '../data/prepare.js';
import {
  type FlagSpec,
  intFlag,
  intListFlag,
  nameListFlag,
  optionalString,
  parseCommand,
  requireString,
} from './args.js';
import type { Command } from './command.js';
import { printJson, roundSeconds, say } from './output.js';
import { progressPrinter } from './progress-bar.js';

const flags: Record<string, FlagSpec> = {
  subset: { type: 'string', help: 'the FaceScrub list the cache was downloaded from' },
  actors: { type: 'string', help: 'comma-separated actor names', default: 'everyone in the list' },
  cache: { type: 'string', help: 'download cache folder', default: DEFAULT_CACHE_DIR },
  out: { type: 'string', help: 'folder for faces_<side>.npz and split.json' },
  sizes: { type: 'string', help: 'crop sides in pixels, comma-separated', default: DEFAULT_SIDES.join(',') },
  seed: { type: 'string', help: 'seed of the train/val/test split', default: '1' },
};

const USAGE = '--subset FILE [--actors LIST] [--cache DIR] --out DIR [--sizes 32,227] [--seed N] [--json]';
const DESCRIPTION = `Crops the face box of every verified photo (no EXIF rotation, alpha dropped, gray to RGB,
Pillow-exact BILINEAR resize), splits each actor's photos 70/20/20 by SHA-256 with the seed,
and writes one .npz per size plus split.json. Photos that fail to crop are recorded, not fatal.`;

/** The `prepare` command. */
export const command: Command = {
  name: 'prepare',
  summary: 'crop verified photos, resize, split and cache as .npz',
  async run(argv: string[]): Promise<number> {
    const parsed = parseCommand({ name: 'prepare', usage: USAGE, description: DESCRIPTION, flags }, argv);
    if (!parsed) return 0;
    const { values, json } = parsed;
    const list = requireString(values, 'subset');
    const outDir = requireString(values, 'out');
    const actors = nameListFlag(values, 'actors');
    const started = Date.now();
    const result = await prepareDataset({
      list,
      outDir,
      cacheDir: optionalString(values, 'cache') ?? DEFAULT_CACHE_DIR,
      sizes: intListFlag(values, 'sizes', [...DEFAULT_SIDES]),
      seed: intFlag(values, 'seed', 1, 0, 0xffffffff),
      ...(actors ? { actors } : {}),
      onProgress: progressPrinter(),
    });
    const seconds = roundSeconds(Date.now() - started);
    for (const line of summaryTable(result)) say(line, json);
    say(`wrote ${result.files.join(', ')} in ${seconds} s`, json);
    if (json) {
      const { train, val, test, unused } = result.split;
      printJson({
        photos: result.photos,
        sizes: result.sizes,
        split: { train, val, test },
        seconds,
        ...(unused > 0 ? { unused } : {}),
        ...(result.failures.length > 0 ? { failed: result.failed } : {}),
      });
    }
    return 0;
  },
};

/** Photos per actor × part, then totals, skipped lines and failures. */
function summaryTable(result: PrepareResult): string[] {
  const columns = ['train', 'val', 'test', 'unused'] as const;
  const width = Math.max(5, ...result.actors.map((a) => a.length));
  const row = (name: string, cells: number[]): string =>
    `${name.padEnd(width)}  ${cells.map((c) => String(c).padStart(8)).join('')}`;
  const lines = [`${''.padEnd(width)}  ${columns.map((c) => c.padStart(8)).join('')}`];
  for (const actor of result.actors) {
    const counts = result.counts[actor]!;
    lines.push(
      row(
        actor,
        columns.map((c) => counts[c]),
      ),
    );
  }
  lines.push(
    row(
      'total',
      columns.map((c) => result.split[c]),
    ),
  );
  lines.push(
    `${result.photos} photos cropped at ${result.sizes.join(', ')} px; ${result.notDownloaded} list lines without a verified photo; ${result.listProblems} malformed list lines`,
  );
  if (result.failures.length > 0) {
    const reasons = Object.entries(result.failed).map(([reason, n]) => `${reason}: ${n}`);
    lines.push(`${result.failures.length} photos failed to crop (${reasons.join(', ')}); see split.json`);
  }
  return lines;
}
