/**
 * Face-detection benchmark on 2 cores: facelab's SSD-MobileNetV1 and tiny face detector (ONNX
 * Runtime) against `@vladmandic/face-api`'s own SSD and tiny detector (TF.js WASM backend), on
 * the same shared photos in the same run.
 *
 * Each photo is decoded once with `decodePhoto` before timing: decoding is EXCLUDED on both sides.
 * Timed: facelab's `FaceDetector.detect(image)` (pad-to-square resize, network, decoding, NMS);
 * face-api's `tf.tensor3d(pixels)` + `locateFaces` (the same steps in TF.js). Default options on
 * both sides (SSD minScore 0.5 at 512 px; tiny 0.5 at 416 px). The four detectors run
 * interleaved photo by photo, so load from other work on the machine falls on all of them alike;
 * the load average is printed before and after, and the CPU time per photo (all threads) beside
 * the wall time, since on a loaded machine the wall-time ratio says more about the neighbours.
 * Target (issue): facelab ≥ 5× face-api in photos/s.
 *
 * Run: node --import tsx bench/detect.ts [--photos N]  (default 40; a table, then JSON lines).
 */
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { decodePhoto, type RgbImage } from '../src/data/photo-decode.js';
import { type DetectorKind, FaceDetector } from '../src/detect/face-detector.js';
import { loadFaceApi, spreadPhotos } from '../test/helpers/face-api-detectors.js';

const THREADS = 2;
const { values } = parseArgs({ options: { photos: { type: 'string', default: '40' } } });
const count = Number(values.photos);
if (!Number.isInteger(count) || count < 1) {
  console.error(`bench/detect: --photos must be a positive integer, got ${values.photos}`);
  process.exit(2);
}
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

console.log(`load average before: ${load()} on ${availableParallelism()} cores; ORT threads ${THREADS}`);
const images: RgbImage[] = [];
for (const path of await spreadPhotos(count)) images.push(await decodePhoto(path));
const faceApi = await loadFaceApi();
const kinds: DetectorKind[] = ['ssd', 'tiny'];
const ours = new Map<DetectorKind, FaceDetector>();
for (const kind of kinds) ours.set(kind, await FaceDetector.load({ detector: kind, threads: THREADS }));
const seconds: Record<string, number> = {
  'facelab-ssd': 0,
  'face-api-ssd': 0,
  'facelab-tiny': 0,
  'face-api-tiny': 0,
};
/** Process CPU seconds (every thread: ORT's pool, TF.js's WASM), less sensitive than wall time to other work. */
const cpuSeconds: Record<string, number> = { ...seconds };
/** Runs `work`, adding its wall and CPU time to `key`. */
async function timed(key: string, work: () => Promise<unknown>): Promise<void> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  seconds[key]! += (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  cpuSeconds[key]! += (used.user + used.system) / 1e6;
}
try {
  // Warm-up: first runs allocate and (TF.js) compile kernels.
  for (const kind of kinds) {
    await ours.get(kind)!.detect(images[0]!);
    await faceApi.detect(images[0]!, kind);
  }
  for (const image of images) {
    for (const kind of kinds) {
      await timed(`facelab-${kind}`, () => ours.get(kind)!.detect(image));
      await timed(`face-api-${kind}`, () => faceApi.detect(image, kind));
    }
  }
} finally {
  for (const detector of ours.values()) await detector.dispose();
  faceApi.dispose();
}

const lines: Record<string, unknown>[] = [];
const round2 = (x: number): number => Math.round(x * 100) / 100;
for (const kind of kinds) {
  const rates: Record<string, number> = {};
  const cpuPerPhoto: Record<string, number> = {};
  for (const tool of ['facelab', 'face-api']) {
    const s = seconds[`${tool}-${kind}`]!;
    rates[tool] = images.length / s;
    cpuPerPhoto[tool] = cpuSeconds[`${tool}-${kind}`]! / images.length;
    const label = `${tool === 'facelab' ? 'facelab (ORT)' : 'face-api (TF.js WASM)'} ${kind}`;
    console.log(
      `${label.padEnd(30)} ${rates[tool]!.toFixed(2).padStart(7)} photos/s  (${s.toFixed(1)} s, ${images.length} photos; ${(1000 * cpuPerPhoto[tool]!).toFixed(0)} ms CPU per photo)`,
    );
    lines.push({
      bench: 'detect',
      tool: tool === 'facelab' ? 'facelab' : 'face-api-wasm',
      detector: kind,
      photos: images.length,
      decode: 'excluded',
      photos_per_s: round2(rates[tool]!),
      cpu_ms_per_photo: Math.round(1000 * cpuPerPhoto[tool]!),
    });
  }
  const ratio = rates.facelab! / rates['face-api']!;
  const cpuRatio = cpuPerPhoto['face-api']! / cpuPerPhoto.facelab!;
  console.log(
    `ratio facelab / face-api on ${kind}: ${ratio.toFixed(2)}× photos/s (aim ≥ 5); ${cpuRatio.toFixed(2)}× less CPU per photo`,
  );
  lines.push({
    bench: 'detect-ratio',
    detector: kind,
    facelabOverFaceApi: round2(ratio),
    cpuFaceApiOverFacelab: round2(cpuRatio),
    target: 5,
  });
}
console.log(`load average after: ${load()}`);
for (const line of lines) console.log(JSON.stringify(line));
