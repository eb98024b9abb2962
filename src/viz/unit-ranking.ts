/**
 * Which hidden units matter for an actor: given the first layer's ReLU outputs on the actor's
 * training photos, rank units by how often each is the strongest one (the reference study's
 * method) or by mean activation.
 */
import { InvalidOptionError } from '../errors.js';
import { positiveInteger } from '../validate.js';

/** A ranked hidden unit. */
export interface RankedUnit {
  /** 0-based index of the unit in the hidden layer. */
  index: number;
  /** Photos on which this unit had the highest activation. */
  wins: number;
  /** Mean activation over all photos. */
  meanActivation: number;
}

/** Options of {@link rankHiddenUnits}. */
export interface RankOptions {
  /** How many units to return (at most `hidden`). Default 3. */
  top?: number;
  /**
   * 'frequency': most wins first, ties by higher mean activation, then lower index.
   * 'mean': higher mean activation first, ties by more wins, then lower index. Default 'frequency'.
   */
  rank?: 'frequency' | 'mean';
}

/**
 * Ranks hidden units by their ReLU activations on a set of photos.
 *
 * A photo is won by the unit with the highest activation (the lowest index on an exact tie);
 * a photo on which no unit fires (all activations ≤ 0) is won by nobody. When fewer than `top`
 * units ever win, the rest of the list is filled by the ordering's tie-breakers.
 *
 * @param activations photos × hidden values, row-major (photo p's unit u at `p * hidden + u`).
 * @example rankHiddenUnits(relu, 70, 300, { top: 3 }) // → [{ index: 12, wins: 23, meanActivation: 1.9 }, …]
 */
export function rankHiddenUnits(
  activations: Float32Array,
  photos: number,
  hidden: number,
  options: RankOptions = {},
): RankedUnit[] {
  if (!Number.isInteger(photos) || photos < 0)
    throw new InvalidOptionError('photos', 'non-negative integer', photos);
  positiveInteger('hidden', hidden);
  if (activations.length !== photos * hidden) {
    throw new InvalidOptionError(
      'activations',
      `${photos * hidden} values (${photos} photos × ${hidden} units)`,
      activations.length,
    );
  }
  const top = options.top ?? 3;
  positiveInteger('top', top);
  const rank = options.rank ?? 'frequency';
  if (rank !== 'frequency' && rank !== 'mean')
    throw new InvalidOptionError('rank', "'frequency' or 'mean'", rank);

  const wins = new Uint32Array(hidden);
  const sums = new Float64Array(hidden);
  for (let p = 0; p < photos; p++) {
    let best = -1;
    let bestValue = 0;
    for (let u = 0; u < hidden; u++) {
      const v = activations[p * hidden + u]!;
      if (Number.isNaN(v))
        throw new InvalidOptionError(`activations[${p * hidden + u}]`, `a number (photo ${p}, unit ${u})`, v);
      sums[u]! += v;
      if (v > bestValue) {
        best = u;
        bestValue = v;
      }
    }
    if (best >= 0) wins[best]! += 1;
  }
  const units: RankedUnit[] = Array.from({ length: hidden }, (_, u) => ({
    index: u,
    wins: wins[u]!,
    meanActivation: photos > 0 ? sums[u]! / photos : 0,
  }));
  const byWins = (a: RankedUnit, b: RankedUnit): number => b.wins - a.wins;
  const byMean = (a: RankedUnit, b: RankedUnit): number => b.meanActivation - a.meanActivation;
  units.sort((a, b) =>
    rank === 'frequency'
      ? byWins(a, b) || byMean(a, b) || a.index - b.index
      : byMean(a, b) || byWins(a, b) || a.index - b.index,
  );
  return units.slice(0, Math.min(top, hidden));
}
