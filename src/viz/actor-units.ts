/**
 * The hidden units that fire most for one actor, as the reference study shows them: run the
 * actor's training crops through the first layer (ReLU), count for each crop which unit is
 * strongest, and draw the input weights of the most frequent winners (or of the units with the
 * highest mean activation) beside the actor's mean training face.
 */
import { writeFileAtomic } from '../data/atomic-file.js';
import { loadPrepared, type PreparedDataset } from '../data/dataset.js';
import { InvalidOptionError, UserError } from '../errors.js';
import { positiveInteger } from '../validate.js';
import {
  type FirstLayer,
  firstLayerActivations,
  meanImage,
  readFirstLayer,
  unitWeights,
} from './first-layer.js';
import { hiddenUnitsSvg } from './hidden-units.js';
import { svgToPng } from './rasterize.js';
import { imageSideOf, locateRun, type RunFolder } from './run-folder.js';
import { type RankedUnit, rankHiddenUnits } from './unit-ranking.js';

/** How units are ranked: most photos won, or highest mean activation. */
export type UnitRank = 'frequency' | 'mean';

/** Options of {@link writeActorUnits}. */
export interface ActorUnitsOptions {
  /** A run, grid or train folder (see `locateRun`). */
  run: string;
  /** The actor, as named in the model's labels (case-insensitive when unambiguous). */
  actor: string;
  /** Units shown. Default 3. */
  top?: number;
  /** Ranking. Default 'frequency' (the reference study's). */
  rank?: UnitRank;
  /** The PNG to write (atomically; folders are created). */
  out: string;
}

/** What {@link writeActorUnits} drew. */
export interface ActorUnitsResult {
  /** The actor's name as the model spells it. */
  actor: string;
  rank: UnitRank;
  /** The units shown, best first: index in the hidden layer and training photos won. */
  units: { index: number; wins: number }[];
  /** The PNG written. */
  out: string;
}

/** The first layer and the dataset it was trained on: everything any actor's figure needs. */
export interface UnitsContext {
  side: number;
  layer: FirstLayer;
  dataset: PreparedDataset;
}

/** One actor's figure. */
export interface ActorUnitsFigure {
  actor: string;
  /** Training photos of the actor that were ranked. */
  photos: number;
  units: RankedUnit[];
  svg: string;
}

/** Pixel density of the PNG: 2 pixels per SVG unit, so the text stays crisp when shown large. */
const PNG_DENSITY = 144;

/**
 * Draws the top hidden units of one actor of a run and writes the PNG.
 *
 * @example
 * const r = await writeActorUnits({ run: 'runs/six', actor: 'Bill Hader', out: 'hader.png' });
 * r.units // → [{ index: 141, wins: 19 }, { index: 7, wins: 11 }, { index: 52, wins: 9 }]
 */
export async function writeActorUnits(options: ActorUnitsOptions): Promise<ActorUnitsResult> {
  const { actor, out, ...shared } = options;
  const [result] = await writeActorsUnits({ ...shared, figures: [{ actor, out }] });
  return result!;
}

/** Options of {@link writeActorsUnits}: {@link ActorUnitsOptions} for several actors of one run. */
export interface ActorsUnitsOptions extends Omit<ActorUnitsOptions, 'actor' | 'out'> {
  /** Each actor and the PNG to write for it. */
  figures: readonly { actor: string; out: string }[];
  /** Called after each figure is written (progress). */
  onFigure?: (result: ActorUnitsResult, index: number) => void;
}

/**
 * Draws the top hidden units of several actors of one run: the first layer and the training
 * crops are loaded once for all of them (a list of hundreds of actors would otherwise reload
 * the dataset for each).
 */
export async function writeActorsUnits(options: ActorsUnitsOptions): Promise<ActorUnitsResult[]> {
  const rank = options.rank ?? 'frequency';
  checkRankOptions(options.top, rank);
  const context = await loadUnitsContext(await locateRun(options.run));
  const results: ActorUnitsResult[] = [];
  for (const { actor, out } of options.figures) {
    const figure = actorUnitsFigure(context, actor, {
      rank,
      ...(options.top === undefined ? {} : { top: options.top }),
    });
    await writeFileAtomic(out, await svgToPng(figure.svg, { density: PNG_DENSITY }));
    const result: ActorUnitsResult = {
      actor: figure.actor,
      rank,
      units: figure.units.map((u) => ({ index: u.index, wins: u.wins })),
      out,
    };
    results.push(result);
    options.onFigure?.(result, results.length - 1);
  }
  return results;
}

/**
 * Loads the run's first layer and its prepared training crops (unless `dataset` is given, as
 * loaded by the caller), and checks they belong together (same crop side, same actors in the
 * same order).
 */
export async function loadUnitsContext(run: RunFolder, dataset?: PreparedDataset): Promise<UnitsContext> {
  const side = imageSideOf(run);
  const layer = await readFirstLayer(run.modelPath);
  if (layer.inputDim !== side * side * 3) {
    throw new UserError(
      `${run.modelPath} takes ${layer.inputDim} values but metrics.json says ${side}×${side}×3 crops`,
    );
  }
  if (dataset !== undefined) return { side, layer, dataset: checkActors(run, dataset, side) };
  if (run.dataDir === undefined) {
    const looked = run.searched.data.join(', ') || 'metrics.json, which names none';
    throw new UserError(
      `the prepared data of ${run.dir} was not found (looked in ${looked})${run.problems.map((p) => `; ${p}`).join('')}`,
    );
  }
  return { side, layer, dataset: checkActors(run, await loadPrepared(run.dataDir, side), side) };
}

function checkActors(run: RunFolder, dataset: PreparedDataset, side: number): PreparedDataset {
  if (dataset.side !== side)
    throw new UserError(
      `the model in ${run.modelDir} takes ${side} px crops, the data given has ${dataset.side} px`,
    );
  const labels = run.metrics.confusion.labels;
  if (dataset.actors.join('\n') !== labels.join('\n')) {
    throw new UserError(
      `the data in ${run.dataDir} has other actors than the model in ${run.modelDir} (${dataset.actors.join(', ')} vs ${labels.join(', ')})`,
    );
  }
  return dataset;
}

/** Ranks the hidden units on one actor's training crops and draws them. */
export function actorUnitsFigure(
  context: UnitsContext,
  actor: string,
  options: { top?: number; rank?: UnitRank } = {},
): ActorUnitsFigure {
  const { dataset, layer, side } = context;
  const name = resolveActor(dataset.actors, actor);
  const label = dataset.actors.indexOf(name);
  const train = dataset.train;
  const bytes = side * side * 3;
  const rows: number[] = [];
  for (let i = 0; i < train.count; i++) if (train.labels[i] === label) rows.push(i);
  const images = new Uint8Array(rows.length * bytes);
  rows.forEach((r, k) => {
    images.set(train.images.subarray(r * bytes, (r + 1) * bytes), k * bytes);
  });
  const activations = firstLayerActivations(images, rows.length, layer);
  const units = rankHiddenUnits(activations, rows.length, layer.hidden, options);
  const rank = options.rank ?? 'frequency';
  const titles = units.map((u) =>
    rank === 'frequency'
      ? `hidden unit #${u.index} (won ${u.wins} of ${rows.length} photos)`
      : `hidden unit #${u.index} (mean ${u.meanActivation.toFixed(2)}, won ${u.wins})`,
  );
  const svg = hiddenUnitsSvg({
    side,
    actor: name,
    weights: units.map((u) => unitWeights(layer, u.index)),
    titles,
    ...(rows.length > 0 ? { meanFace: meanImage(images, rows.length) } : {}),
    title:
      rank === 'frequency'
        ? `Hidden units that fire most often for ${name}`
        : `Hidden units with the highest mean activation for ${name}`,
  });
  return { actor: name, photos: rows.length, units, svg };
}

/**
 * The actor's name as the model spells it: an exact match, else the one case-insensitive match.
 * A `UserError` listing the actors otherwise.
 */
export function resolveActor(actors: readonly string[], name: string): string {
  if (actors.includes(name)) return name;
  const folded = actors.filter((a) => a.toLowerCase() === name.trim().toLowerCase());
  if (folded.length === 1) return folded[0]!;
  throw new UserError(`unknown actor '${name}': the model knows ${actors.join(', ')}`);
}

function checkRankOptions(top: number | undefined, rank: string): void {
  if (top !== undefined) positiveInteger('top', top);
  if (rank !== 'frequency' && rank !== 'mean')
    throw new InvalidOptionError('rank', "'frequency' or 'mean'", rank);
}
