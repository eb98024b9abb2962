/**
 * Report sections that look at faces through the trained model: the hidden units that fire most
 * for every actor, and the test faces the model gets wrong (found by running model.onnx on the
 * test crops through the engine's ONNX Runtime session).
 */
import type { PreparedSplit } from '../data/dataset.js';
import { EngineSession } from '../engine/session.js';
import { actorUnitsFigure, loadUnitsContext } from './actor-units.js';
import { type Misclassified, misclassifiedFacesSvg } from './galleries.js';
import { missingSection, type ReportContext } from './report-context.js';
import { note, paragraph, percent, type ReportSection, svgImage } from './report-html.js';

/** Most misclassified faces drawn; the rest are counted in a note. */
const MAX_MISCLASSIFIED = 48;

/** The top 3 hidden units (by photos won) of every actor, with the actor's mean face. */
export async function hiddenUnitsSection(context: ReportContext): Promise<ReportSection> {
  const id = 'hidden-units';
  const title = 'What the hidden units look for';
  if (context.dataset === undefined) return missingSection(id, title, context.datasetNote);
  const units = await loadUnitsContext(context.run, context.dataset);
  const figures = context.dataset.actors.map((actor) => {
    const figure = actorUnitsFigure(units, actor, { top: 3, rank: 'frequency' });
    return svgImage(figure.svg, `hidden units that fire most often for ${actor}`);
  });
  return {
    id,
    title,
    body: [
      paragraph(
        `For each actor, every training photo goes through the first layer (${units.layer.hidden} hidden units, ReLU) and the unit with the highest activation wins the photo. The three units that win most often are shown: each unit's ${units.side}×${units.side}×3 input weights summed over R, G and B, red where a bright pixel raises the unit's activation, blue where it lowers it, each with its own colour scale. The actor's mean training face is on the left for comparison.`,
      ),
      ...figures,
    ].join('\n'),
    present: true,
  };
}

/** Thumbnails of the wrongly classified test faces with true actor, prediction and probability. */
export async function misclassifiedSection(context: ReportContext): Promise<ReportSection> {
  const id = 'misclassified';
  const title = 'Misclassified test faces';
  const { dataset, run } = context;
  if (dataset === undefined) return missingSection(id, title, context.datasetNote);
  const test = dataset.test;
  if (test.count === 0) return missingSection(id, title, 'The test part of the split is empty.');
  const { predicted, probability } = await classify(run.modelPath, test, dataset.side);
  const bytes = dataset.side * dataset.side * 3;
  const wrong: (Misclassified & { label: number })[] = [];
  for (let i = 0; i < test.count; i++) {
    const label = test.labels[i]!;
    if (predicted[i] === label) continue;
    wrong.push({
      pixels: test.images.subarray(i * bytes, (i + 1) * bytes),
      side: dataset.side,
      label,
      trueActor: dataset.actors[label] ?? String(label),
      predictedActor: dataset.actors[predicted[i]!] ?? String(predicted[i]),
      probability: probability[i]!,
    });
  }
  wrong.sort((a, b) => a.label - b.label || b.probability - a.probability);
  const parts = [
    paragraph(
      `${wrong.length} of ${test.count} test faces (${percent(wrong.length / test.count)}) are classified wrongly by model.onnx. Each thumbnail shows the crop the model saw, the true actor (bold), the predicted actor (red) and the probability the model gave its prediction; a confident wrong answer has p close to 1.`,
    ),
  ];
  const matrix = run.metrics.confusion?.matrix;
  if (Array.isArray(matrix)) {
    const recorded =
      matrix.flat().reduce((a, b) => a + b, 0) - matrix.reduce((n, row, i) => n + (row[i] ?? 0), 0);
    if (recorded !== wrong.length) {
      parts.push(
        note(
          `metrics.json records ${recorded} wrong test predictions, the model makes ${wrong.length} on these crops now: the data folder was probably prepared again after training.`,
          'warning',
        ),
      );
    }
  }
  if (wrong.length === 0) {
    parts.push(note('Every test face is classified correctly: there is nothing to show.'));
    return { id, title, body: parts.join('\n'), present: true };
  }
  const shown = wrong.slice(0, MAX_MISCLASSIFIED);
  if (shown.length < wrong.length) {
    parts.push(note(`The first ${shown.length} are shown (by true actor, most confident first).`));
  }
  const svg = misclassifiedFacesSvg(shown, {
    title: `Misclassified test faces (${wrong.length} of ${test.count})`,
    columns: Math.min(6, shown.length),
    cellSize: Math.max(96, Math.floor(96 / dataset.side) * dataset.side),
  });
  parts.push(svgImage(svg, 'misclassified test faces with true and predicted actor'));
  return { id, title, body: parts.join('\n'), present: true };
}

/** The model's predicted class and its probability for every crop of a split. */
async function classify(
  modelPath: string,
  split: PreparedSplit,
  side: number,
): Promise<{ predicted: Int32Array; probability: Float32Array }> {
  const session = await EngineSession.create(modelPath, { threads: 1 });
  try {
    const out = await session.run(
      { image: { data: Float32Array.from(split.images), dims: [split.count, side, side, 3] } },
      ['probabilities'],
    );
    const probabilities = out.probabilities!.data as Float32Array;
    const classes = probabilities.length / split.count;
    const predicted = new Int32Array(split.count);
    const probability = new Float32Array(split.count);
    for (let i = 0; i < split.count; i++) {
      let best = 0;
      for (let k = 1; k < classes; k++) {
        if (probabilities[i * classes + k]! > probabilities[i * classes + best]!) best = k;
      }
      predicted[i] = best;
      probability[i] = probabilities[i * classes + best]!;
    }
    return { predicted, probability };
  } finally {
    await session.dispose();
  }
}
