/**
 * Where `facelab run` puts things inside its output folder (see scratch/RUN_LAYOUT.md):
 *
 *   RUN/run.json      pipeline state (`run-state.ts`)
 *   RUN/cache/        download cache, unless another is given
 *   RUN/data/         prepared crops (faces_32.npz, faces_227.npz) and split.json
 *   RUN/grid/         grid search: grid.csv, grid.json, heat-map, best/, runs/
 *   RUN/units/        units.json and one <actor-slug>.png per actor
 *   RUN/transfer/     transfer (face backbone unless --backbone): comparison.json, baseline.json, head-<backbone>-<layer>/
 *   RUN/report.html   the report
 */
import { readdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { UserError } from '../errors.js';

/** Absolute paths of the parts of one run folder. */
export interface RunLayout {
  root: string;
  state: string;
  lock: string;
  cache: string;
  data: string;
  grid: string;
  units: string;
  unitsJson: string;
  transfer: string;
  report: string;
}

/** The layout of the run folder `dir`; `cacheDir` replaces RUN/cache when given. */
export function runLayout(dir: string, cacheDir?: string): RunLayout {
  const root = resolve(dir);
  return {
    root,
    state: join(root, 'run.json'),
    lock: join(root, '.run.lock'),
    cache: cacheDir === undefined ? join(root, 'cache') : resolve(cacheDir),
    data: join(root, 'data'),
    grid: join(root, 'grid'),
    units: join(root, 'units'),
    unitsJson: join(root, 'units', 'units.json'),
    transfer: join(root, 'transfer'),
    report: join(root, 'report.html'),
  };
}

/** A file-name-safe, lower-case form of an actor's name: "Alec Baldwin" → "alec-baldwin". */
export function actorSlug(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug || 'actor';
}

/**
 * Refuses to start a run in a folder that already holds something else (a typo like `--out ~`
 * must not fill a home folder): the folder must be missing, empty, a run folder (`run.json`),
 * or hold only names of the run layout plus `extra` ones (e.g. the demo's `dataset`).
 */
export async function checkRunFolder(layout: RunLayout, extra: readonly string[] = []): Promise<void> {
  let names: string[];
  try {
    names = await readdir(layout.root);
  } catch {
    return;
  }
  if (names.includes(basename(layout.state))) return;
  const known = new Set([
    ...[layout.cache, layout.data, layout.grid, layout.units, layout.transfer, layout.report].map((p) =>
      basename(p),
    ),
    ...extra,
  ]);
  const foreign = names.filter((name) => !name.startsWith('.') && !known.has(name));
  if (foreign.length > 0) {
    throw new UserError(
      `${layout.root} is not empty and is not a facelab run folder (it holds ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}); choose a new --out folder`,
    );
  }
}
