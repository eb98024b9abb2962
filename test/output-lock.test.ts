/**
 * One command per output folder (src/pipeline/output-lock.ts): `train`, `grid`, `prepare` and
 * `transfer` refuse a folder another live facelab command writes, with one line naming it and
 * the process, exit 2, and touch nothing in it; a lock left by a killed command is taken over;
 * of two commands started on one folder, the second is refused while the first finishes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { OUTPUT_LOCK } from '../src/pipeline/output-lock.js';
import { runCliProcess } from './helpers/cli-process.js';
import { makePreparedData } from './helpers/fake-cache.js';

let temp = '';
let prepared = '';

before(async () => {
  temp = await mkdtemp(join(tmpdir(), 'facelab-output-lock-'));
  prepared = await makePreparedData(temp, { sizes: [32] });
});
after(async () => {
  await rm(temp, { recursive: true, force: true });
});

/** A process that stays alive until killed, and its id. */
function liveProcess(): { pid: number; kill: () => void } {
  const child = spawn('sleep', ['120'], { stdio: 'ignore' });
  return { pid: child.pid!, kill: () => child.kill() };
}

for (const command of [
  ['train', '--data', '{data}', '--epochs', '2', '--hidden', '10'],
  ['grid', '--data', '{data}', '--epochs', '2', '--batch', '32', '--hidden', '10', '--lr', '0.001'],
  ['prepare', '--subset', '{missing}'],
  ['transfer', '--data', '{data}', '--backbone', 'face', '--epochs', '2'],
]) {
  test(`${command[0]} refuses an output folder another live command holds, and leaves it alone`, async () => {
    const out = join(temp, `busy-${command[0]}`);
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'model.onnx'), 'an earlier run’s model');
    const holder = liveProcess();
    try {
      await writeFile(join(out, OUTPUT_LOCK), `${holder.pid}\n`);
      const args = command.map((a) =>
        a.replace('{data}', prepared).replace('{missing}', join(temp, 'no-list.txt')),
      );
      const result = await runCliProcess([...args, '--out', out]);
      assert.equal(result.code, 2, result.stderr);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(
        lines[0]!,
        new RegExp(
          `^facelab ${command[0]}: .*busy-${command[0]} is in use by another facelab command \\(process ${holder.pid}\\)`,
        ),
      );
      assert.equal(await readFile(join(out, 'model.onnx'), 'utf8'), 'an earlier run’s model');
      assert.equal(
        (await readFile(join(out, OUTPUT_LOCK), 'utf8')).trim(),
        String(holder.pid),
        'the lock is not taken',
      );
    } finally {
      holder.kill();
    }
  });
}

test('a lock left by a killed command is taken over, and released when the command ends', async () => {
  const out = join(temp, 'stale');
  await mkdir(out, { recursive: true });
  const gone = liveProcess();
  gone.kill();
  await sleep(200);
  await writeFile(join(out, OUTPUT_LOCK), `${gone.pid}\n`);
  const result = await runCliProcess([
    'train',
    '--data',
    prepared,
    '--epochs',
    '2',
    '--hidden',
    '10',
    '--out',
    out,
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.ok(existsSync(join(out, 'model.onnx')));
  assert.ok(!existsSync(join(out, OUTPUT_LOCK)), 'the lock is released');
});

test('two trains on one folder: the second is refused while the first runs, the first finishes', async () => {
  const out = join(temp, 'shared');
  const args = ['train', '--data', prepared, '--epochs', '200', '--out', out];
  const first = runCliProcess(args);
  for (let waited = 0; !existsSync(join(out, OUTPUT_LOCK)); waited += 20) {
    assert.ok(waited < 60_000, 'the first train never took the lock');
    await sleep(20);
  }
  const second = await runCliProcess(args);
  assert.equal(second.code, 2, second.stderr);
  assert.match(second.stderr, /shared is in use by another facelab command \(process \d+\)/);
  const firstResult = await first;
  assert.equal(firstResult.code, 0, firstResult.stderr);
  assert.ok(existsSync(join(out, 'model.onnx')));
  assert.ok(!existsSync(join(out, OUTPUT_LOCK)));
});
