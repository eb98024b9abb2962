/**
 * Runs the facelab CLI from source in a child process of its own, as a user would: exit code,
 * stdout and stderr (for tests that need a real process: exit codes, signals, a mirror served
 * from the test's own process meanwhile).
 */
import { spawn } from 'node:child_process';
import { repoRoot } from './shared.js';

/** Exit code (null when killed by a signal) and printed text of one CLI process. */
export interface CliProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `facelab <args>` (via test/helpers/cli-entry.ts, no build needed) and waits for it. */
export function runCliProcess(args: string[]): Promise<CliProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/cli-entry.ts', ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
