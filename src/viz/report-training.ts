/**
 * Report sections about training: the grid search (every point, the chosen one and the rule
 * that chose it, the heat-map), the learning curves, the test confusion matrix with per-actor
 * accuracy, and the transfer-learning comparison with raw pixels.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FileFormatError } from '../errors.js';
import type { GridPoint as SearchedPoint } from '../train/grid-search.js';
import { curveTitle } from '../train/run-outputs.js';
import { perActorAccuracySvg } from './bar-chart.js';
import { confusionMatrixSvg } from './confusion-matrix.js';
import { gridHeatmapSvg } from './grid-heatmap.js';
import { learningCurveSvg } from './learning-curve.js';
import { missingSection, type ReportContext } from './report-context.js';
import { dataTable, note, paragraph, percent, type ReportSection, svgImage } from './report-html.js';
import { layerSweepsHtml } from './report-transfer-layers.js';
import { escapeXml } from './svg.js';

/** The parts of grid.json the report reads. */
interface GridDocument {
  points: SearchedPoint[];
  best: Pick<SearchedPoint, 'epochs' | 'batch' | 'hidden' | 'lr'>;
  selection?: { rule?: string; select?: 'val' | 'test' };
  seed?: number;
}

/** The grid's points as a table (best first by the selection metric) and as a heat-map. */
export async function gridSection(context: ReportContext): Promise<ReportSection> {
  const id = 'grid';
  const title = 'Grid search';
  const { run } = context;
  const c = run.metrics.config;
  const fixed = `${c.hidden} hidden units, batch ${c.batch}, learning rate ${c.lr}, ${run.metrics.epochs} epochs`;
  if (run.gridDir === undefined) {
    return missingSection(
      id,
      title,
      `This model was trained once with fixed hyper-parameters (${fixed}); there was no grid search.`,
    );
  }
  const path = join(run.gridDir, 'grid.json');
  let grid: GridDocument;
  try {
    grid = JSON.parse(await readFile(path, 'utf8')) as GridDocument;
    if (!Array.isArray(grid.points) || grid.points.length === 0 || typeof grid.best !== 'object')
      throw new FileFormatError(path, 'no points or no chosen point');
  } catch (error) {
    const why = error instanceof FileFormatError ? error.reason : (error as Error).message;
    return missingSection(id, title, `${path} could not be read (${why}).`);
  }
  const select = grid.selection?.select === 'test' ? 'test' : 'val';
  const isChosen = (p: SearchedPoint): boolean =>
    p.epochs === grid.best.epochs &&
    p.batch === grid.best.batch &&
    p.hidden === grid.best.hidden &&
    p.lr === grid.best.lr;
  const chosen = grid.points.find(isChosen);
  const order = grid.points
    .map((p, i) => ({ p, i }))
    .sort(
      (a, b) =>
        b.p.accuracy[select] - a.p.accuracy[select] ||
        Number(isChosen(b.p)) - Number(isChosen(a.p)) ||
        a.i - b.i,
    );
  const rule =
    select === 'val'
      ? note(
          `Chosen by validation accuracy (ties: the higher mean of training and validation accuracy). The test set took no part in the choice, so the chosen point's test accuracy${chosen ? `, ${percent(chosen.accuracy.test)},` : ''} is a fair estimate of accuracy on new photos.`,
        )
      : note(
          `Chosen by TEST accuracy, the reference study's rule: the test set took part in the choice, so the chosen point's test accuracy${chosen ? `, ${percent(chosen.accuracy.test)},` : ''} is optimistic. Choose by validation accuracy (facelab grid --select val) for a fair estimate.`,
          'warning',
        );
  const metricName = select === 'val' ? 'validation' : 'test';
  const table = dataTable({
    head: [
      'rank',
      'epochs',
      'batch',
      'hidden',
      'learning rate',
      'train',
      `validation${select === 'val' ? ' ▼' : ''}`,
      `test${select === 'test' ? ' ▼' : ''}`,
      'last loss',
    ],
    rows: order.map(({ p }, r) => [
      isChosen(p) ? { html: `${r + 1}<span class="tag">chosen</span>` } : r + 1,
      p.epochs,
      p.batch,
      p.hidden,
      p.lr,
      p.accuracy.train.toFixed(3),
      p.accuracy.val.toFixed(3),
      p.accuracy.test.toFixed(3),
      Number.isFinite(p.loss) ? p.loss.toFixed(4) : '–',
    ]),
    numeric: [0, 1, 2, 3, 4, 5, 6, 7, 8],
    highlight: (r) => isChosen(order[r]!.p),
    ...(order.length > 12 ? { maxHeight: 430 } : {}),
  });
  const heatmap = gridHeatmapSvg(
    grid.points.map((p) => ({ ...p, val: p.accuracy.val, chosen: isChosen(p) })),
    {
      title: `Validation accuracy over ${grid.points.length} grid points${grid.seed === undefined ? '' : ` (seed ${grid.seed})`}`,
    },
  );
  return {
    id,
    title,
    body: [
      paragraph(
        `${grid.points.length} combinations of epochs, mini-batch size, hidden units and learning rate, each trained with the same seed on the training photos and scored on all three parts. Sorted by ${metricName} accuracy; the chosen point is highlighted.`,
      ),
      rule,
      table,
      svgImage(heatmap, 'heat-map of validation accuracy over the grid, chosen point outlined'),
    ].join('\n'),
    present: true,
  };
}

/** Train, validation and test accuracy after every epoch of the chosen model. */
export function curvesSection(context: ReportContext): ReportSection {
  const id = 'curves';
  const title = 'Learning curves';
  const { metrics } = context.run;
  const curves = metrics.curves;
  if (!curves || !Array.isArray(curves.val) || curves.val.length === 0) {
    return missingSection(id, title, 'metrics.json holds no per-epoch accuracies for this model.');
  }
  const svg = learningCurveSvg(
    { train: curves.train, val: curves.val, test: curves.test },
    { title: curveTitle(metrics), width: 820, height: 430 },
  );
  return {
    id,
    title,
    body:
      paragraph(
        `Accuracy on each part of the split after every epoch of the chosen model's training (${metrics.epochs} epochs). A widening gap between training and validation accuracy is over-fitting.`,
      ) + svgImage(svg, 'learning curves: train, validation and test accuracy per epoch'),
    present: true,
  };
}

/** The test confusion matrix (counts) and accuracy per actor. */
export function testResultsSection(context: ReportContext): ReportSection {
  const id = 'test-results';
  const title = 'Test results';
  const { confusion } = context.run.metrics;
  const matrix = confusion?.matrix;
  const labels = confusion?.labels ?? [];
  if (!Array.isArray(matrix) || matrix.length !== labels.length || labels.length === 0) {
    return missingSection(id, title, 'metrics.json holds no test confusion matrix.');
  }
  const photos = matrix.flat().reduce((a, b) => a + b, 0);
  const correct = labels.reduce((n, _, i) => n + (matrix[i]?.[i] ?? 0), 0);
  const rows = labels.map((actor, i) => {
    const count = matrix[i]!.reduce((a, b) => a + b, 0);
    return { actor, count, accuracy: count > 0 ? matrix[i]![i]! / count : 0 };
  });
  return {
    id,
    title,
    body: [
      paragraph(
        `${correct} of ${photos} test photos classified correctly (${percent(photos > 0 ? correct / photos : 0)}). Rows of the matrix are the true actor, columns the prediction; the diagonal holds the correct ones.`,
      ),
      '<div class="figures">',
      svgImage(
        confusionMatrixSvg(matrix, labels, { title: `Test confusion matrix (${photos} photos)` }),
        'confusion matrix of the test photos, with counts',
      ),
      svgImage(
        perActorAccuracySvg(rows, { title: 'Test accuracy per actor', barWidth: 300 }),
        'test accuracy per actor',
      ),
      '</div>',
    ].join('\n'),
    present: true,
  };
}

/** One method of `comparison.json`. */
export interface ComparisonRow {
  method: string;
  features: number;
  accuracy: { train: number; val: number; test: number };
  testError: number;
  errorReduction?: number | null;
}

/** The parts of `transfer/comparison.json` the report reads. */
export interface ComparisonDocument {
  head?: { hidden?: number; batch?: number; lr?: number; epochs?: number; seed?: number };
  baseline: ComparisonRow | null;
  rows: ComparisonRow[];
}

/** Raw pixels against backbone features: accuracy, test error and error reduction. */
export async function transferSection(context: ReportContext): Promise<ReportSection> {
  const id = 'transfer';
  const title = 'Transfer learning';
  const { run } = context;
  if (run.comparisonPath === undefined) {
    return missingSection(
      id,
      title,
      `No transfer-learning comparison yet (${run.searched.comparison} does not exist): facelab transfer --data DATA --backbone face --out ${join(run.dir, 'transfer')} writes it.`,
    );
  }
  let doc: ComparisonDocument;
  try {
    doc = await readComparison(run.comparisonPath);
  } catch (error) {
    return missingSection(
      id,
      title,
      `${run.comparisonPath} could not be read (${error instanceof FileFormatError ? error.reason : (error as Error).message}).`,
    );
  }
  const all = [
    ...(doc.baseline ? [{ ...doc.baseline, base: true }] : []),
    ...doc.rows.map((r) => ({ ...r, base: false })),
  ];
  const bar = (r: (typeof all)[number]): string =>
    `<span class="bar${r.base ? ' base' : ''}" style="width:${Math.round(r.accuracy.test * 120)}px"></span>${r.accuracy.test.toFixed(3)}`;
  const table = dataTable({
    head: [
      'features',
      'values per photo',
      'train',
      'validation',
      'test accuracy',
      'test error',
      'error reduction',
    ],
    rows: all.map((r) => [
      r.base ? { html: `${escapeXml(r.method)} <span class="muted">(baseline)</span>` } : r.method,
      r.features,
      r.accuracy.train.toFixed(3),
      r.accuracy.val.toFixed(3),
      { html: bar(r) },
      r.testError.toFixed(3),
      r.base ? '–' : typeof r.errorReduction === 'number' ? percent(r.errorReduction) : 'n/a',
    ]),
    numeric: [1, 2, 3, 5, 6],
  });
  const h = doc.head ?? {};
  const head =
    h.hidden !== undefined
      ? `the same fully connected head (${h.hidden} hidden units, batch ${h.batch}, learning rate ${h.lr}, ${h.epochs} epochs, seed ${h.seed})`
      : 'the same fully connected head';
  return {
    id,
    title,
    body: [
      paragraph(
        `Every row trains ${head} on the same split, each on a different representation of the photos. Error reduction = (baseline test error − test error) / baseline test error: the share of the raw-pixel classifier's mistakes that the features remove.`,
      ),
      doc.baseline ? '' : note('The comparison has no raw-pixel baseline, so no error reduction.'),
      table,
      await layerSweepsHtml(dirname(run.comparisonPath)),
    ].join('\n'),
    present: all.length > 0,
  };
}

/** Reads `comparison.json` (as `facelab transfer` writes it); throws when it is unreadable or has no rows. */
export async function readComparison(path: string): Promise<ComparisonDocument> {
  const doc = JSON.parse(await readFile(path, 'utf8')) as ComparisonDocument;
  if (!Array.isArray(doc?.rows)) throw new FileFormatError(path, 'a comparison without rows');
  return doc;
}
