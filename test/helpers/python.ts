/**
 * Running the system Python (Debian's /usr/bin/python3 with python3-numpy / python3-pil) from
 * tests, to check facelab's files and pixels against NumPy and Pillow themselves. Tests skip
 * only the assertions that need Python, with the reason, when it or a module is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';

const PYTHON = '/usr/bin/python3';

/** Why `modules` cannot be imported by the system Python, or undefined when they can. */
export function pythonMissing(...modules: string[]): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ')], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} is not available (${probe.error.message})`;
  if (probe.status !== 0) {
    return `${PYTHON} cannot import ${modules.join(', ')}: ${probe.stderr.trim().split('\n').pop()} (apt-get install python3-numpy python3-pil)`;
  }
  return undefined;
}

/** Options of `runPython`. */
export interface RunPythonOptions {
  /** Command-line arguments (sys.argv[1:]). Default none. */
  args?: string[];
  /** Bytes for the script's stdin. Default none. */
  input?: Uint8Array;
}

/** Runs a Python script and returns its stdout (throws on a non-zero exit). */
export function runPython(script: string, options: RunPythonOptions = {}): Buffer {
  return execFileSync(PYTHON, ['-c', script, ...(options.args ?? [])], {
    maxBuffer: 1024 * 1024 * 1024,
    ...(options.input ? { input: options.input } : {}),
  });
}
