/**
 * A small TrueType reader: enough of `cmap`, `hmtx`, `kern`, `loca` and `glyf` to turn a string
 * into outlines. Figures draw their text as SVG paths made from an embedded font so that a PNG
 * rendered by librsvg looks the same on a machine with no system fonts at all.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { FileFormatError } from '../errors.js';
import { type GlyfSource, type GlyphCommand, glyphOutline } from './glyph-outline.js';

export type { GlyphCommand } from './glyph-outline.js';

/** Font weights the figures use. */
export type FontWeight = 'regular' | 'bold';

/** A parsed TrueType font. Glyph outlines are decoded on first use and kept. */
export class TrueTypeFont {
  /** Font units per em (2048 for DejaVu). */
  readonly unitsPerEm: number;
  /** Ascender in font units (positive). */
  readonly ascender: number;
  /** Descender in font units (negative). */
  readonly descender: number;
  private readonly view: DataView;
  private readonly tables = new Map<string, { offset: number; length: number }>();
  private readonly cmap = new Map<number, number>();
  private readonly kernPairs = new Map<number, number>();
  private readonly advances: Uint16Array;
  private readonly glyf: GlyfSource;
  private readonly outlines = new Map<number, GlyphCommand[]>();

  /**
   * @param bytes the whole .ttf file.
   * @param source where the bytes came from, for error messages.
   */
  constructor(
    bytes: Uint8Array,
    readonly source: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const v = this.view;
    const count = v.getUint16(4);
    for (let i = 0; i < count; i++) {
      const at = 12 + 16 * i;
      const tag = String.fromCharCode(
        v.getUint8(at),
        v.getUint8(at + 1),
        v.getUint8(at + 2),
        v.getUint8(at + 3),
      );
      this.tables.set(tag, { offset: v.getUint32(at + 8), length: v.getUint32(at + 12) });
    }
    const head = this.table('head');
    this.unitsPerEm = v.getUint16(head + 18);
    const longLoca = v.getInt16(head + 50) === 1;
    const hhea = this.table('hhea');
    this.ascender = v.getInt16(hhea + 4);
    this.descender = v.getInt16(hhea + 6);
    const metricCount = v.getUint16(hhea + 34);
    const glyphCount = v.getUint16(this.table('maxp') + 4);

    const hmtx = this.table('hmtx');
    this.advances = new Uint16Array(glyphCount);
    for (let g = 0; g < glyphCount; g++) {
      this.advances[g] = v.getUint16(hmtx + 4 * Math.min(g, metricCount - 1));
    }
    const loca = this.table('loca');
    const offsets = new Uint32Array(glyphCount + 1);
    for (let g = 0; g <= glyphCount; g++) {
      offsets[g] = longLoca ? v.getUint32(loca + 4 * g) : 2 * v.getUint16(loca + 2 * g);
    }
    this.glyf = { view: v, glyf: this.table('glyf'), offsets };
    this.readCmap();
    if (this.tables.has('kern')) this.readKern();
  }

  /** Glyph index of a Unicode code point; 0 (the "missing glyph" box) when the font lacks it. */
  glyphIndex(codePoint: number): number {
    return this.cmap.get(codePoint) ?? 0;
  }

  /** Advance width of a glyph in font units. */
  advance(glyph: number): number {
    return this.advances[glyph] ?? 0;
  }

  /** Kerning adjustment between two glyphs in font units (legacy `kern` table; 0 when none). */
  kerning(left: number, right: number): number {
    return this.kernPairs.get(left * 65536 + right) ?? 0;
  }

  /** Outline of a glyph as path commands in font units, y up. Empty for blank glyphs (space). */
  outline(glyph: number): GlyphCommand[] {
    let commands = this.outlines.get(glyph);
    if (commands === undefined) {
      commands = glyphOutline(this.glyf, glyph);
      this.outlines.set(glyph, commands);
    }
    return commands;
  }

  private table(tag: string): number {
    const entry = this.tables.get(tag);
    if (entry === undefined) throw new FileFormatError(this.source, `TrueType table '${tag}' is missing`);
    return entry.offset;
  }

  private readCmap(): void {
    const v = this.view;
    const cmap = this.table('cmap');
    let best = -1;
    let bestFormat = 0;
    for (let i = 0; i < v.getUint16(cmap + 2); i++) {
      const platform = v.getUint16(cmap + 4 + 8 * i);
      const encoding = v.getUint16(cmap + 6 + 8 * i);
      const at = cmap + v.getUint32(cmap + 8 + 8 * i);
      const format = v.getUint16(at);
      const unicode = platform === 0 || (platform === 3 && (encoding === 1 || encoding === 10));
      if (unicode && (format === 12 || (format === 4 && bestFormat !== 12))) {
        best = at;
        bestFormat = format;
      }
    }
    if (best < 0) throw new FileFormatError(this.source, 'no Unicode cmap subtable of format 4 or 12');
    if (bestFormat === 12) {
      for (let i = 0; i < v.getUint32(best + 12); i++) {
        const at = best + 16 + 12 * i;
        const start = v.getUint32(at);
        const end = v.getUint32(at + 4);
        const glyph = v.getUint32(at + 8);
        for (let c = start; c <= end; c++) this.cmap.set(c, glyph + c - start);
      }
      return;
    }
    const segments = v.getUint16(best + 6) / 2;
    const ends = best + 14;
    const starts = ends + 2 * segments + 2;
    const deltas = starts + 2 * segments;
    const rangeOffsets = deltas + 2 * segments;
    for (let s = 0; s < segments; s++) {
      const start = v.getUint16(starts + 2 * s);
      const end = v.getUint16(ends + 2 * s);
      const delta = v.getInt16(deltas + 2 * s);
      const rangeOffset = v.getUint16(rangeOffsets + 2 * s);
      for (let c = start; c <= end && c !== 0xffff; c++) {
        let glyph: number;
        if (rangeOffset === 0) glyph = (c + delta) & 0xffff;
        else {
          const raw = v.getUint16(rangeOffsets + 2 * s + rangeOffset + 2 * (c - start));
          glyph = raw === 0 ? 0 : (raw + delta) & 0xffff;
        }
        if (glyph !== 0) this.cmap.set(c, glyph);
      }
    }
  }

  private readKern(): void {
    const v = this.view;
    const kern = this.table('kern');
    if (v.getUint16(kern) !== 0) return; // Apple's version-1 layout: we only read the Microsoft one.
    let at = kern + 4;
    for (let t = 0; t < v.getUint16(kern + 2); t++) {
      const length = v.getUint16(at + 2);
      const coverage = v.getUint16(at + 4);
      // Format 0, horizontal, not cross-stream, not minimum values.
      if (coverage >> 8 === 0 && (coverage & 0x7) === 0x1) {
        const pairs = v.getUint16(at + 6);
        for (let p = 0; p < pairs; p++) {
          const pair = at + 14 + 6 * p;
          this.kernPairs.set(v.getUint16(pair) * 65536 + v.getUint16(pair + 2), v.getInt16(pair + 4));
        }
      }
      at += length;
    }
  }
}

const fontFiles: Record<FontWeight, string> = {
  regular: 'dejavu-fonts-ttf/ttf/DejaVuSans.ttf',
  bold: 'dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf',
};

// Parsing a font costs a few milliseconds and every label of every figure needs it, so the two
// embedded faces are read once per process. They are immutable after construction.
const loaded = new Map<FontWeight, TrueTypeFont>();

/**
 * The embedded DejaVu Sans face of the given weight, shipped by the `dejavu-fonts-ttf` npm package
 * (Bitstream Vera licence). Independent of the fonts installed on the machine.
 */
export function embeddedFont(weight: FontWeight = 'regular'): TrueTypeFont {
  let font = loaded.get(weight);
  if (font === undefined) {
    const file = createRequire(import.meta.url).resolve(fontFiles[weight]);
    font = new TrueTypeFont(readFileSync(file), file);
    loaded.set(weight, font);
  }
  return font;
}

/** Path to the embedded font file of a weight, for callers that embed it (e.g. an HTML @font-face). */
export function embeddedFontFile(weight: FontWeight = 'regular'): string {
  return createRequire(import.meta.url).resolve(fontFiles[weight]);
}
