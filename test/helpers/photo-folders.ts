/**
 * A folder per person made from the shared FaceScrub originals (copied, whole and uncropped, as
 * a user's own photos would be), optionally with the debris real folders hold: an HTML page
 * saved as `.jpg`, an empty file, a truncated JPEG, a text file, a hidden file, the same photo
 * in two people's folders, a photo with no face and a photo of two faces of one size.
 */
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { readFaceList } from '../../src/data/face-list.js';
import { facescrubImages, facescrubList } from './shared.js';

/** The shared photos of each person, in list order (one entry per distinct photo). */
export async function sharedPhotosByPerson(people: readonly string[]): Promise<Map<string, string[]>> {
  const files = new Map((await readdir(facescrubImages)).map((f) => [f.slice(0, 64), f]));
  const list = await readFaceList(facescrubList, { actors: people });
  const out = new Map<string, string[]>(people.map((p) => [p, []]));
  const seen = new Set<string>();
  for (const line of list.lines) {
    const file = files.get(line.sha256);
    if (!file || seen.has(line.sha256)) continue;
    seen.add(line.sha256);
    out.get(line.name)!.push(join(facescrubImages, file));
  }
  return out;
}

/** What `makePhotoFolder` put in the folder besides the real photos, by the reason prepare should give. */
export interface FolderDebris {
  'not an image': number;
  'corrupt image': number;
  duplicate: number;
  'no face': number;
  'ambiguous faces': number;
}

/** Options of `makePhotoFolder`. */
export interface PhotoFolderOptions {
  /** Photos copied per person (the first ones of the list). Default all. */
  perPerson?: number;
  /** Skip this many of each person's photos first. Default 0. */
  skip?: number;
  /** Add the debris described in the module comment. Default false. */
  debris?: boolean;
}

/** Writes `dir/<person>/<n>.<ext>` for every person; returns the real photos copied and the debris. */
export async function makePhotoFolder(
  dir: string,
  people: readonly string[],
  options: PhotoFolderOptions = {},
): Promise<{ photos: number; debris: FolderDebris }> {
  const byPerson = await sharedPhotosByPerson(people);
  let photos = 0;
  const copied: string[] = [];
  for (const person of people) {
    const folder = join(dir, person);
    await mkdir(folder, { recursive: true });
    const skip = options.skip ?? 0;
    const chosen = byPerson
      .get(person)!
      .slice(skip, options.perPerson === undefined ? undefined : skip + options.perPerson);
    for (const [i, file] of chosen.entries()) {
      const target = join(folder, `${String(i + 1).padStart(3, '0')}${file.slice(file.lastIndexOf('.'))}`);
      await copyFile(file, target);
      copied.push(target);
      photos++;
    }
  }
  const debris: FolderDebris = {
    'not an image': 0,
    'corrupt image': 0,
    duplicate: 0,
    'no face': 0,
    'ambiguous faces': 0,
  };
  if (!options.debris) return { photos, debris };
  const [first, second] = people as [string, string];
  const a = join(dir, first);
  const b = join(dir, second ?? first);
  await writeFile(join(a, 'page.jpg'), '<!DOCTYPE html><html><body>404 Not Found</body></html>\n');
  await writeFile(join(a, 'empty.jpg'), '');
  await writeFile(join(b, 'notes.txt'), 'holiday photos, summer\n');
  debris['not an image'] += 3;
  const jpeg = copied.find((f) => f.endsWith('.jpg'))!;
  const bytes = await readFile(jpeg);
  await writeFile(join(b, 'truncated.jpg'), bytes.subarray(0, Math.floor(bytes.length / 3)));
  debris['corrupt image'] += 1;
  await writeFile(join(a, '.DS_Store'), 'Bud1\0\0\0');
  await copyFile(jpeg, join(b, 'same-photo-again.jpg'));
  debris.duplicate += 1;
  await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 120, g: 160, b: 200 } } })
    .jpeg()
    .toFile(join(a, 'sky.jpg'));
  debris['no face'] += 1;
  await writeFile(join(b, 'two-faces.jpg'), await twoFaces(copied[0]!));
  debris['ambiguous faces'] += 1;
  return { photos, debris };
}

/** One photo twice, side by side: two faces of the same size. */
async function twoFaces(photo: string): Promise<Buffer> {
  const tile = await sharp(photo, { autoOrient: false })
    .resize(400, 500, { fit: 'cover' })
    .removeAlpha()
    .toBuffer();
  return sharp({ create: { width: 800, height: 500, channels: 3, background: '#000000' } })
    .composite([
      { input: tile, left: 0, top: 0 },
      { input: tile, left: 400, top: 0 },
    ])
    .jpeg()
    .toBuffer();
}
