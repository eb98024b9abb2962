/**
 * Reading a model facelab wrote with readers that are not ONNX Runtime: Debian's `python3-onnx`
 * (`onnx.checker.check_model(…, full_check=True)`, which also runs shape inference) and
 * `python3-opencv` (`cv2.dnn.readNetFromONNX`, OpenCV 4.6), run through `/usr/bin/python3`.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeNpy } from '../../src/data/npy.js';
import { runPython } from './python.js';

/** What the two readers made of one model. */
export interface PortableReport {
  /** 'ok', or the checker's message. */
  checker: string;
  /** OpenCV's arg max of the output named `output` per input row, or its error message. */
  opencv: { top1: number[]; probabilities: number[] } | { error: string };
}

const SCRIPT = `
import io, json, sys
import numpy as np, onnx, cv2
path, output = sys.argv[1], sys.argv[2]
x = np.load(io.BytesIO(sys.stdin.buffer.read()))
report = {}
try:
    onnx.checker.check_model(onnx.load(path), full_check=True)
    report['checker'] = 'ok'
except Exception as e:
    report['checker'] = str(e)
try:
    net = cv2.dnn.readNetFromONNX(path)
    net.setInput(x)
    y = net.forward(output)
    y = y.reshape(y.shape[0], -1)
    report['opencv'] = {'top1': [int(i) for i in y.argmax(1)], 'probabilities': [float(v) for v in y.ravel()]}
except Exception as e:
    report['opencv'] = {'error': str(e).strip().splitlines()[-1] if str(e).strip() else repr(e)}
print(json.dumps(report))
`;

/**
 * Writes `model` to `dir` and reads it with `onnx.checker` (full check) and OpenCV's DNN, feeding
 * `input` (float32 with `dims`) and reading the output `output` (default 'probabilities').
 */
export async function readWithPortableReaders(
  model: Uint8Array,
  input: { data: Float32Array; dims: number[] },
  options: { dir: string; name?: string; output?: string },
): Promise<PortableReport> {
  const path = join(options.dir, options.name ?? 'portable.onnx');
  await writeFile(path, model);
  const npy = encodeNpy({ data: input.data, shape: input.dims });
  const stdout = runPython(SCRIPT, { args: [path, options.output ?? 'probabilities'], input: npy });
  return JSON.parse(stdout.toString('utf8').trim().split('\n').pop()!) as PortableReport;
}

/** Arg max of each row of a [rows, k] array. */
export function argmaxRows(values: Float32Array | number[], k: number): number[] {
  const out: number[] = [];
  for (let r = 0; r * k < values.length; r++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (values[r * k + j]! > values[r * k + best]!) best = j;
    out.push(best);
  }
  return out;
}
