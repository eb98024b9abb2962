/**
 * `facelab report --run DIR [--out FILE.html] [--json]`: writes one self-contained report.html
 * of a run. With `--json` the last stdout line is `{"path":…,"sections":[…],"bytes":…,"seconds":…}`.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { writeReport } from '../viz/report.js';
import { type FlagSpec, optionalString, parseCommand, requireString } from './args.js';
import type { Command } from './command.js';
import { printJson, roundSeconds, say } from './output.js';
import { progressPrinter } from './progress-bar.js';

const flags: Record<string, FlagSpec> = {
  run: { type: 'string', help: 'a run folder (facelab run), a grid folder (facelab grid) or a train folder' },
  out: { type: 'string', value: 'FILE.html', help: 'HTML file to write', default: 'DIR/report.html' },
};

const USAGE = '--run DIR [--out FILE.html] [--json]';
const DESCRIPTION = `Writes one HTML page about a run: photos per actor and split and download outcomes, the grid
search with the chosen point and the rule that chose it, learning curves, the test confusion
matrix and accuracy per actor, the hidden units that fire most for every actor, the misclassified
test faces, a sample of crops, and the transfer-learning comparison when DIR/transfer has one.
Figures and fonts are embedded: the file opens from disk with no server and no network. Parts
that are missing are left out with a note.`;

/** The `report` command. */
export const command: Command = {
  name: 'report',
  summary: 'write one self-contained report.html of a run (opens from disk, no network)',
  async run(argv) {
    const parsed = parseCommand({ name: 'report', usage: USAGE, description: DESCRIPTION, flags }, argv);
    if (!parsed) return 0;
    const { values, json } = parsed;
    const run = requireString(values, 'run');
    const out = optionalString(values, 'out');
    const started = Date.now();
    const result = await writeReport({
      run,
      ...(out === undefined ? {} : { out }),
      onProgress: progressPrinter(),
    });
    const path = resolve(result.path);
    const bytes = (await stat(path)).size;
    say(`sections: ${result.sections.join(', ')}`, json);
    say(`wrote ${path} (${(bytes / 1e6).toFixed(1)} MB)`, json);
    if (json) {
      printJson({ path, sections: result.sections, bytes, seconds: roundSeconds(Date.now() - started) });
    }
    return 0;
  },
};
