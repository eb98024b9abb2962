/**
 * The FaceScrub-format list of the demo dataset, and the route table that makes the loopback
 * photo server answer for its URLs. Good lines name their photo by a fake URL (hosts under the
 * reserved `.example` domain, so nothing can ever resolve them on the real web), the face box
 * and the file's SHA-256. A few lines are broken on purpose, as in the distributed list:
 *
 * - the first person's middle line: a deleted photo (the server answers 404);
 * - the second person's: a host that corrupts the bytes (SHA-256 mismatch);
 * - the third person's: an HTML page served as `image/jpeg`;
 * - the fourth person's: a line without its box (five fields instead of six);
 * - the last line: truncated mid-URL, without a final newline.
 *
 * The fifth person's middle photo is also listed twice under another URL, as real lists repeat
 * photos.
 */
import { createHash } from 'node:crypto';
import type { FaceBox } from '../data/face-list.js';
import { mirrorUrl } from '../data/mirror-url.js';
import type { PhotoRoute } from './photo-server.js';
import type { PersonTraits } from './synthetic-people.js';

/** A rendered photo as the list needs it. */
export interface ListedPhoto {
  /** Path relative to the images folder, e.g. `ada-synth/007.jpg`. */
  file: string;
  ext: 'jpg' | 'png';
  box: FaceBox;
  /** Lower-case hex SHA-256 of the file. */
  sha256: string;
}

/** What `composeDemoList` needs. */
export interface DemoListInput {
  people: readonly PersonTraits[];
  /** Each person's good photos, in order (`photos[p][n - 1]` is photo n of person p). */
  photos: readonly (readonly ListedPhoto[])[];
  /** A photo of the second person that the server will serve corrupted. */
  spare: ListedPhoto;
  /** Seed of the fake hashes of lines without a photo. */
  seed: number;
}

/** The list text and its routes. */
export interface DemoList {
  text: string;
  /** Mirror path (`/HOST/PATH?QUERY`) → route. */
  routes: Record<string, PhotoRoute>;
  /** Non-empty lines. */
  lines: number;
  /** Lines broken on purpose. */
  broken: number;
  /** Lines repeating another line's photo. */
  duplicates: number;
}

/** Host of most photos. */
export const DEMO_HOST = 'demo-photos.example';
/** Host of every seventh photo, behind a query string as CDN links are. */
export const DEMO_CDN_HOST = 'cdn.synthetic-faces.example';

/** Composes the list; a pure function of its input. */
export function composeDemoList(input: DemoListInput): DemoList {
  const { people, photos, spare, seed } = input;
  const rows: string[] = [];
  const routes: Record<string, PhotoRoute> = {};
  let imageId = 1000;
  let faceId = 500;
  const add = (name: string, url: string, box: FaceBox | string, sha: string, route?: PhotoRoute): void => {
    const boxText = typeof box === 'string' ? box : `${box.x1},${box.y1},${box.x2},${box.y2}`;
    rows.push([name, String(++imageId), String(++faceId), url, boxText, sha].join('\t'));
    if (route) routes[mirrorUrl(url, '')] = route;
  };
  const fakeSha = (text: string): string => createHash('sha256').update(`${seed}:${text}`).digest('hex');
  const fakeBox = '40,30,140,130';
  const photoUrl = (slug: string, name: string): string => `http://${DEMO_HOST}/${slug}/${name}`;
  let broken = 0;
  let duplicates = 0;
  people.forEach((person, p) => {
    const own = photos[p] ?? [];
    const middle = Math.ceil(own.length / 2);
    own.forEach((photo, i) => {
      const n = i + 1;
      const url =
        n % 7 === 0
          ? `https://${DEMO_CDN_HOST}/photo.php?id=${imageId + 1}&size=orig`
          : photoUrl(person.slug, `${String(n).padStart(3, '0')}.${photo.ext}`);
      add(person.name, url, photo.box, photo.sha256, { file: photo.file });
      if (n !== middle) return;
      if (p === 0) {
        add(person.name, photoUrl(person.slug, `deleted-${n}.jpg`), fakeBox, fakeSha('deleted'));
        broken++;
      } else if (p === 1) {
        const name = `${String(own.length + 1).padStart(3, '0')}.${spare.ext}`;
        add(person.name, photoUrl(person.slug, name), spare.box, spare.sha256, {
          file: spare.file,
          fault: 'wrong-bytes',
        });
        broken++;
      } else if (p === 2) {
        add(person.name, photoUrl(person.slug, `removed-${n}.jpg`), fakeBox, fakeSha('html'), {
          fault: 'html',
        });
        broken++;
      } else if (p === 3) {
        const url = photoUrl(person.slug, 'nobox.jpg');
        rows.push([person.name, String(++imageId), String(++faceId), url, fakeSha('nobox')].join('\t'));
        broken++;
      } else if (p === 4) {
        add(person.name, photoUrl(person.slug, `again-${n}.${photo.ext}`), photo.box, photo.sha256, {
          file: photo.file,
        });
        duplicates++;
      }
    });
  });
  const last = people[people.length - 1]!;
  const truncated = `${last.name}\t${++imageId}\t${++faceId}\thttp://${DEMO_HOST}/${last.slug.slice(0, 3)}`;
  broken++;
  return { text: `${rows.join('\n')}\n${truncated}`, routes, lines: rows.length + 1, broken, duplicates };
}
