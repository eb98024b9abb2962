/**
 * FaceScrub list parsing. A list line is tab-separated: `name, image_id, face_id, url, box,
 * sha256`, where the box is `x1,y1,x2,y2` in one field (as distributed) or four tab fields.
 * Real lists are dirty, so a bad line is reported with its file, line number and reason and
 * skipped; it never stops the job. A list with no usable line at all (an empty file, a binary
 * file, the wrong file) is a `UserError`, though: one line, not a job that succeeds on nothing.
 * Values quoted from the list in reasons are escaped and shortened (`printable`).
 */
import { readFile } from 'node:fs/promises';
import { ListFormatError, UserError } from '../errors.js';
import { looksBinary, printable } from './printable.js';

/** A face box in stored-pixel coordinates: x1,y1 inclusive top-left, x2,y2 exclusive bottom-right. */
export interface FaceBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** One usable line of a FaceScrub list. */
export interface FaceLine {
  /** 1-based line number in the list file. */
  line: number;
  /** Actor name as written in the list. */
  name: string;
  imageId: string;
  faceId: string;
  url: string;
  box: FaceBox;
  /** Lower-case hex SHA-256 of the original photo. */
  sha256: string;
}

/** The parsed list: usable lines, and the lines that were skipped and why. */
export interface FaceList {
  /** The list file, as given. */
  file: string;
  lines: FaceLine[];
  /**
   * Malformed lines (never fatal); each carries file, line number and reason. An actor given
   * with `--actors` that has no usable line is a `MissingActorProblem` (its `line` is 0: no
   * line of the list is at fault, and its message names none).
   */
  problems: ListFormatError[];
  /** Number of non-empty lines in the file, malformed ones included. */
  totalLines: number;
}

/** Options of `parseFaceList`. */
export interface ParseListOptions {
  /** Keep only these actors (exact names); default: everyone in the list. */
  actors?: readonly string[];
}

/** An actor given with `--actors` with no usable line in the list; its message names no line. */
export class MissingActorProblem extends ListFormatError {
  override name = 'MissingActorProblem';
  constructor(file: string, actor: string) {
    const reason = `actor '${printable(actor)}' given with --actors has no usable line in the list`;
    super(file, 0, reason);
    this.message = `${file}: ${reason}`;
  }
}

const SHA256 = /^[0-9a-f]{64}$/i;
const INTEGER = /^-?\d+$/;

/**
 * Parses the text of a FaceScrub list. Lines of other actors than `options.actors` are
 * dropped silently (they are not errors); malformed lines of selected actors are reported.
 * Throws a `UserError` when no line at all is usable (see the file comment).
 */
export function parseFaceList(text: string, file: string, options: ParseListOptions = {}): FaceList {
  if (looksBinary(text)) {
    throw new UserError(
      `${file} is not a text file: a FaceScrub list is tab-separated text (name, image_id, face_id, url, x1,y1,x2,y2, sha256)`,
    );
  }
  const wanted = options.actors ? new Set(options.actors) : undefined;
  const lines: FaceLine[] = [];
  const problems: ListFormatError[] = [];
  let totalLines = 0;
  const rows = text.split(/\r?\n/);
  rows.forEach((row, index) => {
    const lineNumber = index + 1;
    if (row.trim() === '' || row.startsWith('#')) return;
    const fields = row.split('\t').map((f) => f.trim());
    const name = fields[0] ?? '';
    if (wanted && !wanted.has(name)) return;
    totalLines++;
    const parsed = parseFields(fields, file, lineNumber);
    if (parsed instanceof ListFormatError) problems.push(parsed);
    else lines.push(parsed);
  });
  if (lines.length === 0 && !wanted) {
    const first = problems[0];
    throw new UserError(
      first
        ? `${file}: none of its ${totalLines} lines is a usable FaceScrub line (line ${first.line}: ${first.reason})`
        : `${file} holds no list lines: a FaceScrub list has one tab-separated line per face`,
    );
  }
  if (wanted) {
    const seen = new Set(lines.map((l) => l.name));
    const missing = [...wanted].filter((actor) => !seen.has(actor));
    if (missing.length === wanted.size) {
      throw new UserError(
        `${file}: none of the actors given with --actors appear in the list (${missing.map((a) => printable(a)).join(', ')})`,
      );
    }
    for (const actor of missing) problems.push(new MissingActorProblem(file, actor));
  }
  return { file, lines, problems, totalLines };
}

/** Reads and parses a list file; an unreadable file is a `UserError`. */
export async function readFaceList(file: string, options: ParseListOptions = {}): Promise<FaceList> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read the list ${file}${code ? ` (${code})` : ''}`);
  }
  return parseFaceList(text, file, options);
}

function parseFields(fields: string[], file: string, line: number): FaceLine | ListFormatError {
  const fail = (reason: string) => new ListFormatError(file, line, reason);
  const quote = (value: string) => `'${printable(value)}'`;
  let boxFields: string[];
  let sha: string | undefined;
  if (fields.length === 6) {
    boxFields = (fields[4] ?? '').split(',').map((s) => s.trim());
    sha = fields[5];
  } else if (fields.length === 9) {
    boxFields = fields.slice(4, 8);
    sha = fields[8];
  } else {
    return fail(
      `expected 6 tab-separated fields (name, image_id, face_id, url, x1,y1,x2,y2, sha256) but found ${fields.length}`,
    );
  }
  const [name, imageId, faceId, url] = fields as [string, string, string, string];
  if (name === '') return fail('empty actor name');
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url);
  } catch {
    return fail(`invalid URL ${quote(url)}`);
  }
  if (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:')
    return fail(`URL ${quote(url)} is not http(s)`);
  if (boxFields.length !== 4 || !boxFields.every((b) => INTEGER.test(b))) {
    return fail(`face box ${quote(boxFields.join(','))} is not four integers x1,y1,x2,y2`);
  }
  const [x1, y1, x2, y2] = boxFields.map(Number) as [number, number, number, number];
  if (![x1, y1, x2, y2].every(Number.isSafeInteger))
    return fail(`face box ${quote(boxFields.join(','))} has coordinates beyond ±2^53`);
  if (x1 < 0 || y1 < 0 || x2 <= x1 || y2 <= y1)
    return fail(`face box ${x1},${y1},${x2},${y2} is empty or negative`);
  if (sha === undefined || !SHA256.test(sha)) return fail(`SHA-256 ${quote(sha ?? '')} is not 64 hex digits`);
  return { line, name, imageId, faceId, url, box: { x1, y1, x2, y2 }, sha256: sha.toLowerCase() };
}
