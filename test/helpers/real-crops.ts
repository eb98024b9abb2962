/**
 * A few real face crops from the shared FaceScrub photos, made with facelab's own cropper, for
 * tests that need real faces without preparing the whole dataset.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { cropFace } from '../../src/data/crop.js';
import { readFaceList } from '../../src/data/face-list.js';
import { facescrubImages, facescrubList, SIX_ACTORS } from './shared.js';

/** `perActor` crops of each of the six actors at `side` px, concatenated, with their labels. */
export async function realCrops(
  side: number,
  perActor = 1,
): Promise<{ images: Uint8Array; labels: number[]; count: number }> {
  const files = new Map((await readdir(facescrubImages)).map((f) => [f.slice(0, 64), f]));
  const list = await readFaceList(facescrubList, { actors: SIX_ACTORS });
  const crops: Uint8Array[] = [];
  const labels: number[] = [];
  for (const [label, actor] of SIX_ACTORS.entries()) {
    let taken = 0;
    for (const line of list.lines) {
      if (taken === perActor) break;
      const file = files.get(line.sha256);
      if (line.name !== actor || !file) continue;
      const {
        crops: [crop],
      } = await cropFace(join(facescrubImages, file), line.box, { sides: [side] });
      crops.push(crop!);
      labels.push(label);
      taken++;
    }
  }
  const images = new Uint8Array(crops.length * side * side * 3);
  for (const [i, c] of crops.entries()) images.set(c, i * c.length);
  return { images, labels, count: crops.length };
}
