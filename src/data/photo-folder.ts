/**
 * Photo sources without a download: a folder per person (`DIR/<person>/<any file>`, the
 * convention of torchvision's `ImageFolder` and Keras' `image_dataset_from_directory`: the
 * folder name is the label, files may sit in sub-folders of it) and a labels CSV
 * (`path,person[,x1,y1,x2,y2]`, paths relative to the CSV's folder) for photos kept elsewhere.
 *
 * Every file is read once and named by its SHA-256; the same bytes found twice are used once
 * (the first by path order) and the others reported as `duplicate`. Nothing here decodes
 * images: a file that is not a photo is found out, and left out with its reason, when its face
 * is looked for. Hidden files (`.DS_Store`, `._x.jpg`) are not photos and are skipped silently.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ImageError, UserError } from '../errors.js';
import type { FaceBox } from './face-list.js';
import type { LabelledPhoto, LeftOutRecord } from './labelled-photo.js';

/** What a source yields: the photos to use and what was left out on the way. */
export interface PhotoSourceResult {
  photos: LabelledPhoto[];
  leftOut: LeftOutRecord[];
}

/** Largest file read as a photo: 200 MB (the largest FaceScrub original is 2.9 MB). */
const MAX_FILE_BYTES = 200 * 1024 * 1024;

/**
 * The photos of a folder per person. A missing folder, or one with no person folder holding a
 * file, is a `UserError`.
 *
 * @example
 * const { photos } = await photosFromFolder('my-photos'); // my-photos/Ann/1.jpg → person 'Ann'
 */
export async function photosFromFolder(dir: string): Promise<PhotoSourceResult> {
  const root = resolve(dir);
  let people: string[];
  try {
    const entries = await readdir(root, { withFileTypes: true });
    people = entries
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  } catch (error) {
    throw new UserError(`cannot read the photo folder ${root}: ${errorCode(error)}`);
  }
  const candidates: { person: string; file: string }[] = [];
  for (const person of people) {
    for (const file of await filesUnder(join(root, person))) candidates.push({ person, file });
  }
  if (candidates.length === 0) {
    throw new UserError(
      `${root} holds no photos in person folders: put each person's photos in a folder named after them (${root}/<person>/<photo>)`,
    );
  }
  return hashAll(candidates.map((c) => ({ ...c, origin: relative(root, c.file) })));
}

/**
 * The photos of a labels CSV: `path,person` or `path,person,x1,y1,x2,y2` per line (a first line
 * starting with `path,` is a header; quotes around a field are allowed). A bad line is left out
 * as `malformed line`, never fatal; a CSV with no usable line is a `UserError`.
 */
export async function photosFromLabels(csv: string): Promise<PhotoSourceResult> {
  const file = resolve(csv);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read the labels file ${file}: ${errorCode(error)}`);
  }
  const base = dirname(file);
  const leftOut: LeftOutRecord[] = [];
  const candidates: { person: string; file: string; origin: string; box?: FaceBox }[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const origin = `${csv} line ${i + 1}`;
    if (raw.trim() === '' || (i === 0 && /^\s*"?path"?\s*,/i.test(raw))) continue;
    const fields = splitCsvLine(raw);
    const bad = (why: string): void => {
      leftOut.push({ origin, reason: 'malformed line', message: `${origin}: ${why}` });
    };
    if (fields.length !== 2 && fields.length !== 6) {
      bad(`expected path,person or path,person,x1,y1,x2,y2 but found ${fields.length} fields`);
      continue;
    }
    const [path, person] = fields as [string, string];
    if (path === '' || person === '') {
      bad('the path and the person must not be empty');
      continue;
    }
    let box: FaceBox | undefined;
    if (fields.length === 6) {
      const n = fields.slice(2).map((f) => (/^-?\d+$/.test(f) ? Number(f) : Number.NaN));
      const [x1, y1, x2, y2] = n as [number, number, number, number];
      if (!n.every(Number.isSafeInteger) || x2 <= x1 || y2 <= y1) {
        bad(`the box ${fields.slice(2).join(',')} is not four integers x1,y1,x2,y2 with x2 > x1 and y2 > y1`);
        continue;
      }
      box = { x1, y1, x2, y2 };
    }
    candidates.push({
      person,
      file: isAbsolute(path) ? path : join(base, path),
      origin,
      ...(box ? { box } : {}),
    });
  }
  if (candidates.length === 0) {
    throw new UserError(
      `${file} has no usable line (expected path,person[,x1,y1,x2,y2] per line${leftOut.length > 0 ? `; ${leftOut.length} malformed` : ''})`,
    );
  }
  const result = await hashAll(candidates);
  result.leftOut.unshift(...leftOut);
  return result;
}

/** Reads and hashes every candidate (a few at a time); unreadable files and repeats are left out. */
async function hashAll(
  candidates: readonly { person: string; file: string; origin: string; box?: FaceBox }[],
): Promise<PhotoSourceResult> {
  const hashes = new Array<string | ImageError>(candidates.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < candidates.length) {
      const i = next++;
      const { file, origin } = candidates[i]!;
      // Only the file's own problems leave it out; anything else is a bug and stops the run.
      hashes[i] = await sha256OfFile(file, origin).catch((error: unknown) => {
        if (error instanceof ImageError) return error;
        throw error;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, candidates.length) }, worker));
  const photos: LabelledPhoto[] = [];
  const leftOut: LeftOutRecord[] = [];
  const firstOrigin = new Map<string, string>();
  const seen = new Set<string>();
  for (const [i, c] of candidates.entries()) {
    const hash = hashes[i]!;
    if (hash instanceof ImageError) {
      leftOut.push({
        origin: c.origin,
        person: c.person,
        reason: 'unreadable file',
        message: hash.message,
      });
      continue;
    }
    if (seen.has(hash)) {
      leftOut.push({
        origin: c.origin,
        person: c.person,
        sha256: hash,
        reason: 'duplicate',
        message: `${c.origin}: the same photo as ${firstOrigin.get(hash)}, used once`,
      });
      continue;
    }
    seen.add(hash);
    firstOrigin.set(hash, c.origin);
    photos.push({
      sha256: hash,
      person: c.person,
      file: resolve(c.file),
      origin: c.origin,
      ...(c.box ? { box: c.box } : {}),
    });
  }
  return { photos, leftOut };
}

/** Every regular, non-hidden file below `dir`, sorted by path. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile() || entry.isSymbolicLink()) out.push(path);
  }
  return out;
}

/** SHA-256 of `file`; an `ImageError` named by `origin` (reason 'unreadable file') when it cannot be read. */
async function sha256OfFile(file: string, origin: string): Promise<string> {
  const unreadable = (message: string): ImageError => new ImageError(origin, 'unreadable file', message);
  const info = await stat(file).catch((error: unknown) => {
    throw unreadable(`cannot read the file (${errorCode(error)})`);
  });
  if (!info.isFile()) throw unreadable('not a regular file');
  if (info.size > MAX_FILE_BYTES)
    throw unreadable(`the file has ${info.size} bytes, more than a photo of ${MAX_FILE_BYTES}`);
  const bytes = await readFile(file).catch((error: unknown) => {
    throw unreadable(`cannot read the file (${errorCode(error)})`);
  });
  return createHash('sha256').update(bytes).digest('hex');
}

/** Splits one CSV line on commas; a field may be wrapped in double quotes ("" inside is a quote). */
function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (ch === ',') {
      fields.push(field.trim());
      field = '';
    } else field += ch;
  }
  fields.push(field.trim());
  return fields;
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}
