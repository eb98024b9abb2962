/**
 * Report sections about the data: photos per actor and part of the split, what happened to each
 * list line on download, and a sample of the crops the network was trained on.
 */
import { type DownloadManifest, readManifest } from '../data/manifest.js';
import { cropSampleSvg } from './galleries.js';
import { missingSection, type ReportContext } from './report-context.js';
import { dataTable, note, paragraph, percent, type ReportSection, svgImage } from './report-html.js';

/** Left-out photos listed one per row (the rest are counted). */
const MAX_LEFT_OUT_ROWS = 40;

/** Crops shown per actor in the sample. */
const SAMPLE_PER_ACTOR = 10;

/** Photos per actor and part, crop failures, and download outcomes by reason. */
export async function datasetSection(context: ReportContext): Promise<ReportSection> {
  const { run } = context;
  const id = 'dataset';
  const title = 'Dataset';
  const split = run.split;
  const parts: string[] = [];
  if (split === undefined) {
    parts.push(note(context.datasetNote || 'The prepared data folder (split.json) was not found.'));
  } else {
    const counts = split.actors.map((a) => split.counts[a] ?? { train: 0, val: 0, test: 0, unused: 0 });
    const used = (c: (typeof counts)[number]): number => c.train + c.val + c.test;
    parts.push(
      paragraph(
        `${split.actors.length} actors, ${used(split.totals)} photos in the split (seed ${split.seed}; up to ${split.sizes.train} training, ${split.sizes.val} validation and ${split.sizes.test} test photos per actor). Photos beyond those sizes are left unused.`,
      ),
      dataTable({
        head: ['actor', 'train', 'validation', 'test', 'unused', 'cropped'],
        rows: split.actors.map((a, i) => {
          const c = counts[i]!;
          return [a, c.train, c.val, c.test, c.unused, used(c) + c.unused];
        }),
        numeric: [1, 2, 3, 4, 5],
        foot: [
          'all actors',
          split.totals.train,
          split.totals.val,
          split.totals.test,
          split.totals.unused,
          used(split.totals) + split.totals.unused,
        ],
      }),
    );
    const leftOut =
      split.leftOut ??
      (split.cropFailures ?? []).map((f) => ({ ...f, origin: f.origin ?? `list line ${f.line}` }));
    if (leftOut.length > 0) {
      const byReason = countBy(leftOut.map((f) => f.reason));
      parts.push(
        note(
          `${leftOut.length} photos or lines were left out and are in no part: ${[...byReason]
            .map(([reason, n]) => `${reason} (${n})`)
            .join(', ')}.`,
        ),
        dataTable({
          head: ['left out', 'reason', 'why'],
          rows: leftOut
            .slice(0, MAX_LEFT_OUT_ROWS)
            .map((f) => [f.origin, f.reason, f.message.replace(`${f.origin}: `, '')]),
          numeric: [],
        }),
      );
      if (leftOut.length > MAX_LEFT_OUT_ROWS)
        parts.push(paragraph(`… and ${leftOut.length - MAX_LEFT_OUT_ROWS} more, listed in split.json.`));
    } else {
      parts.push(paragraph('Every photo of these people was used.'));
    }
  }
  const body =
    `<div class="columns"><div><h3>Photos per actor and part</h3>${parts.join('\n')}</div>` +
    `<div><h3>Download outcomes</h3>${await downloadOutcomes(context)}</div></div>`;
  return { id, title, body, present: split !== undefined };
}

async function downloadOutcomes(context: ReportContext): Promise<string> {
  const { run } = context;
  const source = run.split?.source;
  if (source !== undefined && source.kind !== 'facescrub') {
    return paragraph(
      `The photos were read from ${source.kind === 'folder' ? 'the folder per person' : 'the labels file'} ${source.path}: there was no download.`,
    );
  }
  if (run.cacheDir === undefined) {
    return note(
      `The download manifest was not found (looked for manifest.json in ${run.searched.cache.join(', ')}), so download outcomes are left out.`,
    );
  }
  let manifest: DownloadManifest;
  try {
    manifest = await readManifest(run.cacheDir);
  } catch (error) {
    return note((error as Error).message);
  }
  const actors = run.split?.actors;
  const entries = actors ? manifest.entries.filter((e) => actors.includes(e.name)) : manifest.entries;
  const outcome = (e: (typeof entries)[number]): string =>
    e.status === 'verified'
      ? 'verified (SHA-256 matches)'
      : e.status === 'duplicate'
        ? 'duplicate of an earlier line'
        : `failed: ${e.reason}`;
  const byOutcome = [...countBy(entries.map(outcome))].sort(
    (a, b) => rankOf(a[0]) - rankOf(b[0]) || b[1] - a[1],
  );
  const scope = !actors
    ? `all ${entries.length} list lines of the manifest`
    : entries.length === manifest.entries.length
      ? `the ${entries.length} list lines of these ${actors.length} actors`
      : `the ${entries.length} list lines of these ${actors.length} actors (the manifest has ${manifest.entries.length} lines in all)`;
  const lines = [
    paragraph(`What happened to ${scope} when the photos were downloaded.`),
    dataTable({
      head: ['outcome', 'lines', 'share'],
      rows: byOutcome.map(([o, n]) => [o, n, percent(entries.length > 0 ? n / entries.length : 0)]),
      numeric: [1, 2],
      foot: ['all lines', entries.length, percent(entries.length > 0 ? 1 : 0)],
    }),
  ];
  if (manifest.complete === false) {
    lines.push(
      note('The download did not finish: lines not reached yet are not in the manifest.', 'warning'),
    );
  }
  return lines.join('\n');
}

/** Verified first, duplicates next, failures last. */
function rankOf(outcome: string): number {
  return outcome.startsWith('verified') ? 0 : outcome.startsWith('duplicate') ? 1 : 2;
}

/** A few training crops of every actor, evenly spread over the actor's photos. */
export function cropsSection(context: ReportContext): ReportSection {
  const id = 'crops';
  const title = 'Face crops';
  const { dataset } = context;
  if (dataset === undefined) return missingSection(id, title, context.datasetNote);
  const bytes = dataset.side * dataset.side * 3;
  const train = dataset.train;
  const rows = dataset.actors.map((actor, label) => {
    const indices: number[] = [];
    for (let i = 0; i < train.count; i++) if (train.labels[i] === label) indices.push(i);
    const step = Math.max(1, indices.length / SAMPLE_PER_ACTOR);
    const picked = Array.from(
      { length: Math.min(SAMPLE_PER_ACTOR, indices.length) },
      (_, k) => indices[Math.floor(k * step)]!,
    );
    return {
      actor,
      images: picked.map((i) => train.images.subarray(i * bytes, (i + 1) * bytes)),
      total: indices.length,
    };
  });
  const svg = cropSampleSvg(rows, dataset.side, {
    title: `Training crops at ${dataset.side}×${dataset.side} px, as the network sees them`,
    cellSize: Math.max(64, Math.floor(64 / dataset.side) * dataset.side),
  });
  return {
    id,
    title,
    body:
      paragraph(
        `Up to ${SAMPLE_PER_ACTOR} training crops per actor, spread evenly over the actor's photos; the count is the actor's training photos. Each pixel is drawn as a square, without smoothing.`,
      ) + svgImage(svg, `sample of training crops per actor (${dataset.actors.join(', ')})`),
    present: true,
  };
}

function countBy(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}
