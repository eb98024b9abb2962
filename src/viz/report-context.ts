/**
 * What every report section reads: the located run and, when it can be loaded, the prepared
 * crops at the model's input side. Loaded once per report.
 */
import { loadPrepared, type PreparedDataset } from '../data/dataset.js';
import { note, type ReportSection } from './report-html.js';
import type { RunFolder } from './run-folder.js';

/** Inputs shared by the sections. */
export interface ReportContext {
  run: RunFolder;
  /** The prepared crops the model was trained on, or undefined (see `datasetNote`). */
  dataset: PreparedDataset | undefined;
  /** Why `dataset` is undefined (one line); empty when it is loaded. */
  datasetNote: string;
}

/** Loads the context; a missing or unreadable data folder becomes a note, never an error. */
export async function loadReportContext(run: RunFolder): Promise<ReportContext> {
  const input = run.metrics.config.input;
  if (input?.kind !== 'image') {
    return {
      run,
      dataset: undefined,
      datasetNote: 'The model takes backbone features, not face crops, so there are no crops to show.',
    };
  }
  if (run.dataDir === undefined) {
    const looked = run.searched.data.length > 0 ? run.searched.data.join(', ') : 'nowhere';
    return {
      run,
      dataset: undefined,
      datasetNote: `The prepared data was not found (looked in ${looked})${run.problems.map((p) => `; ${p}`).join('')}.`,
    };
  }
  try {
    return { run, dataset: await loadPrepared(run.dataDir, input.side), datasetNote: '' };
  } catch (error) {
    return {
      run,
      dataset: undefined,
      datasetNote: `The prepared data could not be read: ${(error as Error).message}`,
    };
  }
}

/** A section that only explains why its content is missing. */
export function missingSection(id: string, title: string, why: string): ReportSection {
  return { id, title, body: note(why), present: false };
}
