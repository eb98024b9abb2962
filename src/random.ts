/**
 * Seeded pseudo-random numbers for every random step in facelab (split, shuffles,
 * initialisation). There is no global random state: each step creates its own generator from an
 * explicit seed, so a run is reproducible from its seeds alone.
 *
 * The generator is xoshiro128** (Blackman & Vigna, 2018), a small, fast, well-tested 32-bit
 * generator with a 2^128 − 1 period, seeded through splitmix32 so that nearby seeds (1, 2, 3…)
 * give unrelated streams.
 */
import { InvalidOptionError } from './errors.js';

/** A seeded random stream. */
export interface Rng {
  /** A uniform number in [0, 1) with 32 bits of resolution. */
  next(): number;
  /** A uniform integer in [0, n), without modulo bias. `n` must be an integer in [1, 2^32]. */
  int(n: number): number;
  /** A standard normal sample (mean 0, standard deviation 1), by the Box–Muller transform. */
  normal(): number;
  /** A uniform unsigned 32-bit integer. */
  uint32(): number;
}

const TWO_POW_32 = 4294967296;

/** One step of splitmix32: used to expand a seed into generator state. */
function splitmix32(state: number): [next: number, output: number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [next, z >>> 0];
}

/**
 * Creates a generator from an integer seed (any safe integer; it is reduced to 32 bits, so
 * seeds that differ by a multiple of 2^32 give the same stream).
 *
 * @example
 * const rng = createRng(1);
 * const order = shuffleInPlace([0, 1, 2, 3], rng);
 */
export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed))
    throw new InvalidOptionError('createRng(seed)', 'a safe integer seed', seed);
  let mix = (seed % TWO_POW_32) | 0;
  const s = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    const [next, out] = splitmix32(mix);
    mix = next;
    s[i] = out;
  }
  // All-zero state is the one fixed point of xoshiro; splitmix32 cannot produce it for 4 words,
  // but guard anyway so the generator can never get stuck.
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1;
  let spare: number | undefined;

  const uint32 = (): number => {
    const s0 = s[0]!;
    const s1 = s[1]!;
    const s2 = s[2]!;
    const s3 = s[3]!;
    const times5 = Math.imul(s1, 5);
    const result = Math.imul((times5 << 7) | (times5 >>> 25), 9) >>> 0;
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    s[1] = s1 ^ n2;
    s[0] = s0 ^ n3;
    s[2] = n2 ^ t;
    s[3] = (n3 << 11) | (n3 >>> 21);
    return result;
  };

  const next = (): number => uint32() / TWO_POW_32;

  const int = (n: number): number => {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new InvalidOptionError('rng.int(n)', 'an integer from 1 to 2^32', n);
    }
    // Rejection sampling: draws in the last partial block of size (2^32 mod n) would favour
    // small results, so they are redrawn.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    let x = uint32();
    while (x >= limit) x = uint32();
    return x % n;
  };

  const normal = (): number => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    const u1 = 1 - next(); // (0, 1]: log(0) would be -Infinity
    const u2 = next();
    const radius = Math.sqrt(-2 * Math.log(u1));
    spare = radius * Math.sin(2 * Math.PI * u2);
    return radius * Math.cos(2 * Math.PI * u2);
  };

  return { next, int, normal, uint32 };
}

/** Anything indexable and writable by position: plain arrays and typed arrays. */
export interface Shuffleable<T> {
  length: number;
  [index: number]: T;
}

/**
 * Shuffles `array` in place (Fisher–Yates, uniform over all orders) and returns it.
 *
 * @example
 * shuffleInPlace(Int32Array.from({ length: 10 }, (_, i) => i), createRng(7));
 */
export function shuffleInPlace<A extends Shuffleable<unknown>>(array: A, rng: Rng): A {
  for (let i = array.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = array[i];
    array[i] = array[j];
    array[j] = tmp;
  }
  return array;
}

/**
 * Derives an independent 32-bit seed from a base seed and a key (e.g. an actor name), so that
 * one part of a job (one actor's split) does not depend on which other parts exist.
 * FNV-1a over the key's UTF-16 code units, mixed with the seed through splitmix32.
 */
export function deriveSeed(seed: number, key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  const [, out] = splitmix32((hash ^ Math.imul((seed % TWO_POW_32) | 0, 0x9e3779b1)) | 0);
  return out;
}
