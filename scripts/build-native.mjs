#!/usr/bin/env node
// Builds facelab's native training kernel (native/*.cc → build/Release/fused_adam.node)
// with node-gyp and the machine's C++ compiler, for the CPU it runs on (-march=native). Run by
// `npm ci` / `npm install` (the package's install script) and by `npm run build:native`, in the
// package root. A machine that cannot build it still installs: one line says so, and training
// uses ONNX Runtime alone (slower). FACELAB_NATIVE=0 skips the build. node-gyp's full output
// goes to build/native-build.log.
//
// Plain JavaScript, not TypeScript: it runs before the TypeScript compiler is installed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const root = process.cwd();
const target = join(root, 'build', 'Release', 'fused_adam.node');
const say = (text) => process.stderr.write(`facelab: ${text}\n`);
const fallback = 'training will use ONNX Runtime alone (slower); `npm run build:native` retries';

if (process.env.FACELAB_NATIVE === '0') {
  say(`native training kernel not built (FACELAB_NATIVE=0); ${fallback}`);
  process.exit(0);
}

/** node-gyp: the one npm runs scripts with, else the one bundled with this Node's npm, else PATH. */
function nodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return [process.execPath, fromNpm];
  const prefix = dirname(dirname(process.execPath));
  for (const candidate of [
    join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(prefix, 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ]) {
    if (existsSync(candidate)) return [process.execPath, candidate];
  }
  return ['node-gyp'];
}

// Node's own headers, so node-gyp never tries to download them (there may be no internet).
const args = ['rebuild'];
const prefix = dirname(dirname(process.execPath));
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) {
  args.push(`--nodedir=${prefix}`);
}
const [command, ...pre] = nodeGyp();
const started = Date.now();
const result = spawnSync(command, [...pre, ...args], { cwd: root, encoding: 'utf8', env: process.env });
mkdirSync(join(root, 'build'), { recursive: true });
const log = join(root, 'build', 'native-build.log');
writeFileSync(log, `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`);
const seconds = ((Date.now() - started) / 1000).toFixed(1);

function failed(why) {
  rmSync(target, { force: true });
  say(`native training kernel not built (${why}; see ${resolve(log)}); ${fallback}`);
  process.exit(0);
}

if (result.error) failed(`could not run node-gyp: ${result.error.message}`);
if (result.status !== 0 || !existsSync(target)) {
  const lines = `${result.stderr ?? ''}${result.stdout ?? ''}`.split('\n').map((l) => l.trim());
  const error = lines.find(
    (l) => /error/i.test(l) && !/^gyp ERR! (stack|System|command|cwd|node -v|node-gyp -v|not ok)/.test(l),
  );
  failed(error ? error.replace(/\s+/g, ' ').slice(0, 200) : `node-gyp exited with ${result.status}`);
}

// Load it and take one Adam step against the formula, so a kernel that builds but is wrong is
// never used.
try {
  const kernel = createRequire(import.meta.url)(target);
  const p = new Float32Array([0.5, -0.25]);
  const m = new Float32Array(2);
  const v = new Float32Array(2);
  kernel.adamStep(
    p,
    m,
    v,
    new Float32Array([0.1, -2]),
    0.01 / (1 - 0.9),
    Math.sqrt(1 - 0.999),
    0.9,
    0.999,
    1e-8,
    1,
  );
  // The first step moves each parameter by lr against its gradient's sign.
  if (Math.abs(p[0] - 0.49) > 1e-6 || Math.abs(p[1] + 0.24) > 1e-6)
    failed(`its first Adam step gave ${p[0]}, ${p[1]}`);
  say(`built the native training kernel (${kernel.build()}) in ${seconds} s`);
} catch (error) {
  failed(`it does not load: ${error.message}`);
}
