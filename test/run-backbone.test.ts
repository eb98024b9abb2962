/**
 * `facelab run --backbone NAME`: the transfer step on a backbone other than the face network,
 * on a small synthetic demo dataset served on loopback (a one-point grid and a short head, so
 * the whole run takes seconds):
 *
 * - `--backbone expression` writes its head (head-expression-features/, whose model.onnx takes
 *   crops and records the expression backbone) and names backbone, layer and head in the JSON,
 *   with `accuracy.transfer` and no `face` key;
 * - the same run folder re-run with the default (face) backbone redoes the transfer step (and
 *   the report) only, and keeps `accuracy.face` for that default; with `--layers` it trains a
 *   head per layer and keeps (and names) the one with the best validation accuracy;
 * - an unknown backbone, one that needs a weights file, or a layer the backbone does not have is
 *   one error line, exit 2, before any step runs.
 */
import assert from 'node:assert/strict';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseFaceList } from '../src/data/face-list.js';
import { mirrorUrl } from '../src/data/mirror-url.js';
import { type PhotoRoute, type PhotoServer, startPhotoServer } from '../src/demo/photo-server.js';
import { generateDemoDataset } from '../src/demo/synthetic-dataset.js';
import { loadClassifierFile } from '../src/train/classifier-file.js';
import { runCliProcess } from './helpers/cli-process.js';

const FAST = ['--epochs', '20', '--batch', '16', '--hidden', '32', '--lr', '1e-2', '--head-epochs', '20'];

let temp = '';
let list = '';
let imagesDir = '';
let routes: ReadonlyMap<string, PhotoRoute> = new Map();
let server: PhotoServer | undefined;

before(async () => {
  temp = await mkdtemp(join(tmpdir(), 'facelab-run-backbone-'));
  const demo = await generateDemoDataset({ outDir: join(temp, 'dataset'), seed: 5, photosPerPerson: 16 });
  list = demo.listFile;
  imagesDir = demo.imagesDir;
  routes = demo.routes;
  server = await startPhotoServer({ imagesDir: demo.imagesDir, routes: demo.routes });
});

after(async () => {
  await server?.close();
  if (temp) await rm(temp, { recursive: true, force: true });
});

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);

test('run --backbone expression: its head and a crop-taking model.onnx, named in the JSON; the default face backbone redoes only the transfer', async () => {
  const dir = join(temp, 'run');
  const args = ['run', '--subset', list, '--mirror', server!.url, '--out', dir, ...FAST, '--json'];
  const first = await runCliProcess([...args, '--backbone', 'expression']);
  assert.equal(first.code, 0, first.stderr);
  const summary = lastJson(first.stdout);
  const head = join(dir, 'transfer', 'head-expression-features');
  assert.equal(summary.backbone, 'expression');
  assert.equal(summary.layer, 'features');
  assert.equal(summary.model, head);
  assert.ok(summary.accuracy.transfer >= 0 && summary.accuracy.transfer <= 1, JSON.stringify(summary));
  assert.equal('face' in summary.accuracy, false, 'face is the key of the face backbone only');
  assert.match(first.stderr, /expression backbone \(features\) \d+\.\d %/);

  const metrics = JSON.parse(await readFile(join(head, 'metrics.json'), 'utf8'));
  assert.equal(metrics.accuracy.test, summary.accuracy.transfer);
  const model = await loadClassifierFile(head);
  assert.equal(model.input.kind, 'image', 'model.onnx takes the crop');
  assert.equal(model.input.kind === 'image' && model.input.backbone?.kind, 'expression');
  assert.equal(model.labels.length, 6);
  await access(join(head, 'head.onnx'));
  const state = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8'));
  assert.equal(state.steps.transfer.options.backbone, 'expression');

  // The model predicts a photo of the list through facelab predict, crop in.
  const served = (url: string) => routes.get(mirrorUrl(url, ''));
  const line = parseFaceList(await readFile(list, 'utf8'), list).lines.find((l) => {
    const route = served(l.url);
    return route?.file !== undefined && route.fault === undefined;
  })!;
  const photo = join(imagesDir, served(line.url)!.file!);
  const predicted = await runCliProcess([
    'predict',
    '--model',
    head,
    photo,
    '--box',
    [line.box.x1, line.box.y1, line.box.x2, line.box.y2].join(','),
    '--json',
  ]);
  assert.equal(predicted.code, 0, predicted.stderr);
  const top = lastJson(predicted.stdout)[0].top;
  assert.ok(model.labels.includes(top[0].actor), JSON.stringify(top));

  const face = await runCliProcess(args);
  assert.equal(face.code, 0, face.stderr);
  const faceSummary = lastJson(face.stdout);
  assert.deepEqual(faceSummary.steps, {
    download: 'skipped',
    prepare: 'skipped',
    grid: 'skipped',
    units: 'skipped',
    transfer: 'ran',
    report: 'ran',
  });
  assert.equal(faceSummary.backbone, 'face');
  assert.equal(faceSummary.model, join(dir, 'transfer', 'head-face-descriptor'));
  assert.equal(faceSummary.accuracy.face, faceSummary.accuracy.transfer);
  assert.equal(faceSummary.accuracy.pixels, summary.accuracy.pixels, 'the grid was not redone');

  // --layers: a head per layer, the one with the best validation accuracy kept and named.
  const swept = await runCliProcess([...args, '--backbone', 'expression', '--layers', 'dense3,features']);
  assert.equal(swept.code, 0, swept.stderr);
  const sweepSummary = lastJson(swept.stdout);
  assert.equal(sweepSummary.steps.transfer, 'ran');
  const sweep = JSON.parse(await readFile(join(dir, 'transfer', 'layers-expression.json'), 'utf8'));
  assert.deepEqual(
    sweep.layers.map((l: { layer: string }) => l.layer),
    ['dense3', 'features'],
  );
  const best = sweep.layers.reduce((a: { val: number }, b: { val: number }) => (b.val > a.val ? b : a));
  assert.equal(sweepSummary.layer, best.layer);
  assert.equal(sweepSummary.model, join(dir, 'transfer', `head-expression-${best.layer}`));
  assert.equal(sweepSummary.accuracy.transfer, best.test);
  await access(join(dir, 'transfer', 'transfer-layers.png'));
});

test('an unknown backbone, one that needs weights, a layer the backbone lacks: one error line, exit 2, nothing run', async () => {
  const cases: [string[], RegExp][] = [
    [
      ['--backbone', 'resnet9'],
      /^facelab run: Expected face \| expression \| .* for --backbone but received 'resnet9'/,
    ],
    [['--backbone', 'alexnet'], /^facelab run: --backbone alexnet needs a weights file, .*facelab transfer/],
    [['--backbone', 'ssd', '--layers', 'conv7_grid,conv99'], /^facelab run: .*--layer.* 'conv99'/],
  ];
  for (const [flags, message] of cases) {
    const out = join(temp, `refused-${flags[1]}`);
    const result = await runCliProcess(['run', '--subset', list, '--out', out, ...flags]);
    assert.equal(result.code, 2, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, message);
    await assert.rejects(access(join(out, 'run.json')), 'no step ran');
  }
});

test('run --help lists the backbones it takes, what each was trained on, and their layers', async () => {
  const help = await runCliProcess(['run', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--backbone/);
  assert.match(help.stdout, /ssd +face-api's SSD-MobileNetV1 face detector/);
  assert.match(help.stdout, /layers: conv5_pool conv7_pool/);
  assert.doesNotMatch(help.stdout, /^ {2}alexnet /m);
});
