/** Printing helpers for commands: human lines on stderr/stdout, one JSON summary line last on stdout. */

/** Prints the `--json` summary: one line, always the last line of stdout. */
export function printJson(summary: unknown): void {
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

/** Prints a human-readable line to stdout (kept off when `--json` asks for machine output only on stdout). */
export function say(line: string, json: boolean): void {
  if (json) process.stderr.write(`${line}\n`);
  else process.stdout.write(`${line}\n`);
}

/** Rounds seconds for summaries. */
export function roundSeconds(ms: number): number {
  return Math.round(ms / 10) / 100;
}
