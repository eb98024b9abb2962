/**
 * Download benchmark: a loopback mirror that adds 200 ms to every response stands in for slow
 * servers; the same 120 list lines (every 12th line of the six actors, so live photos and dead
 * links mixed) are downloaded into a fresh cache one at a time and 16 at a time.
 * Target: 16 concurrent downloads at least 10× faster than one at a time.
 *
 * Run: node --import tsx bench/download.ts   (prints a table, then one JSON line per run and
 * one for the ratio)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadPhotos } from '../src/data/download.js';
import { readFaceList } from '../src/data/face-list.js';
import { startMirror } from '../test/helpers/mirror-server.js';
import { facescrubImages, facescrubList, SIX_ACTORS } from '../test/helpers/shared.js';

const LATENCY_MS = 200;
const SAMPLE = 120;
const all = (await readFaceList(facescrubList, { actors: SIX_ACTORS })).lines;
const lines = all.filter((_, i) => i % 12 === 0).slice(0, SAMPLE);
const mirror = await startMirror({ lines: all, imagesDir: facescrubImages, latencyMs: LATENCY_MS });

const results: Record<string, unknown>[] = [];
try {
  for (const concurrency of [1, 16]) {
    const cache = await mkdtemp(join(tmpdir(), 'facelab-bench-download-'));
    const started = performance.now();
    const summary = await downloadPhotos({
      lines,
      list: facescrubList,
      cacheDir: cache,
      mirror: mirror.url,
      concurrency,
    });
    const seconds = (performance.now() - started) / 1000;
    await rm(cache, { recursive: true, force: true });
    const failed = Object.values(summary.failed).reduce((a, b) => a + b, 0);
    console.log(
      `concurrency ${String(concurrency).padStart(2)}: ${seconds.toFixed(2)} s for ${lines.length} lines ` +
        `(${summary.verified} verified, ${failed} failed, ${summary.requests} requests, ${LATENCY_MS} ms latency each)`,
    );
    results.push({
      bench: 'download',
      concurrency,
      lines: lines.length,
      verified: summary.verified,
      failed,
      requests: summary.requests,
      latencyMs: LATENCY_MS,
      seconds: Math.round(seconds * 1000) / 1000,
    });
  }
} finally {
  await mirror.close();
}
const ratio = (results[0]!.seconds as number) / (results[1]!.seconds as number);
console.log(`speed-up 16 vs 1: ${ratio.toFixed(1)}× (target ≥ 10×) ${ratio >= 10 ? 'PASS' : 'FAIL'}`);
for (const r of results) console.log(JSON.stringify(r));
console.log(JSON.stringify({ bench: 'download-speedup', ratio: Math.round(ratio * 100) / 100, target: 10 }));
