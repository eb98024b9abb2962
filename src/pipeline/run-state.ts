/**
 * `run.json`: what a `facelab run` did so far, rewritten atomically after every change of a
 * step's state, so a killed run leaves the state of its last finished step. A step is `done`
 * only after every output was written; a step found `running` was interrupted and runs again.
 */
import { readFile } from 'node:fs/promises';
import { writeJsonAtomic } from '../data/atomic-file.js';

/** The steps of the pipeline, in order. */
export const STEP_NAMES = ['download', 'prepare', 'grid', 'units', 'transfer', 'report'] as const;

/** One step of the pipeline. */
export type StepName = (typeof STEP_NAMES)[number];

/** What happened to a step in the latest invocation. */
export type StepOutcome = 'ran' | 'skipped';

/** The record of one step. */
export interface StepRecord {
  /** 'running' while it runs (or after it was killed), 'done' once its outputs are complete. */
  status: 'running' | 'done' | 'failed';
  /** Whether the latest invocation ran the step or found it complete. */
  outcome: StepOutcome;
  /** The options the outputs were made with; a step with other options runs again. */
  options: unknown;
  /** ISO time the step last started running. */
  started: string;
  /** ISO time it last finished (status 'done' or 'failed'). */
  finished?: string;
  /** Seconds of its last run. */
  seconds?: number;
  /** Its output files, relative to the run folder. */
  outputs: string[];
  /** A few numbers worth keeping (e.g. accuracies), step-specific. */
  summary?: Record<string, unknown>;
  /** The error of a failed run. */
  error?: string;
}

/** The content of `run.json`. */
export interface RunState {
  version: 1;
  /** The FaceScrub list (absolute path). */
  list: string;
  /** The options of the latest invocation (what `facelab run` was asked). */
  options: Record<string, unknown>;
  /** ISO time of the first invocation. */
  created: string;
  /** ISO time of the last write. */
  updated: string;
  steps: Partial<Record<StepName, StepRecord>>;
}

/**
 * Reads `run.json`; undefined when it is missing or not a state this version wrote (the run then
 * starts its bookkeeping afresh, and every step runs).
 */
export async function readRunState(path: string): Promise<RunState | undefined> {
  try {
    const state = JSON.parse(await readFile(path, 'utf8')) as RunState;
    if (state.version !== 1 || typeof state.steps !== 'object' || state.steps === null) return undefined;
    return state;
  } catch {
    return undefined;
  }
}

/** Writes `run.json` atomically, stamping `updated`. */
export async function writeRunState(path: string, state: RunState): Promise<void> {
  state.updated = new Date().toISOString();
  await writeJsonAtomic(path, state);
}
