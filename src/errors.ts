/**
 * facelab's error classes. Each one names the bad value and where it came from, so a user
 * can act on the message alone. `UserError` and its subclasses are mistakes in what the user
 * asked for (bad flag, unreadable file): the CLI prints them as one line and exits with 2.
 * The other `FacelabError`s are raised on purpose too, but no flag or file of the user's can
 * cause them (a caller passing arrays that disagree, a broken invariant): the CLI reports them
 * as crashes (`error:`, exit 1) so that they are fixed rather than worked around.
 */

/** Base class of every error facelab raises on purpose. */
export class FacelabError extends Error {
  override name = 'FacelabError';
}

/** A mistake in the user's request (flags, paths, files). The CLI exits with code 2. */
export class UserError extends FacelabError {
  override name = 'UserError';
}

/** An option has the wrong type or is out of range: "Expected positive integer for --concurrency but received 0". */
export class InvalidOptionError extends UserError {
  override name = 'InvalidOptionError';
  constructor(
    readonly option: string,
    readonly expected: string,
    readonly actual: unknown,
  ) {
    super(`Expected ${expected} for ${option} but received ${describe(actual)}`);
  }
}

/**
 * A file that is not in the format facelab expects of it (a damaged `.npz`, a zip member with a
 * bad CRC-32, a font or model file that does not parse). A user's file, so the CLI exits with 2.
 */
export class FileFormatError extends UserError {
  override name = 'FileFormatError';
  constructor(
    /** The file, as the user or the caller named it. */
    readonly file: string,
    /** What is wrong, e.g. "member images.npy fails its CRC-32 check". */
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

/**
 * A library function was given arguments that do not fit together: an array whose length is
 * not width × height × channels, parameters of another network, a tensor name used twice in a
 * graph. A mistake in the calling code, not in a user's request (those are `InvalidOptionError`).
 */
export class ArgumentError extends FacelabError {
  override name = 'ArgumentError';
}

/** facelab broke one of its own invariants (a bug to report): not the user's doing. */
export class InternalError extends FacelabError {
  override name = 'InternalError';
}

/**
 * Work stopped on request (Ctrl-C, SIGTERM, an aborted `AbortSignal`): the reason an abort
 * carries, so whoever catches it can tell a stop from a failure.
 */
export class StoppedError extends FacelabError {
  override name = 'StoppedError';
}

/** A line of a FaceScrub list that cannot be used. Carries the file and 1-based line number. */
export class ListFormatError extends FacelabError {
  override name = 'ListFormatError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}

/** A download that failed for a reason worth recording (HTTP status, timeout, hash mismatch…). */
export class DownloadError extends FacelabError {
  override name = 'DownloadError';
  constructor(
    readonly url: string,
    readonly reason: string,
    message: string,
  ) {
    super(`${url}: ${message}`);
  }
}

/** An image that cannot be decoded or cropped as asked. */
export class ImageError extends FacelabError {
  override name = 'ImageError';
  constructor(
    readonly source: string,
    readonly reason: string,
    message: string,
  ) {
    super(`${source}: ${message}`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}' of type string`;
  if (value === undefined || value === null) return String(value);
  return `${String(value)} of type ${typeof value}`;
}
