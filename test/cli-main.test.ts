/**
 * The CLI entry point: `facelab help <command>`, and file-system errors on paths the user gave
 * (an --out under a file) as one clear line with exit code 2 rather than a crash.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from './helpers/capture-cli.js';
import { makeSmallRun } from './helpers/small-run.js';

let tmp = '';
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'facelab-cli-main-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

test('facelab help <command> prints that command’s help', async () => {
  const { code, stdout } = await runCli(['help', 'train']);
  assert.equal(code, 0);
  assert.match(stdout, /^Usage: facelab train --data DIR/);
});

test('an --out below a file is one line naming the path, exit code 2', async () => {
  const file = join(tmp, 'a-file');
  await writeFile(file, 'not a folder');
  const run = await makeSmallRun();
  const out = join(file, 'report.html');
  const { code, stderr } = await runCli(['report', '--run', run.dir, '--out', out]);
  assert.equal(code, 2);
  const lines = stderr
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('warning:'));
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0]!, /^facelab report: /);
  assert.ok(lines[0]!.includes(file), lines[0]);
  await run.cleanup();
});
