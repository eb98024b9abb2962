/**
 * Shared by the two detector graphs: where face-api's detector weights live, checked access to
 * decoded TF.js weights, and TF's filter layouts turned into ONNX's.
 */
import { dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { faceApiManifestPath } from '../transfer/face-net.js';
import { hwioToOihw as hwioToOihwData, type NamedWeight } from '../transfer/tfjs-weights.js';

/** The TF.js weights manifest of one of face-api's models (`ssd_mobilenetv1_model`, `tiny_face_detector_model`). */
export function faceApiModelManifest(model: string): string {
  // face-net.ts already resolves the package (and says how to install it when it is missing).
  return join(dirname(faceApiManifestPath()), `${model}-weights_manifest.json`);
}

/** A weight of the expected rank, or a `UserError` naming it and the weights' file. */
export function takeWeight(
  weights: ReadonlyMap<string, NamedWeight>,
  name: string,
  rank: number,
  source: string,
): NamedWeight {
  const w = weights.get(name);
  if (!w || w.shape.length !== rank) throw new UserError(`${source}: missing or misshapen weight '${name}'`);
  return w;
}

/** TF's conv filter layout [kh, kw, in, out] to ONNX's [out, in, kh, kw]. */
export function hwioToOihw(w: NamedWeight): { data: Float32Array; dims: number[] } {
  const [kh, kw, cin, cout] = w.shape as [number, number, number, number];
  return { data: hwioToOihwData(w.data, kh, kw, cin, cout), dims: [cout, cin, kh, kw] };
}

/** TF's depthwise filter layout [kh, kw, channels, 1] to ONNX's grouped-conv [channels, 1, kh, kw]. */
export function depthwiseToOihw(w: NamedWeight): { data: Float32Array; dims: number[] } {
  const [kh, kw, channels, multiplier] = w.shape as [number, number, number, number];
  if (multiplier !== 1)
    throw new UserError(`depthwise filter with channel multiplier ${multiplier} (expected 1)`);
  const out = new Float32Array(w.data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let c = 0; c < channels; c++) out[(c * kh + y) * kw + x] = w.data[(y * kw + x) * channels + c]!;
  return { data: out, dims: [channels, 1, kh, kw] };
}
