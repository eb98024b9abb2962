/**
 * facelab's version, read from its `package.json` (the one place it is written), for
 * `facelab --version`, the producer field of the ONNX models it writes and the report's footer.
 */
import { readFileSync } from 'node:fs';

// `src/version.ts` and the built `dist/version.js` both sit one folder below package.json.
const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** The version in package.json, e.g. '0.1.0'. */
export const FACELAB_VERSION: string = manifest.version;
