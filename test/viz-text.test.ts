import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { FileFormatError } from '../src/errors.js';
import { EmbeddedFont, embeddedFont } from '../src/viz/font.js';
import { svgToPng } from '../src/viz/rasterize.js';
import { svgDocument } from '../src/viz/svg.js';
import { fitText, measureText, textPath, wrapText } from '../src/viz/text-path.js';
import { repoRoot } from './helpers/shared.js';
import { countDark, decodePng } from './helpers/viz-raster.js';

/** x and y extents of the coordinates in a path's `d`. */
function pathBox(element: string): { x0: number; x1: number; y0: number; y1: number } {
  const d = /\sd="([^"]*)"/.exec(element)?.[1] ?? '';
  const nums = [...d.matchAll(/-?\d+(?:\.\d+)?/g)].map((m) => Number(m[0]));
  const xs = nums.filter((_, i) => i % 2 === 0);
  const ys = nums.filter((_, i) => i % 2 === 1);
  return { x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys), y1: Math.max(...ys) };
}

test('the embedded DejaVu Sans parses: metrics, character map, kerning, composite glyphs', () => {
  const font = embeddedFont();
  assert.equal(font.unitsPerEm, 2048);
  assert.ok(font.ascender > 0 && font.descender < 0);
  assert.equal(font.capHeight, 1493, 'the top of H in DejaVu Sans');
  const glyph = (c: string) => font.layout(c).glyphs[0]!;
  assert.ok(font.hasGlyph('A'.codePointAt(0)!));
  assert.equal(font.hasGlyph(0x10fffd), false, 'a private-use code point is not in the font');
  assert.ok(glyph('A').commands.length > 3);
  assert.deepEqual(glyph(' ').commands, [], 'space has no outline');
  // "AV" is kerned tighter than A and V set apart.
  assert.ok(measureText('AV', 100) < measureText('A', 100) + measureText('V', 100) - 1);
  // é is a composite (e + acute): it reaches higher than e.
  const top = (c: string): number => Math.max(...glyph(c).commands.map((k) => ('y' in k ? k.y : 0)));
  assert.ok(top('é') > top('e') + 200, `é top ${top('é')} vs e top ${top('e')}`);
  // No ligatures: every character keeps its own glyph, so a label cut at a character stays true.
  assert.equal(font.layout('office').glyphs.length, 6);
  assert.equal(embeddedFont('bold') === embeddedFont('regular'), false);
  assert.ok(measureText('Wide', 20, 'bold') > measureText('Wide', 20, 'regular'));
});

test('a file that is no font is a FileFormatError naming it', () => {
  assert.throws(
    () => EmbeddedFont.parse(new TextEncoder().encode('not a font at all'), 'junk.ttf'),
    (error: unknown) => error instanceof FileFormatError && /^junk\.ttf: not a TrueType/.test(error.message),
  );
});

test('text widths scale with size; fitting shrinks, then cuts with an ellipsis', () => {
  assert.equal(measureText('', 12), 0);
  assert.ok(Math.abs(measureText('accuracy', 24) - 2 * measureText('accuracy', 12)) < 1e-9);
  const w = measureText('Kristin Chenoweth', 12);
  assert.deepEqual(fitText('Kristin Chenoweth', w + 1, 12), { text: 'Kristin Chenoweth', size: 12 });
  const shrunk = fitText('Kristin Chenoweth', w * 0.9, 12);
  assert.equal(shrunk.text, 'Kristin Chenoweth');
  assert.ok(Math.abs(shrunk.size - 10.8) < 1e-9);
  const cut = fitText('Kristin Chenoweth', w * 0.5, 12);
  assert.match(cut.text, /^Kris.*…$/);
  assert.ok(measureText(cut.text, cut.size) <= w * 0.5, `cut text ${cut.text} too wide`);
  assert.deepEqual(wrapText('hidden unit #12 won 23 of 70', measureText('hidden unit #12', 12), 12), [
    'hidden unit #12',
    'won 23 of 70',
  ]);
});

test('anchors and baselines place the outline where asked', () => {
  const width = measureText('Hello', 20);
  const middle = pathBox(textPath('Hello', { x: 100, y: 50, size: 20, anchor: 'middle' }));
  assert.ok(Math.abs((middle.x0 + middle.x1) / 2 - 100) < 2, `middle: ${JSON.stringify(middle)}`);
  const end = pathBox(textPath('Hello', { x: 100, y: 50, size: 20, anchor: 'end' }));
  assert.ok(end.x1 <= 100 && end.x1 > 97, `end: ${JSON.stringify(end)}`);
  assert.ok(Math.abs(end.x1 - end.x0 - width) < 5, 'ink width within side bearings of the advance width');
  // Alphabetic: capitals sit on y; hanging: capitals hang from y.
  const alpha = pathBox(textPath('H', { x: 0, y: 50, size: 20 }));
  assert.ok(
    Math.abs(alpha.y1 - 50) < 0.1 && Math.abs(alpha.y0 - (50 - 20 * 0.729)) < 0.2,
    JSON.stringify(alpha),
  );
  const hanging = pathBox(textPath('H', { x: 0, y: 50, size: 20, baseline: 'hanging' }));
  assert.ok(Math.abs(hanging.y0 - 50) < 0.2, JSON.stringify(hanging));
  assert.match(textPath('x', { x: 5, y: 6, rotate: -90 }), /transform="rotate\(-90 5 6\)"/);
  assert.equal(textPath('', { x: 0, y: 0 }), '');
});

const sample = svgDocument(
  320,
  80,
  'text sample',
  textPath('Hello figures — é', { x: 20, y: 50, size: 28, fill: '#000' }),
);

test('text renders to pixels where the text is, and nowhere else', async () => {
  assert.equal(sample.includes('<text'), false, 'no <text> element reaches librsvg');
  const png = await decodePng(await svgToPng(sample));
  assert.deepEqual([png.width, png.height], [320, 80]);
  const box = pathBox(sample.slice(sample.indexOf('<path')));
  const inside = countDark(
    png,
    Math.floor(box.x0),
    Math.floor(box.y0),
    Math.ceil(box.x1) + 1,
    Math.ceil(box.y1) + 1,
  );
  const all = countDark(png, 0, 0, 320, 80);
  assert.ok(inside > 600, `only ${inside} dark pixels inside the text box`);
  assert.equal(all, inside, 'dark pixels outside the text box');
});

test('rendering does not depend on system fonts (child process with an empty fontconfig)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'facelab-fc-'));
  try {
    const conf = join(dir, 'fonts.conf');
    writeFileSync(
      conf,
      '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig></fontconfig>\n',
    );
    const rasterize = pathToFileURL(join(repoRoot, 'src/viz/rasterize.ts')).href;
    const renderWithoutFonts = (svg: string): Buffer => {
      const code = `import { svgToPng } from ${JSON.stringify(rasterize)};
        const chunks = []; for await (const c of process.stdin) chunks.push(c);
        process.stdout.write((await svgToPng(Buffer.concat(chunks).toString())).toString('base64'));`;
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
        input: svg,
        env: { ...process.env, FONTCONFIG_FILE: conf, FONTCONFIG_PATH: dir, XDG_CACHE_HOME: dir },
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(child.status, 0, child.stderr);
      return Buffer.from(child.stdout, 'base64');
    };
    const here = await decodePng(await svgToPng(sample));
    const bare = await decodePng(renderWithoutFonts(sample));
    assert.ok(
      Buffer.from(bare.data).equals(Buffer.from(here.data)),
      'path text renders identically without fonts',
    );
    assert.ok(countDark(bare, 0, 0, 320, 80) > 600);

    // Control: a real <text> element does change when fontconfig knows no fonts — so the child
    // really had none. Only meaningful where this machine has system fonts to lose.
    const control = svgDocument(
      320,
      80,
      'control',
      '<text x="20" y="50" font-size="28" font-family="sans-serif">Hello figures</text>',
    );
    const withFonts = await decodePng(await svgToPng(control));
    const withoutFonts = await decodePng(renderWithoutFonts(control));
    if (Buffer.from(withFonts.data).equals(Buffer.from(withoutFonts.data))) {
      t.diagnostic('control inconclusive: <text> renders the same with and without fontconfig fonts here');
    } else {
      t.diagnostic(
        `control: <text> dark pixels with system fonts ${countDark(withFonts, 0, 0, 320, 80)}, without ${countDark(withoutFonts, 0, 0, 320, 80)}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
