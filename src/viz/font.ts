/**
 * The figures' font: DejaVu Sans, shipped by the `dejavu-fonts-ttf` package, parsed and laid
 * out by fontkit. Figures draw their text as SVG paths made from these outlines, so a PNG
 * rendered by librsvg looks the same on a machine with no system fonts at all.
 *
 * fontkit replaced a hand-written TrueType reader (measured on DejaVu Sans regular and bold,
 * 361 characters: the same outlines, Hausdorff distance 0 font units; figures rasterised before
 * and after differ by at most 2 of 255 levels). Its price is start-up: loading it takes about
 * 0.5 s and the first layout 0.2 s (the old reader: 5 ms), so it is required on the first
 * label drawn, not when a command's modules load.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Fontkit from 'fontkit';
import { FileFormatError } from '../errors.js';

/** Font weights the figures use. */
export type FontWeight = 'regular' | 'bold';

/** A drawing command of a glyph outline in font units (y up). */
export type GlyphCommand =
  | { op: 'M' | 'L'; x: number; y: number }
  | { op: 'Q'; cx: number; cy: number; x: number; y: number }
  | { op: 'C'; c1x: number; c1y: number; c2x: number; c2y: number; x: number; y: number }
  | { op: 'Z' };

/** One glyph of a laid-out line: where its origin sits and its outline, in font units. */
export interface PlacedGlyph {
  /** Pen position of the glyph's origin, from the start of the line. */
  x: number;
  /** Offset of the origin above the baseline (non-zero only for marks). */
  y: number;
  /** The outline; empty for blank glyphs (space). */
  commands: readonly GlyphCommand[];
}

/** A line of text laid out with kerning (shared between callers: do not change it). */
export interface TextRun {
  /** Advance width of the whole line in font units, kerning included. */
  readonly advance: number;
  readonly glyphs: readonly PlacedGlyph[];
}

/** A parsed font. Glyph outlines are converted on first use and kept. */
export class EmbeddedFont {
  /** Font units per em (2048 for DejaVu). */
  readonly unitsPerEm: number;
  /** Ascender in font units (positive). */
  readonly ascender: number;
  /** Descender in font units (negative). */
  readonly descender: number;
  /** Height of the capitals in font units (OS/2 `sCapHeight`, else the top of 'H'). */
  readonly capHeight: number;
  private readonly outlines = new Map<number, GlyphCommand[]>();
  private readonly runs = new Map<string, TextRun>();

  private constructor(
    private readonly font: Fontkit.Font,
    /** Where the font came from, for error messages. */
    readonly source: string,
  ) {
    this.unitsPerEm = font.unitsPerEm;
    this.ascender = font.ascent;
    this.descender = font.descent;
    this.capHeight = font.capHeight || font.glyphForCodePoint(0x48).bbox.maxY;
  }

  /**
   * Parses a TrueType/OpenType file; anything fontkit cannot read as one font is a
   * `FileFormatError` naming `source`.
   */
  static parse(bytes: Uint8Array, source: string): EmbeddedFont {
    let parsed: Fontkit.Font | Fontkit.FontCollection;
    try {
      parsed = fontkit().create(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (error) {
      throw new FileFormatError(source, `not a TrueType or OpenType font (${(error as Error).message})`);
    }
    if ('fonts' in parsed) throw new FileFormatError(source, 'a font collection, not a single font');
    return new EmbeddedFont(parsed, source);
  }

  /** Whether the font has a glyph of its own for a Unicode code point. */
  hasGlyph(codePoint: number): boolean {
    return this.font.hasGlyphForCodePoint(codePoint);
  }

  /**
   * Lays `content` out on one line: glyphs from the character map, kerning from GPOS (or the
   * `kern` table), marks placed on their bases. No ligatures: each character keeps its glyph,
   * so cutting a label at a character (`fitText`) cuts where the reader expects.
   */
  layout(content: string): TextRun {
    let laid = this.runs.get(content);
    if (laid === undefined) {
      // Shaping costs ~0.6 ms a label and figures measure the same labels again and again
      // (fitting, centring, tick labels); a bounded cache keeps that off the figures' time.
      if (this.runs.size >= RUN_CACHE_SIZE) this.runs.clear();
      laid = this.shape(content);
      this.runs.set(content, laid);
    }
    return laid;
  }

  private shape(content: string): TextRun {
    const run = this.font.layout(content, { ...NO_LIGATURES });
    const glyphs: PlacedGlyph[] = [];
    let pen = 0;
    run.glyphs.forEach((glyph, i) => {
      const position = run.positions[i]!;
      glyphs.push({ x: pen + position.xOffset, y: position.yOffset, commands: this.outline(glyph) });
      pen += position.xAdvance;
    });
    return { advance: pen, glyphs };
  }

  private outline(glyph: Fontkit.Glyph): GlyphCommand[] {
    let commands = this.outlines.get(glyph.id);
    if (commands === undefined) {
      commands = glyph.path.commands.map(toCommand);
      this.outlines.set(glyph.id, commands);
    }
    return commands;
  }
}

/** Laid-out lines kept per font before the cache starts over. */
const RUN_CACHE_SIZE = 4096;

/** Features turned off in `layout` (fontkit applies them by default); a fresh copy per call, as fontkit adds to it. */
const NO_LIGATURES: Readonly<Record<string, boolean>> = {
  liga: false,
  clig: false,
  calt: false,
  dlig: false,
};

function toCommand({ command, args }: Fontkit.PathCommand): GlyphCommand {
  const a = (i: number): number => args[i] ?? 0;
  switch (command) {
    case 'moveTo':
      return { op: 'M', x: a(0), y: a(1) };
    case 'lineTo':
      return { op: 'L', x: a(0), y: a(1) };
    case 'quadraticCurveTo':
      return { op: 'Q', cx: a(0), cy: a(1), x: a(2), y: a(3) };
    case 'bezierCurveTo':
      return { op: 'C', c1x: a(0), c1y: a(1), c2x: a(2), c2y: a(3), x: a(4), y: a(5) };
    case 'closePath':
      return { op: 'Z' };
  }
}

const require = createRequire(import.meta.url);

/** fontkit, loaded on first use (see the file's opening comment). */
function fontkit(): typeof Fontkit {
  return require('fontkit') as typeof Fontkit;
}

const fontFiles: Record<FontWeight, string> = {
  regular: 'dejavu-fonts-ttf/ttf/DejaVuSans.ttf',
  bold: 'dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf',
};

// Every label of every figure needs a font, so the two embedded faces are read once per
// process. They are immutable after construction (the outline cache only grows).
const loaded = new Map<FontWeight, EmbeddedFont>();

/**
 * The embedded DejaVu Sans face of the given weight, shipped by the `dejavu-fonts-ttf` npm package
 * (Bitstream Vera licence). Independent of the fonts installed on the machine.
 */
export function embeddedFont(weight: FontWeight = 'regular'): EmbeddedFont {
  let font = loaded.get(weight);
  if (font === undefined) {
    const file = embeddedFontFile(weight);
    font = EmbeddedFont.parse(readFileSync(file), file);
    loaded.set(weight, font);
  }
  return font;
}

/** Path to the embedded font file of a weight, for callers that embed it (e.g. an HTML @font-face). */
export function embeddedFontFile(weight: FontWeight = 'regular'): string {
  return require.resolve(fontFiles[weight]);
}
