/**
 * `facelab units --run DIR --actor NAME [--top 3] [--rank frequency|mean] --out FILE.png [--json]`:
 * draws the hidden units that fire most for one actor. With `--json` the last stdout line is
 * `{"actor":…,"rank":…,"units":[{"index":…,"wins":…},…],"out":…}`.
 */
import { resolve } from 'node:path';
import { InvalidOptionError } from '../errors.js';
import { writeActorUnits } from '../viz/actor-units.js';
import { type FlagSpec, intFlag, optionalString, parseCommand, requireString } from './args.js';
import type { Command } from './command.js';
import { printJson, say } from './output.js';

const flags: Record<string, FlagSpec> = {
  run: { type: 'string', help: 'a run folder (facelab run), a grid folder (facelab grid) or a train folder' },
  actor: { type: 'string', value: 'NAME', help: 'the actor, as named in the data (case does not matter)' },
  top: { type: 'string', help: 'hidden units shown', default: '3' },
  rank: {
    type: 'string',
    help: "'frequency': most training photos won; 'mean': highest mean activation",
    default: 'frequency',
  },
  out: { type: 'string', value: 'FILE.png', help: 'PNG file to write' },
};

const USAGE = '--run DIR --actor NAME [--top 3] [--rank frequency|mean] --out FILE.png [--json]';
const DESCRIPTION = `Runs the actor's training crops through the model's first layer (ReLU), counts for each crop
which hidden unit fires highest, and draws the input weights of the units that won most often
(--rank mean: the highest mean activation). Each unit's side x side x 3 weights are summed over
R, G and B and shown enlarged pixel by pixel on a blue-white-red scale centred at zero, with
its colour bar, beside the actor's mean training face.`;

/** The `units` command. */
export const command: Command = {
  name: 'units',
  summary: "draw the hidden units that fire most for an actor (the net's learned features)",
  async run(argv) {
    const parsed = parseCommand({ name: 'units', usage: USAGE, description: DESCRIPTION, flags }, argv);
    if (!parsed) return 0;
    const { values, json } = parsed;
    const run = requireString(values, 'run');
    const actor = requireString(values, 'actor');
    const out = requireString(values, 'out');
    const top = intFlag(values, 'top', 3, 1, 100);
    const rank = optionalString(values, 'rank') ?? 'frequency';
    if (rank !== 'frequency' && rank !== 'mean')
      throw new InvalidOptionError('--rank', "'frequency' or 'mean'", rank);

    const result = await writeActorUnits({ run, actor, top, rank, out });
    const units = result.units.map((u) => `#${u.index} (${u.wins} won)`).join(', ');
    say(`${result.actor}: hidden units ${units} by ${rank}`, json);
    say(`wrote ${resolve(result.out)}`, json);
    if (json) printJson({ actor: result.actor, rank, units: result.units, out: resolve(result.out) });
    return 0;
  },
};
