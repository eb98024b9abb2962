/**
 * The train / validation / test split, by photo. Each actor's photos are sorted by SHA-256 and
 * shuffled with a generator seeded from (seed, actor name), then cut into fixed-size parts:
 * 70 / 20 / 20 by default, as in the reference study. An actor with fewer photos than the three
 * parts together (110) gets train = floor(70/110 · n), validation = floor((n − train) / 2) and
 * test = the rest. An actor with more photos than that leaves the surplus `unused`, again as
 * the reference does, so every actor contributes at most 70 training photos.
 *
 * The split is a function of photo hashes only, so every crop size and every backbone trained
 * later sees the same split, and seeding per actor means that selecting other actors with
 * `--actors` does not change an actor's split.
 */
import { ArgumentError, InvalidOptionError } from '../errors.js';
import { createRng, deriveSeed, shuffleInPlace } from '../random.js';

/** The three parts of the split. */
export const SPLIT_NAMES = ['train', 'val', 'test'] as const;

/** A part of the split. */
export type SplitName = (typeof SPLIT_NAMES)[number];

/** Where a photo went: one of the parts, or `unused` (an actor's surplus beyond the part sizes). */
export type SplitAssignment = SplitName | 'unused';

/** Photos per part and actor. */
export interface SplitSizes {
  train: number;
  val: number;
  test: number;
}

/** The reference study's part sizes. */
export const DEFAULT_SPLIT_SIZES: Readonly<SplitSizes> = { train: 70, val: 20, test: 20 };

/** A photo to split: its hash and whose face it shows. */
export interface SplitItem {
  sha256: string;
  actor: string;
}

/** Options of `splitByActor`. */
export interface SplitOptions {
  /** Seed of the shuffles. Default 1 (the reference study's seed). */
  seed?: number;
  /** Photos per actor in each part. Default 70 / 20 / 20. */
  sizes?: SplitSizes;
}

/** One photo's place in the split. */
export interface SplitEntry {
  sha256: string;
  actor: string;
  /** Index of `actor` in `DatasetSplit.actors`. */
  label: number;
  split: SplitAssignment;
}

/** The result of `splitByActor`. */
export interface DatasetSplit {
  seed: number;
  sizes: SplitSizes;
  /** Actor names sorted by code point; label i is `actors[i]`. */
  actors: string[];
  /**
   * Photos of each part in dataset order: by label, then in shuffled order. `unused` holds
   * the surplus photos in the same order.
   */
  parts: Record<SplitAssignment, SplitEntry[]>;
  /** Photos per actor and part. */
  counts: Record<string, Record<SplitAssignment, number>>;
}

/**
 * How many of an actor's `n` photos go to each part: the full `sizes` when there are enough,
 * otherwise train = floor(train/total · n), val = floor((n − train) / 2), test = the rest.
 */
export function partSizes(n: number, sizes: SplitSizes = DEFAULT_SPLIT_SIZES): SplitSizes {
  const total = sizes.train + sizes.val + sizes.test;
  if (n >= total) return { ...sizes };
  const train = Math.floor((sizes.train / total) * n);
  const val = Math.floor((n - train) / 2);
  return { train, val, test: n - train - val };
}

/**
 * Splits photos per actor. Each SHA-256 may appear only once (a photo listed twice must be
 * deduplicated first); a repeated hash throws an `ArgumentError` naming it.
 *
 * @example
 * const split = splitByActor(photos, { seed: 1 });
 * split.parts.train.map((p) => p.sha256);
 */
export function splitByActor(items: readonly SplitItem[], options: SplitOptions = {}): DatasetSplit {
  const seed = options.seed ?? 1;
  const sizes = options.sizes ?? DEFAULT_SPLIT_SIZES;
  for (const [name, value] of Object.entries(sizes)) {
    if (!Number.isInteger(value) || value < 0) {
      throw new InvalidOptionError(`sizes.${name}`, 'a non-negative integer', value);
    }
  }
  const byActor = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const { sha256, actor } of items) {
    if (seen.has(sha256)) throw new ArgumentError(`photo ${sha256} appears twice in the split input`);
    seen.add(sha256);
    const list = byActor.get(actor) ?? [];
    list.push(sha256);
    byActor.set(actor, list);
  }
  const actors = [...byActor.keys()].sort(compareCodePoints);
  const parts: Record<SplitAssignment, SplitEntry[]> = { train: [], val: [], test: [], unused: [] };
  const counts: DatasetSplit['counts'] = {};
  actors.forEach((actor, label) => {
    // Sorting first makes the result independent of the input order.
    const hashes = byActor.get(actor)!.sort();
    shuffleInPlace(hashes, createRng(deriveSeed(seed, actor)));
    const n = partSizes(hashes.length, sizes);
    const bounds: [SplitAssignment, number][] = [
      ['train', n.train],
      ['val', n.val],
      ['test', n.test],
      ['unused', hashes.length - n.train - n.val - n.test],
    ];
    counts[actor] = { train: n.train, val: n.val, test: n.test, unused: bounds[3]![1] };
    let at = 0;
    for (const [split, count] of bounds) {
      for (const sha256 of hashes.slice(at, at + count)) parts[split].push({ sha256, actor, label, split });
      at += count;
    }
  });
  return { seed, sizes: { ...sizes }, actors, parts, counts };
}

/** Orders strings by Unicode code point, like Python's `sorted` (the reference's label order). */
export function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
