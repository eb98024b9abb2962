/**
 * Runs the facelab CLI from source, for tests that need a real child process (signals, kills):
 * `node --import tsx test/helpers/cli-entry.ts <command> [flags]`. bin/facelab.js needs a build.
 */
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
