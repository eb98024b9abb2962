/**
 * `facelab` entry point: dispatches to a command, and turns errors into one clear line with
 * exit code 2 for user errors (1 for anything else); stack traces only with `--verbose`.
 */
import { UserError } from '../errors.js';
import { FACELAB_VERSION } from '../version.js';
import type { Command } from './command.js';
import { flushWarningSummaries } from './progress-bar.js';

type Loader = () => Promise<Command>;

/** Commands in the order of the pipeline; loaded lazily so `--help` stays instant. */
const commands: Record<string, { summary: string; load: Loader }> = {
  download: {
    summary: 'download the photos of a FaceScrub list and verify their SHA-256',
    load: async () => (await import('./download.js')).command,
  },
  detect: {
    summary: 'find every face in photos (box and score), optionally drawn on the photos',
    load: async () => (await import('./detect.js')).command,
  },
  prepare: {
    summary:
      'a dataset from a folder per person, a labels CSV or a FaceScrub list: faces found, cropped, aligned, split',
    load: async () => (await import('./prepare.js')).command,
  },
  train: {
    summary: 'train the fully connected classifier on prepared crops (ONNX Runtime)',
    load: async () => (await import('./train.js')).command,
  },
  grid: {
    summary: 'grid search over epochs, batch, hidden units and learning rate, in parallel',
    load: async () => (await import('./grid.js')).command,
  },
  features: {
    summary: 'extract backbone features (face, AlexNet, any ONNX model) of a prepared dataset',
    load: async () => (await import('./features.js')).command,
  },
  transfer: {
    summary: 'train the classifier on backbone features and compare with raw pixels',
    load: async () => (await import('./transfer.js')).command,
  },
  predict: {
    summary: 'the most likely actors of photos, with probabilities, from a trained model',
    load: async () => (await import('./predict.js')).command,
  },
  units: {
    summary: "draw the hidden units that fire most for an actor (the net's learned features)",
    load: async () => (await import('./units.js')).command,
  },
  report: {
    summary: 'write one self-contained report.html of a run (opens from disk, no network)',
    load: async () => (await import('./report.js')).command,
  },
  run: {
    summary: 'the whole pipeline, resumable: download, prepare, grid, units, transfer, report',
    load: async () => (await import('./run.js')).command,
  },
  demo: {
    summary: 'the whole pipeline offline on six synthetic people (no data, no network needed)',
    load: async () => (await import('./demo.js')).command,
  },
};

function mainHelp(): string {
  const rows = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `facelab — labelled face photos in, a trained, inspected, portable (ONNX) face classifier out.

Usage: facelab <command> [options]      (facelab <command> --help for its options)

Commands:
${rows.join('\n')}
`;
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const verbose = rest.includes('--verbose');
  if (name === 'help' && rest[0] !== undefined && rest[0] in commands) return main([rest[0], '--help']);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    process.stdout.write(`facelab ${FACELAB_VERSION}\n`);
    return 0;
  }
  const entry = commands[name];
  if (!entry) {
    process.stderr.write(`facelab: unknown command '${name}' (facelab --help lists the commands)\n`);
    return 2;
  }
  try {
    const command = await entry.load();
    const code = await command.run(rest);
    flushWarningSummaries();
    return code;
  } catch (error) {
    flushWarningSummaries();
    const pathProblem = userPathProblem(error);
    const isUser = error instanceof UserError || pathProblem !== undefined;
    const message = pathProblem ?? (error instanceof Error ? error.message : String(error));
    process.stderr.write(`facelab ${name}: ${isUser ? '' : 'error: '}${message}\n`);
    if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    return isUser ? 2 : 1;
  }
}

/** System error codes that mean the user named a path that cannot be used as given. */
const PATH_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'is a folder, not a file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EEXIST: 'a file is in the way of a folder',
};

/**
 * One clear line for a file-system error on a path the user gave (e.g. `--out` under a file or
 * in a read-only folder): these are user errors (exit 2), not crashes. Undefined for anything else.
 */
function userPathProblem(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, path } = error as NodeJS.ErrnoException;
  if (code === undefined || path === undefined || !(code in PATH_ERRORS)) return undefined;
  return `cannot use ${path}: ${PATH_ERRORS[code]} (${code})`;
}
