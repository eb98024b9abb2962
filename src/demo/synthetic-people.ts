/**
 * The six made-up people of `facelab demo`. They are SYNTHETIC: cartoon faces drawn from a
 * seed, resembling no real person. Their names end in "Synth" so no report can mistake them
 * for real actors.
 *
 * Each trait is drawn so that the six people differ clearly: colours come from well-separated
 * palettes dealt out without repeats, and each continuous trait (face width, eye spacing, nose
 * length…) takes six evenly spaced levels in a shuffled order, with a little jitter. Per-photo
 * variation (pose, lighting, expression) is added later by `synthetic-photo.ts`.
 */
import { createRng, deriveSeed, type Rng, shuffleInPlace } from '../random.js';

/** An sRGB colour, each channel 0–255. */
export type Rgb = readonly [r: number, g: number, b: number];

/** Hair styles the generator can draw. */
export type HairStyle = 'crop' | 'long' | 'bob' | 'curly' | 'bald' | 'spiky' | 'bun' | 'quiff';

/** A synthetic person's fixed look. Lengths are in face units: the face box spans −1…1. */
export interface PersonTraits {
  /** Display name, e.g. "Ada Synth" (the list's actor name). */
  name: string;
  /** URL- and file-safe form of the name, e.g. "ada-synth". */
  slug: string;
  skin: Rgb;
  hair: Rgb;
  hairStyle: HairStyle;
  /** Seed of style details that must stay the same in every photo (curl positions, spikes). */
  hairSeed: number;
  /** Half-width of the face outline (0.66–0.86); its half-height is 1. */
  faceWidth: number;
  /** 0: pointed chin, 1: broad square jaw. */
  jaw: number;
  eyeColour: Rgb;
  /** Horizontal distance from the face's centre line to each eye's centre (0.27–0.4). */
  eyeSpacing: number;
  /** Half-width of an eye (0.09–0.15). */
  eyeSize: number;
  /** Vertical position of the eyes (−0.26…−0.08). */
  eyeY: number;
  /** Stroke width of the brows (0.035–0.1). */
  browThickness: number;
  /** Height of the brow arch (−0.02–0.1) and inner-end raise (−0.06–0.06: positive = worried). */
  browArch: number;
  browTilt: number;
  /** From the eyes' line to the nose tip (0.24–0.46) and half the nostril width (0.09–0.2). */
  noseLength: number;
  noseWidth: number;
  /** Half-width of the mouth (0.17–0.31), its resting smile (−0.03–0.09) and lip colour. */
  mouthWidth: number;
  mouthCurve: number;
  lips: Rgb;
  /** Glasses frame colour and shape, when the person wears glasses. */
  glasses?: { colour: Rgb; shape: 'round' | 'square' };
  /** Facial hair, when the person has some. */
  beard?: 'full' | 'goatee' | 'moustache';
  /** Opacity of rosy cheeks (0–0.35). */
  blush: number;
}

/** The names, in list order. */
export const SYNTHETIC_NAMES: readonly string[] = [
  'Ada Synth',
  'Bruno Synth',
  'Cleo Synth',
  'Dmitri Synth',
  'Edith Synth',
  'Felix Synth',
];

/** Who of `SYNTHETIC_NAMES` may have a beard (the second, fourth and sixth). */
const MAY_HAVE_BEARD: ReadonlySet<number> = new Set([1, 3, 5]);

const SKIN: readonly Rgb[] = [
  [250, 224, 200],
  [236, 190, 150],
  [214, 160, 112],
  [178, 120, 80],
  [128, 84, 56],
  [86, 56, 40],
];
const HAIR: readonly Rgb[] = [
  [24, 20, 20],
  [92, 56, 30],
  [150, 60, 24],
  [228, 196, 110],
  [200, 200, 204],
  [188, 100, 40],
  [60, 34, 22],
  [110, 40, 120],
];
const EYES: readonly Rgb[] = [
  [60, 110, 200],
  [90, 60, 30],
  [60, 140, 70],
  [130, 130, 140],
  [40, 30, 20],
  [170, 120, 40],
];
const LIPS: readonly Rgb[] = [
  [196, 80, 90],
  [170, 96, 92],
  [140, 60, 64],
  [210, 110, 120],
  [120, 64, 56],
  [180, 70, 60],
];
const FRAMES: readonly Rgb[] = [
  [20, 20, 24],
  [150, 30, 30],
  [30, 60, 150],
];
const STYLES: readonly HairStyle[] = ['crop', 'long', 'bob', 'curly', 'bald', 'spiky', 'bun', 'quiff'];

/** Options of `syntheticPeople`. */
export interface SyntheticPeopleOptions {
  /** Seed of every trait. Default 1. */
  seed?: number;
}

/**
 * Draws the six synthetic people's traits from a seed; the same seed always gives the same
 * people.
 *
 * @example
 * const people = syntheticPeople({ seed: 1 });
 * people[0].name; // 'Ada Synth'
 */
export function syntheticPeople(options: SyntheticPeopleOptions = {}): PersonTraits[] {
  const rng = createRng(deriveSeed(options.seed ?? 1, 'synthetic-people'));
  const n = SYNTHETIC_NAMES.length;
  const deal = <T>(palette: readonly T[]): T[] => shuffleInPlace([...palette], rng).slice(0, n);
  const skins = deal(SKIN);
  const hairs = deal(HAIR);
  const eyes = deal(EYES);
  const lips = deal(LIPS);
  const styles = deal(STYLES);
  const levels = (lo: number, hi: number): number[] => spreadLevels(rng, n, lo, hi);
  const faceWidth = levels(0.66, 0.86);
  const jaw = levels(0, 1);
  const eyeSpacing = levels(0.27, 0.4);
  const eyeSize = levels(0.09, 0.15);
  const eyeY = levels(-0.26, -0.08);
  const browThickness = levels(0.035, 0.1);
  const browArch = levels(-0.02, 0.1);
  const browTilt = levels(-0.06, 0.06);
  const noseLength = levels(0.24, 0.46);
  const noseWidth = levels(0.09, 0.2);
  const mouthWidth = levels(0.17, 0.31);
  const mouthCurve = levels(-0.03, 0.09);
  const blush = levels(0, 0.35);
  // Two people wear glasses and one or two of those who may have a beard have one.
  const order = shuffleInPlace([...Array(n).keys()], rng);
  const withGlasses = new Set(order.slice(0, 2));
  const bearded = shuffleInPlace([...MAY_HAVE_BEARD], rng).slice(0, 1 + rng.int(2));
  const beardKinds = shuffleInPlace(['full', 'goatee', 'moustache'] as const, rng);
  return SYNTHETIC_NAMES.map((name, i) => {
    const person: PersonTraits = {
      name,
      slug: name.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
      skin: skins[i]!,
      hair: hairs[i]!,
      hairStyle: styles[i]!,
      hairSeed: rng.uint32(),
      faceWidth: faceWidth[i]!,
      jaw: jaw[i]!,
      eyeColour: eyes[i]!,
      eyeSpacing: eyeSpacing[i]!,
      eyeSize: eyeSize[i]!,
      eyeY: eyeY[i]!,
      browThickness: browThickness[i]!,
      browArch: browArch[i]!,
      browTilt: browTilt[i]!,
      noseLength: noseLength[i]!,
      noseWidth: noseWidth[i]!,
      mouthWidth: mouthWidth[i]!,
      mouthCurve: mouthCurve[i]!,
      lips: lips[i]!,
      blush: blush[i]!,
    };
    if (withGlasses.has(i)) {
      person.glasses = {
        colour: FRAMES[rng.int(FRAMES.length)]!,
        shape: rng.next() < 0.5 ? 'round' : 'square',
      };
    }
    const beardIndex = bearded.indexOf(i);
    if (beardIndex >= 0) person.beard = beardKinds[beardIndex]!;
    return person;
  });
}

/** `n` evenly spaced values from `lo` to `hi` in a random order, each jittered by a third of a step. */
function spreadLevels(rng: Rng, n: number, lo: number, hi: number): number[] {
  const step = (hi - lo) / (n - 1);
  const values = Array.from({ length: n }, (_, i) => lo + i * step + (rng.next() - 0.5) * (step / 3));
  return shuffleInPlace(values, rng).map((v) => Math.min(hi, Math.max(lo, v)));
}
