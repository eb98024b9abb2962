/**
 * Reading TensorFlow.js weight files (a `*-weights_manifest.json` and its `.bin` shards) without
 * TensorFlow.js. Quantised weights are expanded exactly as `tf.io.decodeWeights` does
 * (`q × scale + min` in double precision, stored as float32), so a network rebuilt from them
 * sees bit-identical weights.
 * Format: https://www.tensorflow.org/js/guide/save_load#weights_manifest
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UserError } from '../errors.js';

/** One float32 weight tensor, row-major, with TF.js's dims (convolution filters are HWIO). */
export interface NamedWeight {
  data: Float32Array;
  shape: number[];
}

/** One weight as a TF.js manifest lists it. */
export interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}

interface ManifestGroup {
  paths: string[];
  weights: ManifestEntry[];
}

const QUANTISED_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

/**
 * Reads every weight listed in a TF.js weights manifest, loading the `.bin` shards it names
 * from the manifest's folder.
 *
 * @example
 * const weights = await readTfjsWeights('node_modules/@vladmandic/face-api/model/face_recognition_model-weights_manifest.json');
 * weights.get('fc')?.shape; // [256, 128]
 */
export async function readTfjsWeights(manifestPath: string): Promise<Map<string, NamedWeight>> {
  let groups: ManifestGroup[];
  try {
    groups = parseManifest(JSON.parse(await readFile(manifestPath, 'utf8')), manifestPath);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(
      `cannot read the TF.js weights manifest ${manifestPath}: ${(error as Error).message}`,
    );
  }
  const weights = new Map<string, NamedWeight>();
  for (const group of groups) {
    const shards = await Promise.all(group.paths.map((p) => readShard(manifestPath, p)));
    const bytes = new Uint8Array(Buffer.concat(shards));
    for (const [name, weight] of decodeTfjsWeights(group.weights, bytes, manifestPath))
      weights.set(name, weight);
  }
  return weights;
}

/** One `.bin` shard, beside the manifest; a missing or unreadable one is a `UserError` naming both. */
async function readShard(manifestPath: string, shard: string): Promise<Buffer> {
  const path = join(dirname(manifestPath), shard);
  try {
    return await readFile(path);
  } catch (error) {
    throw new UserError(
      `cannot read ${path}, a weights shard named by the TF.js weights manifest ${manifestPath}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/**
 * Decodes the weights of one manifest group (`entries`, the group's `weights`) from the
 * concatenated bytes of its shards; `source` names them in errors.
 */
export function decodeTfjsWeights(
  entries: ManifestEntry[],
  bytes: Uint8Array,
  source: string,
): Map<string, NamedWeight> {
  const out = new Map<string, NamedWeight>();
  let offset = 0;
  for (const entry of entries) {
    const count = entry.shape.reduce((a, b) => a * b, 1);
    const q = entry.quantization;
    const width = q ? QUANTISED_BYTES[q.dtype] : entry.dtype === 'float32' ? 4 : undefined;
    if (width === undefined) {
      throw new UserError(
        `${source}: weight '${entry.name}' has unsupported dtype ${q?.dtype ?? entry.dtype}`,
      );
    }
    const size = count * width;
    if (offset + size > bytes.length) {
      throw new UserError(
        `${source}: the weight files end inside '${entry.name}' (need ${offset + size} bytes, have ${bytes.length})`,
      );
    }
    // Copy so the typed-array views below are aligned whatever the offset.
    const raw = bytes.slice(offset, offset + size);
    offset += size;
    const data = new Float32Array(count);
    if (!q) data.set(new Float32Array(raw.buffer));
    else if (q.dtype === 'float16') {
      const halves = new Uint16Array(raw.buffer);
      for (let i = 0; i < count; i++) data[i] = halfToFloat(halves[i]!);
    } else {
      const { scale, min } = q;
      if (typeof scale !== 'number' || typeof min !== 'number') {
        throw new UserError(`${source}: quantised weight '${entry.name}' lacks scale or min`);
      }
      const values = q.dtype === 'uint8' ? raw : new Uint16Array(raw.buffer);
      for (let i = 0; i < count; i++) data[i] = values[i]! * scale + min;
    }
    out.set(entry.name, { data, shape: entry.shape });
  }
  if (offset !== bytes.length) {
    throw new UserError(
      `${source}: the weight files hold ${bytes.length} bytes but the manifest lists ${offset}`,
    );
  }
  return out;
}

function parseManifest(json: unknown, source: string): ManifestGroup[] {
  const bad = (why: string): UserError => new UserError(`${source} is not a TF.js weights manifest: ${why}`);
  if (!Array.isArray(json)) throw bad('expected an array of weight groups');
  return json.map((group: unknown, i): ManifestGroup => {
    const g = group as Partial<ManifestGroup> | null;
    if (!g || !Array.isArray(g.paths) || !Array.isArray(g.weights))
      throw bad(`group ${i} lacks paths or weights`);
    for (const w of g.weights) {
      if (typeof w?.name !== 'string' || !Array.isArray(w.shape) || typeof w.dtype !== 'string') {
        throw bad(`group ${i} has a weight without name, shape or dtype`);
      }
    }
    return g as ManifestGroup;
  });
}

/** IEEE 754 half precision bits to a number. */
function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * A TF convolution filter ([kh, kw, in, out], row-major) in ONNX's layout ([out, in, kh, kw]):
 * every network rebuilt from TF.js weights goes through here.
 */
export function hwioToOihw(
  data: Float32Array,
  kh: number,
  kw: number,
  cin: number,
  cout: number,
): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++)
          out[((o * cin + i) * kh + y) * kw + x] = data[((y * kw + x) * cin + i) * cout + o]!;
  return out;
}
