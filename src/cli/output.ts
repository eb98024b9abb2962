/** Printing helpers for commands: human lines on stderr/stdout, one JSON summary line last on stdout. */
import { printable } from '../data/printable.js';

/** Prints the `--json` summary: one line, always the last line of stdout. */
export function printJson(summary: unknown): void {
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

/**
 * Prints a human-readable line to stdout (kept off when `--json` asks for machine output only on
 * stdout). Control characters are escaped: a line may quote a list's actor names or paths.
 */
export function say(line: string, json: boolean): void {
  const safe = printable(line, Number.POSITIVE_INFINITY);
  if (json) process.stderr.write(`${safe}\n`);
  else process.stdout.write(`${safe}\n`);
}

/** Rounds seconds for summaries. */
export function roundSeconds(ms: number): number {
  return Math.round(ms / 10) / 100;
}
