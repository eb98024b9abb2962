/**
 * A prepared dataset as trainers see it: uint8 face crops of one side, integer labels and the
 * train/validation/test split, loaded from the `.npz` cache and split manifest that
 * `facelab prepare` writes. Normalisation is left to the trainer (see `normalize.ts`).
 */

/** One part of the split. */
export interface PreparedSplit {
  /** `count × side × side × 3` RGB bytes, row-major (HWC per image). */
  images: Uint8Array;
  /** Label of each image: an index into `PreparedDataset.actors`. */
  labels: Int32Array;
  /** SHA-256 of each image's original photo. */
  hashes: string[];
  count: number;
}

/** A prepared dataset at one crop size. */
export interface PreparedDataset {
  /** Crop side in pixels (e.g. 32 or 227). */
  side: number;
  /** Actor names; label i is `actors[i]`. */
  actors: string[];
  train: PreparedSplit;
  val: PreparedSplit;
  test: PreparedSplit;
}
