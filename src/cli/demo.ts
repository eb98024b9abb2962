/**
 * `facelab demo [--out DIR] [--photos N] [grid flags] [--json]`: the whole pipeline, offline, on
 * a synthetic FaceScrub-like dataset served from a built-in loopback server. With `--json` the
 * last stdout line is the same as `facelab run`'s.
 */
import { DEFAULT_PHOTOS_PER_PERSON } from '../demo/synthetic-dataset.js';
import { DEFAULT_DEMO_DIR, DEMO_GRID, runDemo } from '../pipeline/demo-run.js';
import { type FlagSpec, intFlag, optionalString, parseCommand } from './args.js';
import type { Command } from './command.js';
import { type PipelineDefaults, pipelineFlagOptions, pipelineFlags, runWithDisplay } from './run.js';

const DEMO_POINTS = Object.values(DEMO_GRID).reduce((n, list) => n * list.length, 1);
const DEMO_DEFAULTS: PipelineDefaults = { grid: DEMO_GRID, headEpochs: 200 };

const flags: Record<string, FlagSpec> = {
  out: { type: 'string', help: 'run folder (the dataset goes to its dataset/)', default: DEFAULT_DEMO_DIR },
  photos: {
    type: 'string',
    help: 'good photos per synthetic person',
    default: String(DEFAULT_PHOTOS_PER_PERSON),
  },
  ...pipelineFlags(DEMO_DEFAULTS),
};

const USAGE = '[--out DIR] [--photos N] [--epochs LIST] [--batch LIST] [--hidden LIST] [--lr LIST] [--json]';
const DESCRIPTION = `Needs no data and no network. Draws six made-up people (SYNTHETIC, not real persons) and
their photos as a FaceScrub-like list with real boxes and SHA-256 values and a few broken lines,
serves them from a loopback HTTP server, and runs the real 'facelab run' against it: download,
prepare, a ${DEMO_POINTS}-point grid search (facelab run's default is the 81-point reference grid),
hidden units, face-backbone transfer and report.html. A re-run reuses what is done.`;

const NOTICE =
  'facelab demo: the six people in this demo are SYNTHETIC (cartoon faces drawn from a seed), not real persons';

/** The `demo` command. */
export const command: Command = {
  name: 'demo',
  summary: 'the whole pipeline offline on six synthetic people (no data, no network needed)',
  async run(argv) {
    const parsed = parseCommand({ name: 'demo', usage: USAGE, description: DESCRIPTION, flags }, argv);
    if (!parsed) return 0;
    const { values, json } = parsed;
    const out = optionalString(values, 'out') ?? DEFAULT_DEMO_DIR;
    const photosPerPerson = intFlag(values, 'photos', DEFAULT_PHOTOS_PER_PERSON, 1, 1000);
    const options = pipelineFlagOptions(values, DEMO_DEFAULTS);
    process.stderr.write(`${NOTICE}\n`);
    const code = await runWithDisplay('demo', json, (hooks) =>
      runDemo({ ...options, ...hooks, out, photosPerPerson }),
    );
    if (code === 0) process.stderr.write(`${NOTICE}; their names end in 'Synth'\n`);
    return code;
  },
};
