import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { isProcessAlive } from '../src/data/atomic-file.js';

test('isProcessAlive: this process and a running child are alive, an exited child is not', async () => {
  assert.equal(isProcessAlive(process.pid), true);
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  const pid = child.pid!;
  assert.equal(isProcessAlive(pid), true, 'running child');
  child.kill('SIGKILL');
  await once(child, 'exit');
  // The child is reaped once 'exit' fires, so its id names no process (barring reuse within
  // this instant, which Linux avoids by cycling through the pid range).
  assert.equal(isProcessAlive(pid), false, 'exited child');
});
