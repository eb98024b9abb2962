/**
 * Runs several facelab CLI invocations in ONE child process (one tsx start instead of one per
 * case): `node --import tsx test/helpers/cli-batch.ts '<JSON array of argv arrays>'`. Each
 * case's stdout and stderr are captured and its exit code is what `main` returns, as
 * `cli-entry.ts` would set it; the results are printed as one JSON array.
 */
import { main } from '../../src/cli/main.js';

/** What one invocation did. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const cases = JSON.parse(process.argv[2] ?? '[]') as string[][];
const results: CliResult[] = [];
const realOut = process.stdout.write.bind(process.stdout);
const realErr = process.stderr.write.bind(process.stderr);
for (const argv of cases) {
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  let code: number;
  try {
    code = await main(argv);
  } finally {
    process.stdout.write = realOut;
    process.stderr.write = realErr;
  }
  results.push({ code, stdout, stderr });
}
realOut(`${JSON.stringify(results)}\n`);
