/** The tiny detector at run time: preprocess to the input side, run the graph, decode and suppress. */
import type { DetectorRuntime, SessionFactory } from './detector-runtime.js';
import { squareInput } from './preprocess.js';
import { decodeTiny } from './tiny-decode.js';
import { buildTinyGraph, TINY_INPUT, TINY_OUTPUT } from './tiny-graph.js';

/** face-api's default input side of the tiny detector. */
export const TINY_DEFAULT_SIDE = 416;

/** Builds the tiny detector's graph from face-api's weights and loads it with `createSession`. */
export async function loadTiny(createSession: SessionFactory): Promise<DetectorRuntime> {
  const session = await createSession(await buildTinyGraph());
  return {
    async detect(image, options) {
      const side = options.inputSize;
      const input = squareInput(image, side);
      const out = await session.run({ [TINY_INPUT]: { data: input.pixels, dims: [1, side, side, 3] } });
      const grid = out[TINY_OUTPUT]!;
      return decodeTiny(grid.data as Float32Array, grid.dims[1]!, input, image, options);
    },
    dispose: () => session.dispose(),
  };
}
