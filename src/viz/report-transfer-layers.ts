/**
 * The report's part of the layer sweeps (`facelab transfer --layers`): the study's table —
 * raw pixels against each backbone's best layer (chosen by validation accuracy), test accuracy
 * and error reduction, the face-identity backbone in its own row labelled as such — and the
 * figure of accuracy against depth.
 */
import { readLayerSweeps } from '../transfer/layer-sweep.js';
import { dataTable, paragraph, percent, svgImage } from './report-html.js';
import { escapeXml } from './svg.js';
import { transferLayersSvg } from './transfer-layers.js';

/**
 * HTML for the sweeps in `dir` (the folder holding `comparison.json`), or '' when there are none.
 *
 * @example
 * body.push(await layerSweepsHtml(dirname(run.comparisonPath)));
 */
export async function layerSweepsHtml(dir: string): Promise<string> {
  const sweeps = await readLayerSweeps(dir);
  if (sweeps.length === 0) return '';
  const baseline = sweeps.find((s) => s.baseline)?.baseline;
  // Backbones trained on other tasks first; the face-identity one last, in its own labelled row.
  const ordered = [
    ...sweeps.filter((s) => s.backbone !== 'face'),
    ...sweeps.filter((s) => s.backbone === 'face'),
  ];
  const rows = ordered.map((s) => {
    const chosen = s.layers.find((l) => l.layer === s.chosen);
    const label =
      s.backbone === 'face'
        ? `${s.backbone} <span class="muted">(face identity: trained for this very task, a different question)</span>`
        : escapeXml(s.backbone);
    return [
      { html: label },
      s.trainedOn,
      s.chosen,
      chosen?.features ?? '',
      s.accuracy.val.toFixed(3),
      s.accuracy.test.toFixed(3),
      typeof s.errorReduction === 'number' ? percent(s.errorReduction) : 'n/a',
    ];
  });
  if (baseline) {
    rows.unshift([
      { html: `${escapeXml(baseline.method)} <span class="muted">(baseline)</span>` },
      'nothing: the pixels themselves',
      '–',
      baseline.features,
      baseline.accuracy.val.toFixed(3),
      baseline.accuracy.test.toFixed(3),
      '–',
    ]);
  }
  return [
    paragraph(
      'Best layer of each backbone: the same head on the features of each tapped layer, the layer chosen by validation accuracy (test accuracy never chooses). Error reduction is against the raw-pixel baseline.',
    ),
    dataTable({
      head: [
        'backbone',
        'trained on',
        'best layer',
        'features',
        'validation',
        'test accuracy',
        'error reduction',
      ],
      rows,
      numeric: [3, 4, 5, 6],
    }),
    svgImage(transferLayersSvg(sweeps), 'validation and test accuracy against the depth of the tapped layer'),
  ].join('\n');
}
