#!/usr/bin/env node
// The `facelab` command. Runs the compiled CLI from dist/ (built by `npm ci` via `prepare`).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
