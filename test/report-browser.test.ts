/**
 * report.html in a real browser: Debian's Chromium, headless, opens the file from disk
 * (file://) with networking off. No console errors, no failed requests and no request but the
 * file itself, every image decoded with a natural size, the embedded fonts loaded, nothing
 * wider than the window; full-page screenshots go to test-output/ for people to look at.
 * Chromium is required: when it is missing the test fails and says how to install it.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { writeJsonAtomic } from '../src/data/atomic-file.js';
import { writeReport } from '../src/viz/report.js';
import { repoRoot } from './helpers/shared.js';
import { makeSmallRun, SAMPLE_COMPARISON, SMALL_RUN_ACTORS, type SmallRun } from './helpers/small-run.js';

const CHROMIUM = process.env.FACELAB_CHROMIUM ?? '/usr/bin/chromium';
const OUTPUT = join(repoRoot, 'test-output');

/** The few DOM members the page check reads (the project compiles without the DOM library). */
interface PageDocument {
  images: ArrayLike<{
    alt: string;
    complete: boolean;
    naturalWidth: number;
    naturalHeight: number;
    getBoundingClientRect(): { width: number };
  }>;
  fonts: Iterable<{ family: string; weight: string; status: string }> & { ready: Promise<unknown> };
  documentElement: { scrollWidth: number };
  querySelectorAll(selector: string): ArrayLike<{ id: string }>;
}

let small: SmallRun;
let report = '';
let browser: Browser | undefined;

before(async () => {
  small = await makeSmallRun();
  await writeJsonAtomic(join(small.dir, 'transfer', 'comparison.json'), SAMPLE_COMPARISON);

  report = (await writeReport({ run: small.dir })).path;
  await mkdir(OUTPUT, { recursive: true });
});

after(async () => {
  await browser?.close();
  await small?.cleanup();
});

test('report.html in headless Chromium from disk: no errors, no requests, every image decoded', async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `Chromium is needed for this test and was not found at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set FACELAB_CHROMIUM`,
  );
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
  const fileUrl = pathToFileURL(report).href;
  for (const viewport of [
    { width: 1280, height: 900, shot: 'report.png' },
    { width: 760, height: 900, shot: 'report-narrow.png' },
  ]) {
    const page = await browser.newPage({ viewport: { width: viewport.width, height: viewport.height } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`failed request: ${r.url().slice(0, 80)}`));
    page.on('request', (r) => {
      requests.push(r.url().slice(0, 80));
    });
    const response = await page.goto(fileUrl, { waitUntil: 'load' });
    assert.ok(response === null || response.ok(), 'the file loads');
    const state = await page.evaluate(async () => {
      const document = (globalThis as unknown as { document: PageDocument }).document;
      await document.fonts.ready;
      return {
        images: Array.from(document.images, (i) => ({
          alt: i.alt,
          complete: i.complete,
          naturalWidth: i.naturalWidth,
          naturalHeight: i.naturalHeight,
          shownWidth: i.getBoundingClientRect().width,
        })),
        fonts: Array.from(document.fonts, (f) => `${f.family} ${f.weight} ${f.status}`),
        scrollWidth: document.documentElement.scrollWidth,
        sections: Array.from(document.querySelectorAll('section'), (s) => s.id),
      };
    });
    assert.deepEqual(problems, [], `${viewport.shot}: no console errors or warnings, no failed requests`);
    assert.deepEqual(
      requests.filter((u) => !u.startsWith('data:')),
      [fileUrl.slice(0, 80)],
      'the file itself is the only request',
    );
    // Crops, heat-map, curves, confusion matrix, per-actor bars, misclassified faces, and one
    // hidden-unit figure per actor.
    assert.equal(state.images.length, 6 + SMALL_RUN_ACTORS.length);
    for (const image of state.images) {
      assert.ok(image.complete && image.naturalWidth > 0 && image.naturalHeight > 0, `image '${image.alt}'`);
      assert.ok(image.shownWidth <= viewport.width, `image '${image.alt}' fits the window`);
    }
    assert.deepEqual(state.fonts.sort(), ['Report Sans 400 loaded', 'Report Sans 700 loaded']);
    assert.ok(
      state.scrollWidth <= viewport.width,
      `page is ${state.scrollWidth} px wide in a ${viewport.width} px window`,
    );
    assert.equal(state.sections.length, 8);
    await page.screenshot({ path: join(OUTPUT, viewport.shot), fullPage: true });
    await page.close();
  }
});
