/**
 * The one progress display of `facelab run` and `facelab demo`: a line on stderr per step
 * (started and why, skipped, finished in how long with what it found), and the bar of the
 * step's current task on stderr when it is a TTY, named with the step's place in the pipeline
 * ("3/6 grid"). A warning repeated by a later step (the same malformed list line) shows once.
 */
import type { StepEvent } from '../pipeline/step-runner.js';
import type { OnProgress } from '../progress.js';
import { progressPrinter } from './progress-bar.js';

/** Callbacks for `runPipeline`. */
export interface PipelineDisplay {
  onProgress: OnProgress;
  onStep: (event: StepEvent) => void;
}

/** Creates the display; `bars` defaults to whether stderr is a TTY. */
export function pipelineDisplay(bars = Boolean(process.stderr.isTTY)): PipelineDisplay {
  const printer = progressPrinter({ bars });
  const warned = new Set<string>();
  let prefix = '';
  const line = (text: string): void => {
    process.stderr.write(`${bars ? '\r\x1b[2K' : ''}${text}\n`);
  };
  return {
    onProgress: (event) => {
      if (event.kind !== 'warning') return printer({ ...event, task: `${prefix}${event.task}` });
      if (warned.has(event.message)) return;
      warned.add(event.message);
      printer(event);
    },
    onStep: (event) => {
      const place = `[${event.index}/${event.total}] ${event.step.padEnd(8)}`;
      prefix = `${event.index}/${event.total} `;
      if (event.kind === 'skip') line(`${place} skipped: ${event.reason}`);
      else if (event.kind === 'start') line(`${place} running (${event.reason})`);
      else {
        const digest = event.summary ? stepDigest(event.step, event.summary) : '';
        line(`${place} done in ${event.seconds.toFixed(1)} s${digest ? `: ${digest}` : ''}`);
      }
    },
  };
}

/** A few words on what a step found, from the summary it recorded in run.json. */
export function stepDigest(step: string, summary: Record<string, unknown>): string {
  const pct = (x: unknown): string => (typeof x === 'number' ? `${(x * 100).toFixed(1)} %` : '?');
  const accuracy = summary.accuracy as { test?: number } | undefined;
  switch (step) {
    case 'download': {
      const failed = Object.values((summary.failed as Record<string, number>) ?? {}).reduce(
        (a, b) => a + b,
        0,
      );
      return `${summary.verified} lines verified (${summary.photos} photos), ${failed} failed`;
    }
    case 'prepare': {
      const split = summary.split as Record<string, number> | undefined;
      return split
        ? `${summary.photos} photos cropped; train ${split.train}, val ${split.val}, test ${split.test}`
        : '';
    }
    case 'grid': {
      const best = summary.best as Record<string, number> | undefined;
      const reused = summary.reusedRuns ? `, ${summary.reusedRuns} of ${summary.runs} runs reused` : '';
      return best
        ? `chose ${best.epochs} epochs, batch ${best.batch}, hidden ${best.hidden}, lr ${best.lr}; test ${pct(accuracy?.test)}${reused}`
        : '';
    }
    case 'transfer':
      return `face backbone test ${pct(accuracy?.test)} (raw pixels ${pct(summary.baselineTest)})`;
    default:
      return '';
  }
}
