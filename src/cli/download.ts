/**
 * `facelab download`: fetch and verify the photos of a FaceScrub list into a cache.
 * SIGINT/SIGTERM stop new requests, write the manifest and exit with 130/143.
 */
import { resolve } from 'node:path';
import { downloadPhotos } from '../data/download.js';
import { readFaceList } from '../data/face-list.js';
import { DEFAULT_MAX_BYTES } from '../data/fetch-photo.js';
import { manifestPath } from '../data/manifest.js';
import { parseMirrorBase } from '../data/mirror-url.js';
import {
  type FlagSpec,
  intFlag,
  nameListFlag,
  numberFlag,
  optionalString,
  parseCommand,
  requireString,
} from './args.js';
import type { Command } from './command.js';
import { printJson, roundSeconds, say } from './output.js';
import { progressPrinter } from './progress-bar.js';

/** Cache folder used when `--cache` is not given (relative to the working directory). */
export const DEFAULT_CACHE = '.facelab-cache';

const flags: Record<string, FlagSpec> = {
  subset: { type: 'string', help: 'FaceScrub list file (tab-separated)' },
  actors: { type: 'string', help: 'comma-separated actor names to keep', default: 'everyone in the list' },
  mirror: { type: 'string', help: 'fetch URL/HOST/PATH?QUERY instead of each http(s)://HOST/PATH?QUERY' },
  cache: {
    type: 'string',
    help: 'cache folder: photos/<sha256>.<ext> and manifest.json',
    default: `${DEFAULT_CACHE} in the current folder`,
  },
  concurrency: { type: 'string', help: 'downloads at the same time', default: '8' },
  timeout: { type: 'string', help: 'seconds of silence before a request times out', default: '30' },
  retries: { type: 'string', help: 'retries after a timeout, 5xx, 429 or connection error', default: '3' },
  'max-mb': {
    type: 'string',
    help: 'largest photo accepted, in MB',
    default: String(DEFAULT_MAX_BYTES >> 20),
  },
};

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

const USAGE = '--subset FILE [options]';
const DESCRIPTION = `Downloads each photo of the list once, keeps it only if its SHA-256 matches the list, and
records every line as verified, duplicate or failed (with the reason) in <cache>/manifest.json.
Re-running skips photos already verified in the cache.`;

/** The `download` command. */
export const command: Command = {
  name: 'download',
  summary: 'download the photos of a FaceScrub list and verify their SHA-256',
  async run(argv) {
    const parsed = parseCommand({ name: 'download', usage: USAGE, description: DESCRIPTION, flags }, argv);
    if (!parsed) return 0;
    const { values, json } = parsed;
    const subset = requireString(values, 'subset');
    const actors = nameListFlag(values, 'actors');
    const mirrorFlag = optionalString(values, 'mirror');
    const mirror = mirrorFlag === undefined ? undefined : parseMirrorBase(mirrorFlag);
    const cacheDir = optionalString(values, 'cache') ?? DEFAULT_CACHE;
    const concurrency = intFlag(values, 'concurrency', 8, 1, 256);
    const timeoutMs = Math.round(numberFlag(values, 'timeout', 30) * 1000);
    const retries = intFlag(values, 'retries', 3, 0, 10);
    const maxBytes = Math.round(numberFlag(values, 'max-mb', DEFAULT_MAX_BYTES / 2 ** 20) * 2 ** 20);

    const started = Date.now();
    const list = await readFaceList(subset, actors ? { actors } : {});
    const onProgress = progressPrinter();
    const malformed = list.problems.filter((p) => p.line > 0).length;
    for (const problem of list.problems)
      onProgress({ kind: 'warning', task: 'download', message: problem.message });

    const controller = new AbortController();
    let stoppedBy: string | undefined;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stoppedBy) process.exit(SIGNAL_EXIT[stoppedBy] ?? 1);
      stoppedBy = signal;
      process.stderr.write(`\nfacelab download: ${signal}, writing the manifest (again to quit at once)\n`);
      controller.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let summary: Awaited<ReturnType<typeof downloadPhotos>>;
    try {
      summary = await downloadPhotos({
        lines: list.lines,
        list: subset,
        cacheDir,
        ...(mirror !== undefined ? { mirror } : {}),
        concurrency,
        timeoutMs,
        retries,
        maxBytes,
        signal: controller.signal,
        onProgress,
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    const seconds = roundSeconds(Date.now() - started);

    const failedTotal = Object.values(summary.failed).reduce((a, b) => a + b, 0);
    const rows: [string, string][] = [
      ['lines', `${summary.lines}${malformed ? `  (+${malformed} malformed, skipped)` : ''}`],
      [
        'verified',
        `${summary.verified}  (${summary.photos} photos, ${summary.duplicates} duplicate lines, ${summary.cached} already cached)`,
      ],
      ['failed', String(failedTotal)],
      ...Object.entries(summary.failed)
        .sort((a, b) => b[1] - a[1])
        .map(([reason, count]): [string, string] => [`  ${reason}`, String(count)]),
      ...(summary.unfinished ? [['unfinished', String(summary.unfinished)] as [string, string]] : []),
      ['manifest', manifestPath(resolve(cacheDir))],
      ['seconds', String(seconds)],
    ];
    for (const [label, value] of rows) say(`${label.padEnd(22)} ${value}`, json);
    if (json) {
      printJson({
        lines: summary.lines,
        verified: summary.verified,
        duplicates: summary.duplicates,
        photos: summary.photos,
        failed: summary.failed,
        malformed,
        ...(summary.interrupted ? { unfinished: summary.unfinished } : {}),
        seconds,
      });
    }
    return stoppedBy ? (SIGNAL_EXIT[stoppedBy] ?? 1) : 0;
  },
};
