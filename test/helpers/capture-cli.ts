/**
 * Runs the facelab CLI in-process and captures what it prints. Only string writes are captured:
 * the CLI writes strings, while the test runner streams its own (binary) reports through the
 * same process.stdout and must not be swallowed.
 */
import { main } from '../../src/cli/main.js';

/** Exit code and printed text of one CLI call. */
export interface CliOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `facelab <args>` in this process. */
export async function runCli(args: string[]): Promise<CliOutput> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const writeOut = process.stdout.write;
  const writeErr = process.stderr.write;
  const capture = (into: string[], original: typeof writeOut, stream: NodeJS.WriteStream) =>
    ((chunk: string | Uint8Array, ...rest: never[]) =>
      typeof chunk === 'string'
        ? into.push(chunk) > 0
        : original.call(stream, chunk, ...rest)) as typeof writeOut;
  process.stdout.write = capture(stdout, writeOut, process.stdout);
  process.stderr.write = capture(stderr, writeErr, process.stderr);
  try {
    const code = await main(args);
    return { code, stdout: stdout.join(''), stderr: stderr.join('') };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
  }
}

/** The JSON object on the last line of stdout (the `--json` contract). */
export function lastJson(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}
