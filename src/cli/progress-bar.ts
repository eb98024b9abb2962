/**
 * Turns library `ProgressEvent`s into a progress bar on stderr — only when stderr is a TTY, so
 * logs and pipes stay clean. Warnings are printed as lines either way (unless quiet).
 */
import type { OnProgress, ProgressEvent } from '../progress.js';

/** Options of `progressPrinter`. */
export interface ProgressPrinterOptions {
  /** Draw bars; default: `process.stderr.isTTY`. */
  bars?: boolean;
  /** Print warnings to stderr; default true. */
  warnings?: boolean;
}

/** Returns an `OnProgress` callback that draws bars on stderr. */
export function progressPrinter(options: ProgressPrinterOptions = {}): OnProgress {
  const bars = options.bars ?? Boolean(process.stderr.isTTY);
  const warnings = options.warnings ?? true;
  let lastDraw = 0;
  let drawn = false;
  const started = new Map<string, number>();
  const clear = (): void => {
    if (drawn) {
      process.stderr.write('\r\x1b[2K');
      drawn = false;
    }
  };
  return (event: ProgressEvent) => {
    if (event.kind === 'warning') {
      if (!warnings) return;
      clear();
      process.stderr.write(`warning: ${event.message}\n`);
      return;
    }
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
    process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns ?? 120) - 1)}`);
    drawn = true;
  };
}
