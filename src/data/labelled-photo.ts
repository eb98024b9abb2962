/**
 * The one list every photo source becomes: labelled photos, each identified by the SHA-256 of
 * its bytes, with a face box when the source gives one. A FaceScrub list with its download
 * cache, a folder per person and a CSV of labels all meet here; everything after (finding the
 * face where no box is given, cropping, splitting, the `.npz` files) is one path.
 */
import type { CropFailureReason } from './crop.js';
import type { FaceBox } from './face-list.js';

/** A photo with the person it shows. */
export interface LabelledPhoto {
  /** Lower-case hex SHA-256 of the file's bytes: what identifies the photo. */
  sha256: string;
  /** Who it shows: the label (actor name, folder name, CSV `person`). */
  person: string;
  /** The photo file (absolute path). */
  file: string;
  /** Where it came from, for messages and `split.json`: "list line 17", "Bill Hader/x.jpg", "labels.csv line 3". */
  origin: string;
  /** The FaceScrub list line, for photos from a list. */
  line?: number;
  /** The face, when the source gives it (a listed box wins over detection). */
  box?: FaceBox;
}

/**
 * Why a photo or an input line was left out of the dataset (the keys of `left_out` in
 * `prepare --json`): the crop reasons (`CropFailureReason`), and
 * - `no face`: the detector found no face in the photo;
 * - `ambiguous faces`: two or more faces too close in size to say which one is meant;
 * - `duplicate`: the same bytes as a photo already used (first one by path order wins);
 * - `unreadable file`: the file cannot be read (permissions, a broken link…);
 * - `malformed line`: a line of a labels CSV that cannot be used.
 */
export type LeftOutReason =
  | CropFailureReason
  | 'no face'
  | 'ambiguous faces'
  | 'duplicate'
  | 'unreadable file'
  | 'malformed line';

/** One photo or input line left out, with why. */
export interface LeftOutRecord {
  /** Where it came from (see `LabelledPhoto.origin`). */
  origin: string;
  reason: LeftOutReason;
  /** One line for humans (control characters escaped). */
  message: string;
  /** The person it was labelled with, when known. */
  person?: string;
  /** The photo's SHA-256, when it could be read. */
  sha256?: string;
  /** The FaceScrub list line, for photos from a list. */
  line?: number;
}

/** Left-out records counted by reason. */
export function countLeftOut(records: readonly LeftOutRecord[]): Partial<Record<LeftOutReason, number>> {
  const counts: Partial<Record<LeftOutReason, number>> = {};
  for (const r of records) counts[r.reason] = (counts[r.reason] ?? 0) + 1;
  return counts;
}
