/**
 * `report.html`: one self-contained page about a run — the data, the grid search and how its
 * point was chosen, learning curves, test results, what the hidden units look for, the faces
 * the model gets wrong, and the transfer-learning comparison. Every figure and font is inside
 * the file, so it opens from disk with no server and no network. A part that cannot be shown
 * (no grid, data folder gone, no transfer run yet) becomes a one-line note, never an error.
 */
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../data/atomic-file.js';
import type { OnProgress } from '../progress.js';
import { FACELAB_VERSION } from '../version.js';
import { loadReportContext, missingSection, type ReportContext } from './report-context.js';
import { cropsSection, datasetSection } from './report-dataset.js';
import { hiddenUnitsSection, misclassifiedSection } from './report-faces.js';
import { percent, type ReportSection, renderPage, type SummaryCard } from './report-html.js';
import {
  type ComparisonRow,
  curvesSection,
  gridSection,
  readComparison,
  testResultsSection,
  transferSection,
} from './report-training.js';
import { locateRun } from './run-folder.js';

/** Options of {@link writeReport}. */
export interface ReportOptions {
  /** A run, grid or train folder (see `locateRun`). */
  run: string;
  /** The HTML file to write. Default `<run>/report.html`. */
  out?: string;
  /** Receives one 'advance' event per section ('report' task) and a warning per failed section. */
  onProgress?: OnProgress;
}

/** What {@link writeReport} wrote. */
export interface ReportResult {
  /** The HTML file. */
  path: string;
  /** Ids of the sections with content, in page order (sections that are only a note are left out). */
  sections: string[];
}

/** A section builder, its id and title (used when it fails). */
const SECTIONS: {
  id: string;
  title: string;
  build: (context: ReportContext) => ReportSection | Promise<ReportSection>;
}[] = [
  { id: 'dataset', title: 'Dataset', build: datasetSection },
  { id: 'crops', title: 'Face crops', build: cropsSection },
  { id: 'grid', title: 'Grid search', build: gridSection },
  { id: 'curves', title: 'Learning curves', build: curvesSection },
  { id: 'test-results', title: 'Test results', build: testResultsSection },
  { id: 'hidden-units', title: 'What the hidden units look for', build: hiddenUnitsSection },
  { id: 'misclassified', title: 'Misclassified test faces', build: misclassifiedSection },
  { id: 'transfer', title: 'Transfer learning', build: transferSection },
];

/**
 * Writes the report of a run. Throws a `UserError` only when `run` holds no model at all.
 *
 * @example const { path, sections } = await writeReport({ run: 'runs/six' });
 */
export async function writeReport(options: ReportOptions): Promise<ReportResult> {
  const { onProgress } = options;
  const run = await locateRun(options.run);
  const context = await loadReportContext(run);
  onProgress?.({ kind: 'start', task: 'report', total: SECTIONS.length });
  const sections: ReportSection[] = [];
  for (const [i, spec] of SECTIONS.entries()) {
    let section: ReportSection;
    try {
      section = await spec.build(context);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      onProgress?.({ kind: 'warning', task: 'report', message: `${spec.title}: ${message}` });
      section = missingSection(spec.id, spec.title, `This section could not be drawn: ${message}`);
    }
    sections.push(section);
    onProgress?.({
      kind: 'advance',
      task: 'report',
      done: i + 1,
      total: SECTIONS.length,
      detail: spec.title,
    });
  }
  const m = run.metrics;
  const c = m.config;
  const html = renderPage({
    title: `facelab report · ${basename(run.dir)}`,
    subtitle: [
      `${kindName(run.kind)} ${run.dir}`,
      `model ${run.modelPath}${run.dataDir ? ` · data ${run.dataDir}` : ''}`,
      `written ${new Date().toISOString().replace('T', ' ').slice(0, 16)} UTC`,
    ],
    cards: await summaryCards(context),
    sections,
    footer: `facelab ${FACELAB_VERSION} · ${c.inputDim}→${c.hidden}→${c.classes} classifier · this file is self-contained: figures and fonts are embedded, it needs no network.`,
  });
  const path = options.out ?? join(run.dir, 'report.html');
  await writeFileAtomic(path, html);
  onProgress?.({ kind: 'done', task: 'report' });
  return { path, sections: sections.filter((s) => s.present).map((s) => s.id) };
}

async function summaryCards(context: ReportContext): Promise<SummaryCard[]> {
  const m = context.run.metrics;
  const c = m.config;
  const select = (m.selection as { select?: string } | undefined)?.select;
  const input = c.input?.kind === 'image' ? `${c.input.side}×${c.input.side} px crops` : 'backbone features';
  return [
    {
      label: 'test accuracy',
      value: percent(m.accuracy.test),
      detail: `${m.sizes.test} photos${select === 'test' ? ' · optimistic (chosen on test)' : ''}`,
      accent: true,
    },
    { label: 'validation', value: percent(m.accuracy.val), detail: `${m.sizes.val} photos` },
    { label: 'training', value: percent(m.accuracy.train), detail: `${m.sizes.train} photos` },
    {
      label: 'hidden units',
      value: String(c.hidden),
      detail: `${c.inputDim} → ${c.hidden} → ${c.classes} · ${m.epochs} epochs · batch ${c.batch} · lr ${c.lr}`,
    },
    { label: 'actors', value: String(c.classes), detail: input },
    ...(await transferCard(context)),
  ];
}

/** The best backbone of the transfer comparison, when there is one. */
async function transferCard(context: ReportContext): Promise<SummaryCard[]> {
  const path = context.run.comparisonPath;
  if (path === undefined) return [];
  try {
    const rows = (await readComparison(path)).rows;
    const best = rows.reduce<ComparisonRow | undefined>(
      (a, r) => (a === undefined || r.accuracy.test > a.accuracy.test ? r : a),
      undefined,
    );
    if (best === undefined) return [];
    const r = best.errorReduction;
    const reduction =
      typeof r !== 'number'
        ? ''
        : ` · ${percent(Math.abs(r))} ${r >= 0 ? 'fewer' : 'more'} errors than raw pixels`;
    return [
      {
        label: 'transfer',
        value: percent(best.accuracy.test),
        detail: `${best.method}${reduction}`,
      },
    ];
  } catch {
    return []; // The transfer section explains what is wrong with the file.
  }
}

function kindName(kind: 'run' | 'grid' | 'train'): string {
  return kind === 'run' ? 'run folder' : kind === 'grid' ? 'grid folder' : 'train folder';
}
