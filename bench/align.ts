/**
 * Landmark and alignment benchmark on the shared FaceScrub photos and their listed boxes:
 *
 * - facelab: `LandmarkDetector.detect` (ONNX Runtime, 2 threads) then `alignedCrop` at 150 px;
 *   also the landmarks alone;
 * - face-api itself (`@vladmandic/face-api`, TF.js WASM backend): `extractFaceTensors` of the
 *   listed box and `faceLandmark68Net.detectLandmarks`, as its landmark task does (face-api has
 *   no similarity alignment, so its side is the landmarks only).
 *
 * Photos are decoded before timing (both tools need the pixels; face-api's photo tensor is made
 * outside the timed part too), one face per photo, one call per photo as a pipeline makes them.
 * Times are medians of RUNS interleaved runs; load averages are printed before and after, since
 * other work on the machine skews both tools.
 *
 * Run: node --import tsx bench/align.ts [--photos N]  (a table, then one JSON line per measurement).
 */
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { alignedCrop } from '../src/align/face-align.js';
import { landmarkManifestPath } from '../src/align/landmark-net.js';
import { LandmarkDetector } from '../src/align/landmarks.js';
import { type FaceBox, readFaceList } from '../src/data/face-list.js';
import { decodePhoto, type RgbImage } from '../src/data/photo-decode.js';
import { facescrubImages, facescrubList, SIX_ACTORS } from '../test/helpers/shared.js';

const RUNS = 3;
const THREADS = 2;
const { values } = parseArgs({ options: { photos: { type: 'string', default: '120' } } });
const PHOTOS = Number(values.photos);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

// biome-ignore lint/suspicious/noExplicitAny: face-api's CommonJS bundle is untyped here
type Any = any;

/** The first `count` distinct photos of the six actors, in list order, with their boxes. */
async function loadPhotos(count: number): Promise<{ image: RgbImage; box: FaceBox }[]> {
  const files = new Map((await readdir(facescrubImages)).map((f) => [f.slice(0, 64), f]));
  const list = await readFaceList(facescrubList, { actors: SIX_ACTORS });
  const seen = new Set<string>();
  const photos: { image: RgbImage; box: FaceBox }[] = [];
  for (const line of list.lines) {
    const file = files.get(line.sha256);
    if (photos.length === count || !file || seen.has(line.sha256)) continue;
    seen.add(line.sha256);
    photos.push({ image: await decodePhoto(join(facescrubImages, file)), box: line.box });
  }
  return photos;
}

async function loadFaceApi(): Promise<{ faceapi: Any; tf: Any }> {
  const require = createRequire(import.meta.url);
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  const tf = faceapi.tf;
  await tf.setBackend('wasm');
  await tf.ready();
  const manifestPath = landmarkManifestPath();
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
  const bin = await readFile(manifestPath.replace('-weights_manifest.json', '.bin'));
  faceapi.nets.faceLandmark68Net.loadFromWeightMap(
    tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length), manifest[0].weights),
  );
  return { faceapi, tf };
}

console.log(`load average before: ${load()} on ${availableParallelism()} cores; ORT threads ${THREADS}`);
const photos = await loadPhotos(PHOTOS);
const detector = await LandmarkDetector.load({ threads: THREADS });
const { faceapi, tf } = await loadFaceApi();

/** Seconds facelab takes for every photo: landmarks, and the 150 px aligned crop when `align`. */
async function facelabSeconds(align: boolean): Promise<number> {
  const started = performance.now();
  for (const { image, box } of photos) {
    const [points] = await detector.detect(image, [box]);
    if (align) alignedCrop(image, points!, { side: 150 });
  }
  return (performance.now() - started) / 1000;
}

/** Seconds face-api takes for every photo's landmarks (photo tensor made outside the clock). */
async function faceApiSeconds(): Promise<number> {
  let seconds = 0;
  for (const { image, box } of photos) {
    const photo = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
    const started = performance.now();
    const rect = new faceapi.Rect(box.x1, box.y1, box.x2 - box.x1, box.y2 - box.y1);
    const [face] = await faceapi.extractFaceTensors(photo, [rect]);
    await faceapi.nets.faceLandmark68Net.detectLandmarks(face);
    seconds += (performance.now() - started) / 1000;
    face.dispose();
    photo.dispose();
  }
  return seconds;
}

const times: Record<string, number[]> = { aligned: [], landmarks: [], faceapi: [] };
try {
  // Warm-up: first runs compile kernels and allocate arenas.
  await detector.detect(photos[0]!.image, [photos[0]!.box]);
  const face = tf.zeros([112, 112, 3], 'int32');
  await faceapi.nets.faceLandmark68Net.detectLandmarks(face);
  face.dispose();
  for (let run = 0; run < RUNS; run++) {
    times.aligned!.push(await facelabSeconds(true));
    times.landmarks!.push(await facelabSeconds(false));
    times.faceapi!.push(await faceApiSeconds());
  }
} finally {
  await detector.dispose();
  faceapi.nets.faceLandmark68Net.dispose();
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const lines: Record<string, unknown>[] = [];
const rates: Record<string, number> = {};
for (const [key, tool, what, label] of [
  ['aligned', 'facelab', 'landmarks+align150', 'facelab landmarks + 150 px alignment (ORT)'],
  ['landmarks', 'facelab', 'landmarks', 'facelab landmarks (ORT)'],
  ['faceapi', 'face-api-wasm', 'landmarks', 'face-api landmarks (TF.js WASM)'],
] as const) {
  const rate = round1(photos.length / median(times[key]!));
  rates[key] = rate;
  const runs = times[key]!.map((t) => t.toFixed(2)).join(', ');
  console.log(
    `${label.padEnd(44)} ${String(rate).padStart(7)} photos/s median  ([${runs}] s, ${photos.length} photos)`,
  );
  lines.push({ bench: 'align', tool, what, photos: photos.length, photos_per_s: rate });
}
const ratio = rates.aligned! / rates.faceapi!;
const landmarkRatio = rates.landmarks! / rates.faceapi!;
console.log(
  `ratio facelab (landmarks + alignment) / face-api (landmarks): ${ratio.toFixed(2)}×; landmarks alone ${landmarkRatio.toFixed(2)}×`,
);
lines.push({
  bench: 'align-ratio',
  facelabAlignedOverFaceApi: Math.round(ratio * 100) / 100,
  facelabLandmarksOverFaceApi: Math.round(landmarkRatio * 100) / 100,
});
console.log(`load average after: ${load()}`);
for (const line of lines) console.log(JSON.stringify(line));
