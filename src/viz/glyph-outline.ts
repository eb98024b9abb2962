/**
 * Decoding of TrueType glyph outlines (`glyf` table): simple glyphs with on-curve and quadratic
 * control points, and composite glyphs (accented letters) built from transformed components.
 */

/** Where a font's glyph data lives. */
export interface GlyfSource {
  /** The whole font file. */
  view: DataView;
  /** Byte offset of the `glyf` table. */
  glyf: number;
  /** `loca`: offset of each glyph inside `glyf`, glyph count + 1 entries. */
  offsets: Uint32Array;
}

/** One outline point in font units (y up); `on` is false for a quadratic control point. */
interface OutlinePoint {
  x: number;
  y: number;
  on: boolean;
}

/** A drawing command of a glyph outline in font units (y up). */
export type GlyphCommand =
  | { op: 'M' | 'L'; x: number; y: number }
  | { op: 'Q'; cx: number; cy: number; x: number; y: number }
  | { op: 'Z' };

/** The outline of glyph `glyph` as path commands; empty for blank glyphs (space) and bad indices. */
export function glyphOutline(src: GlyfSource, glyph: number): GlyphCommand[] {
  return contoursToCommands(readContours(src, glyph, 0));
}

function readContours(src: GlyfSource, glyph: number, depth: number): OutlinePoint[][] {
  const start = src.offsets[glyph];
  const end = src.offsets[glyph + 1];
  if (start === undefined || end === undefined || end <= start || depth > 8) return [];
  const v = src.view;
  const at = src.glyf + start;
  const contourCount = v.getInt16(at);
  return contourCount >= 0 ? simpleContours(v, at, contourCount) : compositeContours(src, at, depth);
}

function simpleContours(v: DataView, at: number, contourCount: number): OutlinePoint[][] {
  const endPoints: number[] = [];
  for (let c = 0; c < contourCount; c++) endPoints.push(v.getUint16(at + 10 + 2 * c));
  const pointCount = contourCount === 0 ? 0 : endPoints[contourCount - 1]! + 1;
  let p = at + 10 + 2 * contourCount;
  p += 2 + v.getUint16(p); // skip the hinting instructions
  const flags: number[] = [];
  while (flags.length < pointCount) {
    const flag = v.getUint8(p++);
    flags.push(flag);
    if (flag & 0x08) {
      for (let r = v.getUint8(p++); r > 0; r--) flags.push(flag);
    }
  }
  const readAxis = (shortBit: number, sameBit: number): number[] => {
    const values: number[] = [];
    let value = 0;
    for (const flag of flags) {
      if (flag & shortBit) {
        const d = v.getUint8(p++);
        value += flag & sameBit ? d : -d;
      } else if (!(flag & sameBit)) {
        value += v.getInt16(p);
        p += 2;
      }
      values.push(value);
    }
    return values;
  };
  const xs = readAxis(0x02, 0x10);
  const ys = readAxis(0x04, 0x20);
  const contours: OutlinePoint[][] = [];
  let first = 0;
  for (const last of endPoints) {
    const contour: OutlinePoint[] = [];
    for (let i = first; i <= last; i++) contour.push({ x: xs[i]!, y: ys[i]!, on: (flags[i]! & 1) === 1 });
    contours.push(contour);
    first = last + 1;
  }
  return contours;
}

function compositeContours(src: GlyfSource, at: number, depth: number): OutlinePoint[][] {
  const v = src.view;
  const contours: OutlinePoint[][] = [];
  let p = at + 10;
  let flags: number;
  do {
    flags = v.getUint16(p);
    const component = v.getUint16(p + 2);
    p += 4;
    let dx: number;
    let dy: number;
    if (flags & 0x0001) {
      dx = v.getInt16(p);
      dy = v.getInt16(p + 2);
      p += 4;
    } else {
      dx = v.getInt8(p);
      dy = v.getInt8(p + 1);
      p += 2;
    }
    let [a, b, c, d] = [1, 0, 0, 1];
    const f2dot14 = (offset: number): number => v.getInt16(offset) / 16384;
    if (flags & 0x0008) {
      a = d = f2dot14(p);
      p += 2;
    } else if (flags & 0x0040) {
      a = f2dot14(p);
      d = f2dot14(p + 2);
      p += 4;
    } else if (flags & 0x0080) {
      [a, b, c, d] = [f2dot14(p), f2dot14(p + 2), f2dot14(p + 4), f2dot14(p + 6)];
      p += 8;
    }
    // Point-matching placement (ARGS_ARE_XY_VALUES unset) is rare in Latin glyphs; place at origin.
    if (!(flags & 0x0002)) dx = dy = 0;
    for (const contour of readContours(src, component, depth + 1)) {
      contours.push(contour.map((q) => ({ x: a * q.x + c * q.y + dx, y: b * q.x + d * q.y + dy, on: q.on })));
    }
  } while (flags & 0x0020);
  return contours;
}

/** Turns TrueType contours (on-curve and quadratic off-curve points) into path commands. */
function contoursToCommands(contours: OutlinePoint[][]): GlyphCommand[] {
  const commands: GlyphCommand[] = [];
  for (const contour of contours) {
    const n = contour.length;
    if (n === 0) continue;
    // Start at an on-curve point; when there is none, at the midpoint of the first two controls.
    const firstOn = contour.findIndex((q) => q.on);
    const origin =
      firstOn >= 0
        ? contour[firstOn]!
        : {
            x: (contour[0]!.x + contour[1 % n]!.x) / 2,
            y: (contour[0]!.y + contour[1 % n]!.y) / 2,
            on: true,
          };
    const offset = Math.max(firstOn, 0);
    commands.push({ op: 'M', x: origin.x, y: origin.y });
    let control: OutlinePoint | undefined;
    for (let k = 1; k <= n; k++) {
      const q = k === n && firstOn >= 0 ? origin : contour[(offset + k) % n]!;
      if (q.on) {
        if (control) commands.push({ op: 'Q', cx: control.x, cy: control.y, x: q.x, y: q.y });
        else commands.push({ op: 'L', x: q.x, y: q.y });
        control = undefined;
      } else {
        if (control) {
          const mx = (control.x + q.x) / 2;
          const my = (control.y + q.y) / 2;
          commands.push({ op: 'Q', cx: control.x, cy: control.y, x: mx, y: my });
        }
        control = q;
      }
    }
    if (control) commands.push({ op: 'Q', cx: control.x, cy: control.y, x: origin.x, y: origin.y });
    commands.push({ op: 'Z' });
  }
  return commands;
}
