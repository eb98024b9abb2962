/**
 * `facelab prepare (--photos DIR | --labels FILE.csv | --subset FILE [--actors LIST] [--cache DIR])
 * --out DIR [--sizes 32,227] [--seed N] [--align] [--detector ssd|tiny] [--json]`: finds the face
 * of every photo (the given box, else the detector's), crops it, writes `faces_<side>.npz` per
 * size, `aligned_150.npz` and `split.json`. With `--json` the last stdout line is
 * `{"photos":…,"sizes":[…],"split":{"train":…,"val":…,"test":…},"seconds":…,"left_out":{reason:count}}`
 * plus `"unused"` when people have surplus photos and `"failed":{reason:count}` when crops failed.
 */
import { DEFAULT_SIDES } from '../data/crop.js';
import {
  DEFAULT_CACHE_DIR,
  type PrepareOptions,
  type PrepareResult,
  prepareDataset,
} from '../data/prepare.js';
import { DETECTOR_KINDS, type DetectorKind } from '../detect/face-detector.js';
import { InvalidOptionError, UserError } from '../errors.js';
import { lockOutputFolder } from '../pipeline/output-lock.js';
import {
  type FlagSpec,
  intFlag,
  intListFlag,
  nameListFlag,
  optionalString,
  type ParsedArgs,
  parseCommand,
  requireString,
} from './args.js';
import type { Command } from './command.js';
import { printJson, roundSeconds, say } from './output.js';
import { progressPrinter } from './progress-bar.js';

const flags: Record<string, FlagSpec> = {
  photos: {
    type: 'string',
    help: 'a folder per person: DIR/<person>/<photo> (the folder name is the label)',
    value: 'DIR',
  },
  labels: {
    type: 'string',
    help: 'a CSV of path,person[,x1,y1,x2,y2] lines (paths relative to the CSV)',
    value: 'FILE.csv',
  },
  subset: { type: 'string', help: 'a FaceScrub list the cache was downloaded from' },
  actors: {
    type: 'string',
    help: 'with --subset: comma-separated actor names',
    default: 'everyone in the list',
  },
  cache: { type: 'string', help: 'with --subset: download cache folder', default: DEFAULT_CACHE_DIR },
  align: {
    type: 'boolean',
    help: "make faces_<side>.npz aligned crops too (eyes level, fixed place and scale); without it they are the study's box crops",
  },
  detector: {
    type: 'string',
    help: 'face detector for photos without a box: ssd (accurate) or tiny (fast)',
    default: 'ssd',
    value: 'NAME',
  },
  out: { type: 'string', help: 'folder for faces_<side>.npz and split.json' },
  sizes: { type: 'string', help: 'crop sides in pixels, comma-separated', default: DEFAULT_SIDES.join(',') },
  seed: { type: 'string', help: 'seed of the train/val/test split', default: '1' },
};

const USAGE =
  '(--photos DIR | --labels FILE.csv | --subset FILE [--actors LIST] [--cache DIR]) --out DIR [--sizes 32,227] [--seed N] [--align] [--detector ssd|tiny] [--json]';
const DESCRIPTION = `Makes a dataset from labelled photos: a folder per person (--photos), a labels CSV (--labels)
or a downloaded FaceScrub list (--subset). Each photo is identified by its SHA-256 (the same photo
twice is used once). Its face is the box given with it, else the one the face detector finds
(a photo with no face, or with two faces too close in size to choose, is left out). The face is
cropped (no EXIF rotation, alpha dropped, gray to RGB, Pillow-exact BILINEAR resize) at every
size, and also aligned from its 68 landmarks for the face backbone (aligned_150.npz). Each
person's photos are split 70/20/20 by SHA-256 with the seed. Files that are not photos, empty
or truncated files and photos without a usable face are left out with their reason (in the
summary and split.json), never fatal.`;

/** Left-out photos listed one per line in the summary; the rest are in split.json. */
const MAX_LISTED = 20;

/** The one source of photos the flags name, as `prepareDataset` options. */
function sourceOptions(values: ParsedArgs['values']): Pick<PrepareOptions, 'list' | 'photosDir' | 'labels'> {
  const photosDir = optionalString(values, 'photos');
  const labels = optionalString(values, 'labels');
  const list = optionalString(values, 'subset');
  const given = [photosDir, labels, list].filter((v) => v !== undefined).length;
  if (given !== 1) {
    throw new UserError(
      'give one source of photos: --photos DIR, --labels FILE.csv or --subset FILE (see facelab prepare --help)',
    );
  }
  return {
    ...(photosDir !== undefined ? { photosDir } : {}),
    ...(labels !== undefined ? { labels } : {}),
    ...(list !== undefined ? { list } : {}),
  };
}

/** `--detector ssd|tiny`. */
export function detectorFlag(values: ParsedArgs['values']): DetectorKind {
  const name = optionalString(values, 'detector') ?? 'ssd';
  if (!DETECTOR_KINDS.includes(name as DetectorKind))
    throw new InvalidOptionError('--detector', DETECTOR_KINDS.join(' | '), name);
  return name as DetectorKind;
}

/** The `prepare` command. */
export const command: Command = {
  name: 'prepare',
  summary:
    'a dataset from a folder per person, a labels CSV or a FaceScrub list: faces found, cropped, aligned, split',
  async run(argv: string[]): Promise<number> {
    const parsed = parseCommand({ name: 'prepare', usage: USAGE, description: DESCRIPTION, flags }, argv);
    if (!parsed) return 0;
    const { values, json } = parsed;
    const outDir = requireString(values, 'out');
    const actors = nameListFlag(values, 'actors');
    const cacheDir = optionalString(values, 'cache');
    const lock = await lockOutputFolder(outDir);
    try {
      const started = Date.now();
      const result = await prepareDataset({
        ...sourceOptions(values),
        outDir,
        ...(cacheDir !== undefined ? { cacheDir } : {}),
        detector: detectorFlag(values),
        ...(values.align === true ? { align: 'all' as const } : {}),
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
          left_out: result.leftOutCounts,
        });
      }
      return 0;
    } finally {
      await lock.release();
    }
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
  const listed = result.notDownloaded + result.listProblems > 0;
  lines.push(
    `${result.photos} photos cropped at ${result.sizes.join(', ')} px (${result.detected} faces found by the detector)` +
      (listed
        ? `; ${result.notDownloaded} list lines without a verified photo; ${result.listProblems} malformed list lines`
        : ''),
  );
  if (result.leftOut.length > 0) {
    const reasons = Object.entries(result.leftOutCounts).map(([reason, n]) => `${reason}: ${n}`);
    lines.push(
      `${result.leftOut.length} left out (${reasons.join(', ')}); each with its reason in split.json:`,
    );
    for (const record of result.leftOut.slice(0, MAX_LISTED)) lines.push(`  ${record.message}`);
    if (result.leftOut.length > MAX_LISTED) lines.push(`  … and ${result.leftOut.length - MAX_LISTED} more`);
  }
  return lines;
}
