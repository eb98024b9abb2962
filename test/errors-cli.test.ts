/**
 * The error contract of the CLI: a bad option value or a file in the wrong format, given to any
 * command, is one line `facelab <command>: …` naming the value, and exit code 2 — never a
 * crash (`error:` prefix, exit 1). Values that pass the flag parser but are refused deeper in
 * the library (an unprepared crop side, an unknown actor, a model that is no ONNX model) are
 * the cases that matter: they prove the library raises `UserError`s, not bare `RangeError`s.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { resizeBilinear } from '../src/data/resample.js';
import { splitByActor } from '../src/data/split.js';
import { GraphBuilder } from '../src/engine/onnx-builder.js';
import { ArgumentError, FacelabError, FileFormatError, InvalidOptionError } from '../src/errors.js';
import { createRng } from '../src/random.js';
import { sfntToWoff } from '../src/viz/woff.js';
import { runCli } from './helpers/capture-cli.js';
import { facescrubList } from './helpers/shared.js';
import { makeSmallRun, type SmallRun } from './helpers/small-run.js';

let tmp = '';
let run: SmallRun | undefined;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'facelab-errors-cli-'));
  run = await makeSmallRun();
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
  await run?.cleanup();
});

/** Runs `facelab <args>` and checks it printed one error line matching `pattern`, exit 2. */
async function expectUserError(args: string[], pattern: RegExp): Promise<void> {
  const { code, stderr } = await runCli(args);
  // Warnings (e.g. the random-weights notice) may precede the error; progress goes elsewhere.
  const lines = stderr
    .trim()
    .split('\n')
    .filter((l) => l !== '' && !/^(warning|WARNING):/.test(l));
  assert.equal(code, 2, `exit code of facelab ${args.join(' ')}\n${stderr}`);
  assert.equal(lines.length, 1, `one line from facelab ${args.join(' ')}:\n${stderr}`);
  const line = lines[0]!;
  assert.match(line, new RegExp(`^facelab ${args[0]}: `), line);
  assert.doesNotMatch(line, /: error: /, line);
  assert.match(line, pattern, line);
}

const dir = (): string => run!.dir;
const data = (): string => join(dir(), 'data');

test('download: a bad --mirror, --concurrency and --timeout are one line, exit 2', async () => {
  const cache = join(tmp, 'cache');
  const base = ['download', '--subset', facescrubList, '--cache', cache];
  await expectUserError([...base, '--mirror', 'ftp://mirror'], /--mirror.*'ftp:\/\/mirror'/);
  await expectUserError([...base, '--concurrency', '0'], /--concurrency.*'0'/);
  await expectUserError([...base, '--timeout', '-3'], /--timeout.*'-3'/);
  await expectUserError([...base, '--actors', 'Nobody Atall'], /Nobody Atall/);
});

test('prepare: crop sides out of range and unknown actors are one line, exit 2', async () => {
  const base = [
    'prepare',
    '--subset',
    facescrubList,
    '--cache',
    join(dir(), 'cache'),
    '--out',
    join(tmp, 'p'),
  ];
  await expectUserError([...base, '--sizes', '32,100000'], /--sizes.*'32,100000'/);
  await expectUserError([...base, '--sizes', '32,x'], /--sizes/);
  await expectUserError([...base, '--actors', 'Nobody Atall'], /Nobody Atall/);
});

test('train: a crop side that was not prepared, a bad seed or rate, a damaged .npz: exit 2', async () => {
  const base = ['train', '--data', data(), '--out', join(tmp, 't'), '--epochs', '1'];
  await expectUserError([...base, '--size', '64'], /no 64 px crops/);
  await expectUserError([...base, '--seed', '1.5'], /--seed.*'1\.5'/);
  await expectUserError([...base, '--lr', '0'], /--lr.*'0'/);
  const damaged = join(tmp, 'damaged');
  await cp(data(), damaged, { recursive: true });
  const npz = join(damaged, 'faces_32.npz');
  await writeFile(npz, (await readFile(npz)).subarray(0, 1000));
  await expectUserError(['train', '--data', damaged, '--out', join(tmp, 't2')], /faces_32\.npz/);
});

test('grid: a bad --select, --workers or list is one line, exit 2', async () => {
  const base = ['grid', '--data', data(), '--out', join(tmp, 'g')];
  await expectUserError([...base, '--select', 'train'], /--select.*'train'/);
  await expectUserError([...base, '--workers', '0'], /--workers.*'0'/);
  await expectUserError([...base, '--batch', '32,,64'], /--batch/);
  await expectUserError([...base, '--lr', '1e-3,-1'], /--lr/);
});

test('features: unknown backbone or layer, a side too small, a file that is no model: exit 2', async () => {
  const base = ['features', '--data', data(), '--out', join(tmp, 'f.npz')];
  await expectUserError([...base, '--backbone', 'vgg'], /--backbone.*'vgg'/);
  await expectUserError([...base, '--backbone', 'face', '--layer', 'nope'], /--layer.*'nope'/);
  await expectUserError([...base, '--backbone', 'face', '--preprocess', 'bgr'], /--preprocess.*'bgr'/);
  await expectUserError(
    [...base, '--backbone', 'alexnet', '--random-weights', '3', '--side', '16'],
    /side.*16/,
  );
  await expectUserError([...base, '--backbone', 'onnx'], /--weights/);
  const junk = join(tmp, 'junk.onnx');
  await writeFile(junk, 'this is not an ONNX model');
  await expectUserError([...base, '--backbone', 'onnx', '--weights', junk], /junk\.onnx/);
});

test('transfer: a baseline side that was not prepared, a bad --hidden: exit 2', async () => {
  const base = ['transfer', '--data', data(), '--out', join(tmp, 'tr'), '--backbone', 'face'];
  await expectUserError([...base, '--hidden', '0'], /--hidden.*'0'/);
  await expectUserError([...base, '--baseline-size', '64', '--epochs', '1'], /no 64 px crops/);
});

test('predict: a bad --top or --box is one line, exit 2', async () => {
  const model = join(dir(), 'grid', 'best', 'model.onnx');
  const photo = join(tmp, 'photo.jpg');
  await writeFile(photo, 'never read: the flags are refused first');
  await expectUserError(['predict', '--model', model, '--top', '0', photo], /--top.*'0'/);
  await expectUserError(['predict', '--model', model, '--box', '1,2,3', photo], /--box.*'1,2,3'/);
});

test('detect: a bad --min-score, --detector or --threads is one line, exit 2', async () => {
  const photo = join(tmp, 'detect-photo.jpg');
  await writeFile(photo, 'never read: the flags are refused first');
  await expectUserError(['detect', '--min-score', '1.5', photo], /--min-score.*'1\.5'/);
  await expectUserError(['detect', '--detector', 'haar', photo], /--detector.*'haar'/);
  await expectUserError(['detect', '--threads', '0', photo], /--threads.*'0'/);
});

test('prepare from a folder or a labels file: a missing one is one line, exit 2', async () => {
  const out = join(tmp, 'p-photos');
  await expectUserError(['prepare', '--photos', join(tmp, 'no-such-folder'), '--out', out], /no-such-folder/);
  await expectUserError(['prepare', '--labels', join(tmp, 'no-such.csv'), '--out', out], /no-such\.csv/);
});

test('units: an unknown actor, a bad --rank, a damaged model: exit 2', async () => {
  const base = ['units', '--run', dir(), '--out', join(tmp, 'u.png')];
  await expectUserError([...base, '--actor', 'Nobody Atall'], /unknown actor 'Nobody Atall'/);
  await expectUserError([...base, '--actor', 'Bill Hader', '--rank', 'max'], /--rank.*'max'/);
  await expectUserError([...base, '--actor', 'Bill Hader', '--top', '0'], /--top.*'0'/);
  const grid = join(tmp, 'damaged-grid');
  await cp(join(dir(), 'grid'), grid, { recursive: true });
  await writeFile(join(grid, 'best', 'model.onnx'), 'not a model');
  await expectUserError(
    ['units', '--run', grid, '--actor', 'Bill Hader', '--out', join(tmp, 'u2.png')],
    /model\.onnx/,
  );
});

test('report: a folder that is no run is one line, exit 2', async () => {
  await expectUserError(['report', '--run', join(tmp, 'nothing-here')], /nothing-here is not a run/);
});

test('run and demo: bad pipeline flags are one line, exit 2', async () => {
  const runBase = ['run', '--subset', facescrubList, '--out', join(tmp, 'r')];
  await expectUserError([...runBase, '--mirror', 'not a url'], /--mirror/);
  await expectUserError([...runBase, '--head-epochs', '0'], /--head-epochs.*'0'/);
  await expectUserError([...runBase, '--split-seed', '-1'], /--split-seed.*'-1'/);
  await mkdir(join(tmp, 'demo'), { recursive: true });
  await expectUserError(['demo', '--out', join(tmp, 'demo'), '--photos', '0'], /--photos.*'0'/);
  await expectUserError(['demo', '--out', join(tmp, 'demo'), '--hidden', '10,abc'], /--hidden/);
});

test('an unknown flag or command is one line, exit 2', async () => {
  await expectUserError(['train', '--bogus', '1'], /bogus/);
  const { code, stderr } = await runCli(['trian']);
  assert.equal(code, 2);
  assert.match(stderr, /^facelab: unknown command 'trian'/);
});

test('library errors on bad options and files are FacelabErrors of the right kind', () => {
  const kind =
    (cls: abstract new (...args: never[]) => FacelabError, pattern: RegExp) =>
    (error: unknown): boolean =>
      error instanceof cls && error instanceof FacelabError && pattern.test(error.message);
  assert.throws(() => createRng(1.5), kind(InvalidOptionError, /safe integer seed.*1\.5/));
  assert.throws(() => createRng(1).int(0), kind(InvalidOptionError, /rng\.int\(n\).*received 0/));
  assert.throws(
    () => splitByActor([], { sizes: { train: -1, val: 1, test: 1 } }),
    kind(InvalidOptionError, /sizes\.train.*-1/),
  );
  const photo = { sha256: 'a'.repeat(64), actor: 'A' };
  assert.throws(() => splitByActor([photo, photo]), kind(ArgumentError, /appears twice/));
  const pixels = new Uint8Array(2 * 2 * 3);
  assert.throws(
    () => resizeBilinear(pixels, { width: 2, height: 2, outWidth: 0, outHeight: 1 }),
    kind(InvalidOptionError, /outWidth.*received 0/),
  );
  assert.throws(
    () => resizeBilinear(pixels, { width: 3, height: 2, outWidth: 1, outHeight: 1 }),
    kind(ArgumentError, /3×2×3 bytes but received 12/),
  );
  const g = new GraphBuilder('g');
  g.input('x', 'float32', [1]);
  assert.throws(() => g.input('x', 'float32', [1]), kind(ArgumentError, /'x' is already used/));
  assert.throws(
    () => sfntToWoff(new Uint8Array(8), 'tiny.ttf'),
    kind(FileFormatError, /^tiny\.ttf: too short/),
  );
});
