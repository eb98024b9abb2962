/**
 * Feature-extraction benchmark on 2 cores, on the crops of the 580 shared photos (six actors;
 * the train/val/test images, 571 with the default split):
 *
 * - AlexNet pool5 (9216 features) at 227 px through ONNX Runtime, random weights (speed only),
 *   ImageNet preprocessing, batches of 32 — beside torchvision's AlexNet doing the same in
 *   PyTorch: the feature loop of `../shared/bench/peer_seed.py DATA alexnet --side 227`
 *   (its own `load_faces`/`split` and loop, run in a persistent Python process so the runs
 *   interleave with facelab's and the script's 200-epoch head training is not waited for);
 * - the face backbone (128-d descriptor) at 150 px through ONNX Runtime, beside
 *   `@vladmandic/face-api` itself on TF.js's WASM backend (one run: it is slow);
 * - the backbones trained on other tasks (ssd, agegender, expression, mobilenet, inception)
 *   beside each package's own TF.js model on WASM, same crops (`features-tfjs.ts`; aim ≥ 1×).
 *
 * Timings are medians of RUNS interleaved runs (preprocessing included, model loading not);
 * load averages are printed before and after, since other work on the machine skews both tools.
 * Target (issue 5): match or beat PyTorch on AlexNet; clearly beat face-api on the face net.
 *
 * Run: node --import tsx bench/features.ts   (a table, then one JSON line per measurement).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { PreparedDataset } from '../src/data/dataset.js';
import { prepareDataset } from '../src/data/prepare.js';
import { Backbone } from '../src/transfer/backbone.js';
import { resolveBackbone } from '../src/transfer/backbones.js';
import { loadCropsAtSide } from '../src/transfer/crops.js';
import { FACE_SIDE, faceApiManifestPath } from '../src/transfer/face-net.js';
import { makeFakeCache } from '../test/helpers/fake-cache.js';
import { pythonMissing } from '../test/helpers/python.js';
import { facescrubDir, facescrubList, SIX_ACTORS, sharedDir } from '../test/helpers/shared.js';
import { compareWithTfjs } from './features-tfjs.js';

const RUNS = 3;
const best = (values: number[]): number => Math.min(...values);
const THREADS = 2;
const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

// peer_seed.py's alexnet branch, minus the head: same crops, split, model, batches and threads.
const PEER = `
import sys, json, time, torch, torchvision
sys.path.insert(0, sys.argv[1])
import peer_seed
torch.set_num_threads(${THREADS})
data, names = peer_seed.split(peer_seed.load_faces(sys.argv[2], 227))
torch.manual_seed(0)
net = torchvision.models.alexnet().eval()
mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1); std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
print(json.dumps({'ready': True}), flush=True)
for _ in sys.stdin:
    t0 = time.time(); n = 0
    with torch.no_grad():
        for k, (x, y) in data.items():
            img = (x.view(-1, 227, 227, 3).permute(0, 3, 1, 2) + 1) / 2
            for i in range(0, len(img), 32):
                net.features((img[i:i + 32] - mean) / std).flatten(1); n += len(img[i:i + 32])
    print(json.dumps({'seconds': time.time() - t0, 'images': n}), flush=True)
`;

/** A Python process that times one feature pass per line written to it. */
async function startPeer(): Promise<{ run(): Promise<{ seconds: number; images: number }>; stop(): void }> {
  const child = spawn('/usr/bin/python3', ['-c', PEER, resolve(sharedDir, 'bench'), facescrubDir], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, number>> => {
    const line = await lines.next();
    if (line.done) throw new Error('the PyTorch reference exited early');
    return JSON.parse(line.value);
  };
  await next();
  return {
    async run() {
      child.stdin.write('go\n');
      const r = await next();
      return { seconds: r.seconds!, images: r.images! };
    },
    stop: () => child.stdin.end(),
  };
}

function allImages(data: PreparedDataset): { images: Uint8Array; count: number } {
  const parts = [data.train, data.val, data.test];
  const images = new Uint8Array(parts.reduce((n, p) => n + p.images.length, 0));
  let offset = 0;
  for (const p of parts) {
    images.set(p.images, offset);
    offset += p.images.length;
  }
  return { images, count: parts.reduce((n, p) => n + p.count, 0) };
}

/** face-api's own descriptor path (TF.js WASM), one image at a time as its API takes them. */
async function faceApiSeconds(images: Uint8Array, count: number): Promise<number> {
  const require = createRequire(import.meta.url);
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  const tf = faceapi.tf;
  await tf.setBackend('wasm');
  await tf.ready();
  const manifestPath = faceApiManifestPath();
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
  const bin = await readFile(manifestPath.replace('-weights_manifest.json', '.bin'));
  faceapi.nets.faceRecognitionNet.loadFromWeightMap(
    tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length), manifest[0].weights),
  );
  const bytes = FACE_SIDE * FACE_SIDE * 3;
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const t = tf.tensor3d(images.subarray(i * bytes, (i + 1) * bytes), [FACE_SIDE, FACE_SIDE, 3], 'int32');
    await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(t);
    t.dispose();
  }
  return (performance.now() - started) / 1000;
}

console.log(`load average before: ${load()} on ${availableParallelism()} cores; ORT threads ${THREADS}`);
const cache = await makeFakeCache();
const outRoot = await mkdtemp(join(tmpdir(), 'facelab-bench-features-'));
const lines: Record<string, unknown>[] = [];
try {
  const dataDir = join(outRoot, 'data');
  await prepareDataset({
    list: facescrubList,
    actors: SIX_ACTORS,
    cacheDir: cache.dir,
    outDir: dataDir,
    sizes: [227],
  });
  const crops227 = allImages(await loadCropsAtSide(dataDir, 227));
  const crops150 = allImages(await loadCropsAtSide(dataDir, FACE_SIDE));
  const alexnet = await Backbone.load(await resolveBackbone({ backbone: 'alexnet', randomWeights: 1 }), {
    threads: THREADS,
  });
  const face = await Backbone.load(await resolveBackbone({ backbone: 'face' }), { threads: THREADS });
  const missing = pythonMissing('torch', 'torchvision', 'PIL', 'numpy');
  const peer = missing ? undefined : await startPeer();
  const times: Record<string, number[]> = { alexnet: [], torch: [], face: [] };
  let torchImages = 0;
  try {
    await alexnet.extract(crops227.images.subarray(0, 32 * 227 * 227 * 3), 32); // warm-up
    await face.extract(crops150.images.subarray(0, 32 * FACE_SIDE * FACE_SIDE * 3), 32);
    for (let run = 0; run < RUNS; run++) {
      let started = performance.now();
      await alexnet.extract(crops227.images, crops227.count);
      times.alexnet!.push((performance.now() - started) / 1000);
      if (peer) {
        const r = await peer.run();
        times.torch!.push(r.seconds);
        torchImages = r.images;
      }
      started = performance.now();
      await face.extract(crops150.images, crops150.count);
      times.face!.push((performance.now() - started) / 1000);
    }
  } finally {
    peer?.stop();
    await alexnet.dispose();
    await face.dispose();
  }
  const round1 = (x: number): number => Math.round(x * 10) / 10;
  const rate = (images: number, key: string) => ({
    median: round1(images / median(times[key]!)),
    best: round1(images / best(times[key]!)),
  });
  const measure = (
    tool: string,
    backbone: string,
    layer: string,
    images: number,
    key: string,
    label: string,
  ) => {
    const r = rate(images, key);
    const values = times[key]!.map((t) => t.toFixed(2)).join(', ');
    console.log(
      `${label.padEnd(38)} ${String(r.median).padStart(6)} images/s median, ${r.best} best  ([${values}] s, ${images} images)`,
    );
    lines.push({
      bench: 'features',
      tool,
      backbone,
      layer,
      images,
      images_per_s: r.median,
      images_per_s_best: r.best,
    });
    return r;
  };
  const ours = measure(
    'facelab',
    'alexnet',
    'pool5',
    crops227.count,
    'alexnet',
    'facelab AlexNet pool5 (ORT, random)',
  );
  if (peer) {
    const torch = measure(
      'pytorch',
      'alexnet',
      'pool5',
      torchImages,
      'torch',
      'torchvision AlexNet features (PyTorch)',
    );
    const ratio = ours.median / torch.median;
    const bestRatio = ours.best / torch.best;
    console.log(
      `ratio facelab / PyTorch on AlexNet: ${ratio.toFixed(2)}× median, ${bestRatio.toFixed(2)}× best (aim ≥ 1)`,
    );
    lines.push({
      bench: 'features-ratio',
      backbone: 'alexnet',
      facelabOverPytorch: Math.round(ratio * 100) / 100,
      facelabOverPytorchBest: Math.round(bestRatio * 100) / 100,
      target: 1,
    });
  } else {
    console.log(
      `PyTorch reference not run: ${missing} (apt-get install python3-torch python3-torchvision python3-pil)`,
    );
  }
  const faceRate = measure(
    'facelab',
    'face',
    'descriptor',
    crops150.count,
    'face',
    'facelab face descriptor (ORT)',
  );
  const packageSeconds = await faceApiSeconds(crops150.images, crops150.count);
  const packageRate = round1(crops150.count / packageSeconds);
  console.log(
    `${'face-api descriptor (TF.js WASM)'.padEnd(38)} ${String(packageRate).padStart(6)} images/s  (${packageSeconds.toFixed(2)} s, one run)`,
  );
  const faceRatio = faceRate.median / packageRate;
  console.log(`ratio facelab / face-api on the face net: ${faceRatio.toFixed(2)}×`);
  lines.push({
    bench: 'features',
    tool: 'face-api-wasm',
    backbone: 'face',
    layer: 'descriptor',
    images: crops150.count,
    images_per_s: packageRate,
  });
  lines.push({
    bench: 'features-ratio',
    backbone: 'face',
    facelabOverFaceApi: Math.round(faceRatio * 100) / 100,
  });
  for (const r of await compareWithTfjs((side) => loadCropsAtSide(dataDir, side).then(allImages), {
    threads: THREADS,
  })) {
    console.log(
      `${`facelab ${r.backbone} ${r.layer} vs its TF.js`.padEnd(38)} ${String(r.facelab).padStart(6)} vs ${r.tfjs} images/s: ${r.ratio}× (aim ≥ 1)`,
    );
    lines.push({ bench: 'features-tfjs', ...r });
  }
} finally {
  await cache.cleanup();
  await rm(outRoot, { recursive: true, force: true });
}
console.log(`load average after: ${load()}`);
for (const line of lines) console.log(JSON.stringify(line));
