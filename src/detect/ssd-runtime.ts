/** The SSD detector at run time: preprocess to 512 × 512, run the graph, decode and suppress. */
import type { DetectorRuntime, SessionFactory } from './detector-runtime.js';
import { faceApiModelManifest } from './detector-weights.js';
import { squareInput } from './preprocess.js';
import { decodeSsd, ssdAnchors } from './ssd-decode.js';
import {
  buildSsdGraph,
  readSsdAnchors,
  SSD_BOX_ENCODINGS,
  SSD_INPUT,
  SSD_SCORES,
  SSD_SIDE,
} from './ssd-graph.js';

/** Builds the SSD graph and its anchors from face-api's weights and loads it with `createSession`. */
export async function loadSsd(createSession: SessionFactory): Promise<DetectorRuntime> {
  const manifest = faceApiModelManifest('ssd_mobilenetv1_model');
  const [model, extraDim] = await Promise.all([buildSsdGraph({ manifest }), readSsdAnchors(manifest)]);
  const anchors = ssdAnchors(extraDim);
  const session = await createSession(model);
  return {
    async detect(image, options) {
      const input = squareInput(image, SSD_SIDE);
      const out = await session.run({
        [SSD_INPUT]: { data: input.pixels, dims: [1, SSD_SIDE, SSD_SIDE, 3] },
      });
      const encodings = out[SSD_BOX_ENCODINGS]!.data as Float32Array;
      const scores = out[SSD_SCORES]!.data as Float32Array;
      if (scores.length !== anchors.count)
        throw new Error(`ssd: the graph gave ${scores.length} scores for ${anchors.count} anchors`);
      return decodeSsd(encodings, scores, anchors, input, image, options);
    },
    dispose: () => session.dispose(),
  };
}
