/**
 * Reading the `metadata_props` of an ONNX model (the key/value strings where facelab stores
 * what a model is: class names, input, preprocessing). Only `src/engine/` knows the protobuf;
 * callers get a plain record.
 */
import onnxProto from 'onnx-proto';
import { UserError } from '../errors.js';

const { onnx } = onnxProto;

/**
 * The metadata entries of the ONNX model in `bytes`, by key. `source` names the model in
 * errors. Throws a `UserError` when the bytes are not an ONNX model (not a protobuf
 * `ModelProto`, or one without a graph or IR version, which a random file decoded by luck is).
 *
 * @example
 * const meta = readModelMetadata(await readFile('run/model.onnx'), 'run/model.onnx');
 * JSON.parse(meta.facelab!).labels;
 */
export function readModelMetadata(bytes: Uint8Array, source: string): Record<string, string> {
  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new UserError(
      `${source} is not an ONNX model (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (!model.graph || !Number(model.irVersion ?? 0)) {
    throw new UserError(`${source} is not an ONNX model (no graph or IR version)`);
  }
  const entries: Record<string, string> = {};
  for (const prop of model.metadataProps ?? []) {
    if (prop.key) entries[prop.key] = prop.value ?? '';
  }
  return entries;
}
