/** The SSD detector at run time: preprocess to 512 × 512, run the graph, decode and suppress. */
import { FileFormatError } from '../errors.js';
import { readTfjsWeights } from '../transfer/tfjs-weights.js';
import type { DetectorRuntime, SessionFactory } from './detector-runtime.js';
import { faceApiModelManifest, takeWeight } from './detector-weights.js';
import { squareInput } from './preprocess.js';
import { decodeSsd, ssdAnchors } from './ssd-decode.js';
import { SSD_BOX_ENCODINGS, SSD_INPUT, SSD_SCORES, SSD_SIDE, ssdGraph } from './ssd-graph.js';

/** Builds the SSD graph and its anchors from face-api's weights and loads it with `createSession`. */
export async function loadSsd(createSession: SessionFactory): Promise<DetectorRuntime> {
  const manifest = faceApiModelManifest('ssd_mobilenetv1_model');
  const weights = await readTfjsWeights(manifest);
  const anchors = ssdAnchors(takeWeight(weights, 'Output/extra_dim', 3, manifest).data);
  const session = await createSession(
    ssdGraph(weights, 'float32', manifest).toBytes({ producer: 'facelab (face-api weights)' }),
  );
  return {
    async detect(image, options) {
      const input = squareInput(image, SSD_SIDE);
      const out = await session.run({
        [SSD_INPUT]: { data: input.pixels, dims: [1, SSD_SIDE, SSD_SIDE, 3] },
      });
      const encodings = out[SSD_BOX_ENCODINGS]!.data as Float32Array;
      const scores = out[SSD_SCORES]!.data as Float32Array;
      if (scores.length !== anchors.count)
        throw new FileFormatError(
          manifest,
          `the SSD graph gives ${scores.length} scores for ${anchors.count} anchors`,
        );
      return decodeSsd(encodings, scores, anchors, input, image, options);
    },
    dispose: () => session.dispose(),
  };
}
