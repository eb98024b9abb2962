/**
 * Progress reporting. Library code never prints: long jobs call `onProgress?.(event)` and only
 * `src/cli/` turns those events into bars or log lines.
 */

/** One event of a long-running job. `task` names the job ("download", "crop", "grid"…). */
export type ProgressEvent =
  | { kind: 'start'; task: string; total: number }
  | { kind: 'advance'; task: string; done: number; total: number; detail?: string }
  | { kind: 'done'; task: string }
  | { kind: 'warning'; task: string; message: string };

/** Callback receiving progress events; optional everywhere. */
export type OnProgress = (event: ProgressEvent) => void;
