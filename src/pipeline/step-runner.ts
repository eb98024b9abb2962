/**
 * Runs the steps of a pipeline in order, skipping the ones whose work is already done: a step
 * is skipped when `run.json` records it `done` with the same options, each of its outputs exists,
 * and the oldest output is no older than the newest input. Otherwise it runs, and is recorded
 * `running` before and `done` after (outputs complete), so a run killed at any moment resumes
 * at the step it was in. Steps write their files atomically, so what a killed step left behind
 * is either whole or absent, and the step's own resumption (cached photos, stored grid runs,
 * cached features) saves what it had finished.
 */
import { stat } from 'node:fs/promises';
import { relative } from 'node:path';
import { type RunState, type StepName, type StepOutcome, writeRunState } from './run-state.js';

/** One step of the pipeline. */
export interface PipelineStep {
  name: StepName;
  /** What the step's outputs depend on besides its input files (JSON-comparable). */
  options: unknown;
  /** Files the step reads (absolute paths); outputs older than any of them are stale. */
  inputs(): string[] | Promise<string[]>;
  /** Files that exist when the step is complete (absolute paths). */
  outputs(): string[] | Promise<string[]>;
  /** Does the work; may return a few numbers for `run.json`. */
  run(): Promise<Record<string, unknown> | undefined>;
}

/** A step starting, skipped or finished, for progress displays. */
export type StepEvent =
  | { kind: 'skip'; step: StepName; index: number; total: number; reason: string }
  | { kind: 'start'; step: StepName; index: number; total: number; reason: string }
  | {
      kind: 'done';
      step: StepName;
      index: number;
      total: number;
      seconds: number;
      /** What the step returned (as recorded in run.json). */
      summary: Record<string, unknown> | undefined;
    };

/** Options of `runSteps`. */
export interface RunStepsOptions {
  /** The run folder (outputs are recorded relative to it). */
  root: string;
  /** `run.json`'s path. */
  statePath: string;
  /** The state read at the start (updated in place and rewritten after every change). */
  state: RunState;
  steps: readonly PipelineStep[];
  /** Checked before each step. */
  signal?: AbortSignal;
  onStep?: (event: StepEvent) => void;
}

/** Runs or skips every step; resolves to what happened to each. */
export async function runSteps(options: RunStepsOptions): Promise<Record<string, StepOutcome>> {
  const { state, steps, statePath } = options;
  const outcomes: Record<string, StepOutcome> = {};
  for (const [index, step] of steps.entries()) {
    options.signal?.throwIfAborted();
    const where = { step: step.name, index: index + 1, total: steps.length };
    const stale = await whyStale(step, state);
    const outputs = (await step.outputs()).map((p) => relative(options.root, p));
    if (stale === undefined) {
      outcomes[step.name] = 'skipped';
      state.steps[step.name] = { ...state.steps[step.name]!, outcome: 'skipped' };
      await writeRunState(statePath, state);
      options.onStep?.({ kind: 'skip', ...where, reason: 'outputs complete and up to date' });
      continue;
    }
    options.onStep?.({ kind: 'start', ...where, reason: stale });
    const started = Date.now();
    state.steps[step.name] = {
      status: 'running',
      outcome: 'ran',
      options: step.options,
      started: new Date(started).toISOString(),
      outputs,
    };
    await writeRunState(statePath, state);
    let summary: Record<string, unknown> | undefined;
    try {
      summary = await step.run();
    } catch (error) {
      const aborted = options.signal?.aborted === true;
      state.steps[step.name] = {
        ...state.steps[step.name]!,
        // An interrupted step is simply unfinished; it runs again next time either way.
        status: aborted ? 'running' : 'failed',
        ...(aborted ? {} : { finished: new Date().toISOString() }),
        error: error instanceof Error ? error.message : String(error),
      };
      await writeRunState(statePath, state);
      throw error;
    }
    const seconds = Math.round((Date.now() - started) / 10) / 100;
    const written = (await step.outputs()).map((p) => relative(options.root, p));
    state.steps[step.name] = {
      status: 'done',
      outcome: 'ran',
      options: step.options,
      started: new Date(started).toISOString(),
      finished: new Date().toISOString(),
      seconds,
      outputs: written,
      ...(summary ? { summary } : {}),
    };
    await writeRunState(statePath, state);
    outcomes[step.name] = 'ran';
    options.onStep?.({ kind: 'done', ...where, seconds, summary });
  }
  return outcomes;
}

/** Why the step must run, or undefined when its recorded outputs are complete and current. */
async function whyStale(step: PipelineStep, state: RunState): Promise<string | undefined> {
  const record = state.steps[step.name];
  if (!record) return 'first run in this folder';
  if (record.status === 'running') return 'interrupted last time';
  if (record.status === 'failed') return 'failed last time';
  if (JSON.stringify(record.options) !== JSON.stringify(step.options)) return 'options changed';
  let oldestOutput = Number.POSITIVE_INFINITY;
  for (const path of await step.outputs()) {
    const time = await mtimeOf(path);
    if (time === undefined) return `${path} is missing`;
    oldestOutput = Math.min(oldestOutput, time);
  }
  for (const path of await step.inputs()) {
    const time = await mtimeOf(path);
    if (time === undefined) return `its input ${path} is missing`;
    if (time > oldestOutput) return `${path} changed since`;
  }
  return undefined;
}

async function mtimeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return undefined;
  }
}
