/**
 * Turns library `ProgressEvent`s into a progress bar on stderr — only when stderr is a TTY, so
 * logs and pipes stay clean. Warnings are printed as lines either way (unless quiet), with
 * control characters escaped (a warning may quote a hostile file's bytes), and after
 * `WARNINGS_PER_FILE` warnings about one file's lines (`file:line: …`) the rest are counted
 * and summarised in one line.
 */
import { printable } from '../data/printable.js';
import type { OnProgress, ProgressEvent } from '../progress.js';

/** Warnings shown about the lines of one file before the rest are only counted. */
export const WARNINGS_PER_FILE = 5;

/** The summaries of every printer of this process, for `flushWarningSummaries`. */
const summaries = new Set<() => void>();

/**
 * Prints every printer's pending "N more problems" lines now. The CLI calls it before a
 * command's error line and after its end: a command that fails right after its warnings has
 * no next progress event to print them.
 */
export function flushWarningSummaries(): void {
  for (const summarise of summaries) summarise();
  summaries.clear(); // the printers of ended commands are not kept alive
}

/** Options of `progressPrinter`. */
export interface ProgressPrinterOptions {
  /** Draw bars; default: `process.stderr.isTTY`. */
  bars?: boolean;
  /** Print warnings to stderr; default true. */
  warnings?: boolean;
  /** Where lines go; default `process.stderr`. */
  write?: (text: string) => void;
}

/** Returns an `OnProgress` callback that draws bars on stderr. */
export function progressPrinter(options: ProgressPrinterOptions = {}): OnProgress {
  const bars = options.bars ?? Boolean(process.stderr.isTTY);
  const warnings = options.warnings ?? true;
  const write = options.write ?? ((text: string) => void process.stderr.write(text));
  let lastDraw = 0;
  let drawn = false;
  const started = new Map<string, number>();
  const clear = (): void => {
    if (drawn) {
      write('\r\x1b[2K');
      drawn = false;
    }
  };
  // Warnings per file, and those not shown: summarised by the next event that is no warning
  // (the job's next task starting), so the summary follows the warnings it stands for, or by
  // `flushWarningSummaries` when the command ends first.
  const perFile = new Map<string, number>();
  const hidden = new Map<string, number>();
  const summarise = (): void => {
    if (hidden.size > 0) clear();
    for (const [file, count] of hidden) {
      write(`warning: ${printable(file, 200)}: ${count} more problems like these, not shown\n`);
    }
    hidden.clear();
  };
  summaries.add(summarise);
  return (event: ProgressEvent) => {
    if (event.kind === 'warning') {
      if (!warnings) return;
      const file = /^(.+?):\d+: /.exec(event.message)?.[1];
      if (file !== undefined) {
        const seen = (perFile.get(file) ?? 0) + 1;
        perFile.set(file, seen);
        if (seen > WARNINGS_PER_FILE) {
          hidden.set(file, (hidden.get(file) ?? 0) + 1);
          return;
        }
      }
      clear();
      write(`warning: ${printable(event.message, 400)}\n`);
      return;
    }
    summarise();
    if (!bars) return;
    if (event.kind === 'start') {
      started.set(event.task, Date.now());
      return;
    }
    if (event.kind === 'done') {
      clear();
      return;
    }
    const now = Date.now();
    if (now - lastDraw < 80 && event.done < event.total) return;
    lastDraw = now;
    const width = Math.max(10, Math.min(40, (process.stderr.columns ?? 80) - 50));
    const fraction = event.total > 0 ? Math.min(1, event.done / event.total) : 0;
    const filled = Math.round(fraction * width);
    const elapsed = (now - (started.get(event.task) ?? now)) / 1000;
    const eta = fraction > 0 ? (elapsed / fraction) * (1 - fraction) : 0;
    const detail = event.detail ? ` ${event.detail}` : '';
    const line = `${event.task.padEnd(9)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${event.done}/${event.total} ${elapsed.toFixed(0)}s eta ${eta.toFixed(0)}s${detail}`;
    write(`\r\x1b[2K${printable(line, (process.stderr.columns ?? 120) - 2)}`);
    drawn = true;
  };
}
