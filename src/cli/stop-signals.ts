/**
 * Ctrl-C and SIGTERM for long commands: the first signal aborts the job, which stops at its next
 * safe point (finished work is on disk, files are written atomically); a second signal, or a job
 * that has not stopped after a grace period, exits at once — still safe, only slower to resume.
 */
import { StoppedError } from '../errors.js';

/** Exit codes by signal, as shells report them. */
export const SIGNAL_EXIT: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };

/** A handle on the installed handlers. */
export interface StopSignals {
  /** Aborted on the first signal. */
  signal: AbortSignal;
  /** The signal received, if any. */
  readonly stoppedBy: NodeJS.Signals | undefined;
  /** Removes the handlers. */
  dispose(): void;
}

/**
 * Installs SIGINT/SIGTERM handlers for `command`.
 *
 * @param graceMs how long the job may take to stop after the first signal. Default 5000.
 */
export function handleStopSignals(command: string, graceMs = 5000): StopSignals {
  const controller = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  let timer: NodeJS.Timeout | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stoppedBy) process.exit(SIGNAL_EXIT[stoppedBy] ?? 1);
    stoppedBy = signal;
    process.stderr.write(
      `\nfacelab ${command}: ${signal}: stopping; finished work is kept and a re-run resumes (again to quit at once)\n`,
    );
    controller.abort(new StoppedError(`stopped by ${signal}`));
    timer = setTimeout(() => process.exit(SIGNAL_EXIT[signal] ?? 1), graceMs);
    timer.unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    get stoppedBy() {
      return stoppedBy;
    },
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (timer) clearTimeout(timer);
    },
  };
}
