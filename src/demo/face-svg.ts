/**
 * Draws one synthetic person's cartoon head as SVG elements, in face units: the face box
 * (what a FaceScrub list line's box would frame) spans −1…1 on both axes, the face outline is
 * 1 unit high from the centre and `faceWidth` wide. Hair, neck and shoulders reach outside the
 * box, as they do in real photos.
 *
 * A yaw turn is faked by shifting features sideways in proportion to how far they stand out
 * of the face (the nose tip most, the outline least) and narrowing the far eye.
 */

import { createRng } from '../random.js';
import type { HairStyle, PersonTraits, Rgb } from './synthetic-people.js';

/** How one photo shows the person: pose, expression and light. */
export interface FacePose {
  /** Head turn, −1 (towards the viewer's left) … 1 (right); about ±30°. */
  yaw: number;
  /** Head tilt up (−) or down (+), −1…1; moves the features vertically a little. */
  pitch: number;
  /** Added to the person's resting smile (face units). */
  smile: number;
  /** 0 closed … 1 wide open. */
  mouthOpen: number;
  /** 0 closed (a blink) … 1 normal … 1.2 wide. */
  eyeOpen: number;
  /** Brow raise in face units (positive = up). */
  browRaise: number;
  /** Where the irises look, each −1…1. */
  gazeX: number;
  gazeY: number;
  /** Where the light comes from, each −1…1 (the bright spot of the skin shading). */
  lightX: number;
  lightY: number;
  /** Whether the glasses (if the person has some) are worn in this photo. */
  glassesOn: boolean;
  /** Colour of the clothes. */
  clothes: Rgb;
  /** Colour of a knitted hat hiding the hair, when one is worn. */
  hat?: Rgb;
}

/** The SVG `<defs>` and elements of the head, in face units (to be placed by a transform). */
export function headSvg(person: PersonTraits, pose: FacePose): { defs: string; body: string } {
  const rx = person.faceWidth;
  const shift = (depth: number): number => pose.yaw * 0.22 * depth;
  const squeeze = 1 - 0.12 * Math.abs(pose.yaw);
  const dy = pose.pitch * 0.06;
  const skinDark = shade(person.skin, 0.78);
  const hairDark = shade(person.hair, 0.7);
  const light = `cx="${f(0.5 + 0.3 * pose.lightX)}" cy="${f(0.45 + 0.3 * pose.lightY)}"`;
  const defs =
    `<radialGradient id="skin" ${light} r="0.75"><stop offset="0" stop-color="${rgb(shade(person.skin, 1.1))}"/>` +
    `<stop offset="0.6" stop-color="${rgb(person.skin)}"/><stop offset="1" stop-color="${rgb(skinDark)}"/></radialGradient>` +
    `<radialGradient id="hairg" ${light} r="0.8"><stop offset="0" stop-color="${rgb(shade(person.hair, 1.25))}"/>` +
    `<stop offset="1" stop-color="${rgb(hairDark)}"/></radialGradient>`;
  const parts: string[] = [];
  const hair = hairShapes(person.hairStyle, rx, person.hairSeed);
  if (hair.back) parts.push(`<path d="${hair.back}" fill="url(#hairg)"/>`);
  // Neck and shoulders, reaching out of the frame below.
  const bx = shift(0.1);
  parts.push(
    `<path d="M${f(bx - 0.27)},0.6 L${f(bx - 0.3)},1.6 L${f(bx + 0.3)},1.6 L${f(bx + 0.27)},0.6 Z" fill="${rgb(shade(person.skin, 0.85))}"/>`,
    `<path d="M${f(bx - 0.3)},1.2 C${f(bx - 0.9)},1.24 ${f(bx - 1.5)},1.34 ${f(bx - 1.7)},1.95 L${f(bx - 1.9)},4 L${f(bx + 1.9)},4 ` +
      `L${f(bx + 1.7)},1.95 C${f(bx + 1.5)},1.34 ${f(bx + 0.9)},1.24 ${f(bx + 0.3)},1.2 L${f(bx)},1.55 Z" fill="${rgb(pose.clothes)}"/>`,
  );
  // Ears, the far one partly hidden by the turn.
  const earY = person.eyeY + 0.12 + dy;
  for (const side of [-1, 1]) {
    const x = side * rx * squeeze + shift(0.15) - side * Math.max(0, pose.yaw * side) * 0.08;
    parts.push(
      `<ellipse cx="${f(x)}" cy="${f(earY)}" rx="0.1" ry="0.2" fill="${rgb(person.skin)}" stroke="${rgb(skinDark)}" stroke-width="0.025"/>`,
    );
  }
  // Face outline: an ellipse on top, a jaw below that goes from pointed (jaw 0) to square (1).
  const ox = shift(0.15);
  const w = rx * squeeze;
  const cw = 0.12 + 0.3 * person.jaw;
  const outline =
    `M${f(ox - w)},-0.05 C${f(ox - w)},-0.62 ${f(ox - w * 0.56)},-1 ${f(ox)},-1 C${f(ox + w * 0.56)},-1 ${f(ox + w)},-0.62 ${f(ox + w)},-0.05 ` +
    `C${f(ox + w)},${f(0.35 + 0.25 * person.jaw)} ${f(ox + cw + 0.1)},0.97 ${f(ox)},1 ` +
    `C${f(ox - cw - 0.1)},0.97 ${f(ox - w)},${f(0.35 + 0.25 * person.jaw)} ${f(ox - w)},-0.05 Z`;
  parts.push(`<path d="${outline}" fill="url(#skin)" stroke="${rgb(skinDark)}" stroke-width="0.02"/>`);
  // Cheeks.
  if (person.blush > 0.03) {
    for (const side of [-1, 1]) {
      parts.push(
        `<ellipse cx="${f(side * (person.eyeSpacing + 0.05) * squeeze + shift(0.5))}" cy="${f(person.eyeY + 0.3 + dy)}" rx="0.14" ry="0.09" fill="rgb(230,90,90)" opacity="${f(person.blush)}"/>`,
      );
    }
  }
  const noseX = shift(1);
  const noseTipY = person.eyeY + person.noseLength + dy * 1.5;
  const mouthY = Math.min(0.8, noseTipY + 0.2 + 0.05 * person.jaw);
  const mouthX = shift(0.6);
  const mw = person.mouthWidth * squeeze;
  // Facial hair under the mouth.
  if (person.beard === 'full') {
    parts.push(
      `<path d="M${f(ox - w)},0.05 C${f(ox - w)},${f(0.45 + 0.25 * person.jaw)} ${f(ox - cw - 0.15)},1.1 ${f(ox)},1.12 C${f(ox + cw + 0.15)},1.1 ${f(ox + w)},${f(0.45 + 0.25 * person.jaw)} ${f(ox + w)},0.05 ` +
        `L${f(ox + w - 0.08)},0.1 C${f(mouthX + mw + 0.15)},${f(mouthY - 0.15)} ${f(mouthX + 0.1)},${f(mouthY - 0.14)} ${f(mouthX)},${f(mouthY - 0.12)} ` +
        `C${f(mouthX - 0.1)},${f(mouthY - 0.14)} ${f(mouthX - mw - 0.15)},${f(mouthY - 0.15)} ${f(ox - w + 0.08)},0.1 Z" fill="${rgb(hairDark)}" opacity="0.93"/>`,
    );
  } else if (person.beard === 'goatee') {
    parts.push(
      `<path d="M${f(mouthX - mw * 0.8)},${f(mouthY + 0.04)} Q${f(mouthX)},${f(mouthY + 0.12)} ${f(mouthX + mw * 0.8)},${f(mouthY + 0.04)} L${f(ox + cw * 0.7)},0.9 Q${f(ox)},1.08 ${f(ox - cw * 0.7)},0.9 Z" fill="${rgb(hairDark)}"/>`,
    );
  }
  // Nose: the bridge, the base and the nostrils.
  const nw = person.noseWidth * squeeze;
  const stroke = `fill="none" stroke="${rgb(shade(person.skin, 0.62))}" stroke-width="0.03" stroke-linecap="round"`;
  parts.push(
    `<path d="M${f(shift(0.6) + 0.04)},${f(person.eyeY + 0.08 + dy)} Q${f(noseX + 0.06)},${f(noseTipY - 0.08)} ${f(noseX + nw * 0.35)},${f(noseTipY)}" ${stroke}/>`,
    `<path d="M${f(noseX - nw)},${f(noseTipY - 0.03)} Q${f(noseX)},${f(noseTipY + 0.07)} ${f(noseX + nw)},${f(noseTipY - 0.03)}" ${stroke}/>`,
    `<ellipse cx="${f(noseX - nw * 0.5)}" cy="${f(noseTipY)}" rx="${f(nw * 0.22)}" ry="0.025" fill="${rgb(shade(person.skin, 0.45))}"/>`,
    `<ellipse cx="${f(noseX + nw * 0.5)}" cy="${f(noseTipY)}" rx="${f(nw * 0.22)}" ry="0.025" fill="${rgb(shade(person.skin, 0.45))}"/>`,
  );
  parts.push(mouthSvg(mouthX, mouthY, mw, person.mouthCurve + pose.smile, pose.mouthOpen, person.lips));
  if (person.beard === 'moustache' || person.beard === 'full') {
    parts.push(
      `<path d="M${f(mouthX - mw - 0.04)},${f(mouthY + 0.02)} Q${f(mouthX - mw * 0.5)},${f(mouthY - 0.14)} ${f(mouthX)},${f(mouthY - 0.08)} Q${f(mouthX + mw * 0.5)},${f(mouthY - 0.14)} ${f(mouthX + mw + 0.04)},${f(mouthY + 0.02)} Q${f(mouthX)},${f(mouthY - 0.05)} ${f(mouthX - mw - 0.04)},${f(mouthY + 0.02)} Z" fill="${rgb(hairDark)}"/>`,
    );
  }
  // Eyes and brows; the far eye is narrower.
  for (const side of [-1, 1]) {
    const ex = side * person.eyeSpacing * squeeze + shift(0.55);
    const ey = person.eyeY + dy;
    const size = person.eyeSize * (1 - 0.25 * pose.yaw * side);
    parts.push(eyeSvg(ex, ey, size, pose, person.eyeColour, side, person.skin));
    const by = ey - 0.14 - pose.browRaise;
    const inner = ex - side * person.eyeSize * 1.1;
    const outer = ex + side * person.eyeSize * 1.25;
    parts.push(
      `<path d="M${f(inner)},${f(by - person.browTilt)} Q${f(ex)},${f(by - 0.05 - person.browArch)} ${f(outer)},${f(by + 0.02)}" fill="none" stroke="${rgb(hairDark)}" stroke-width="${f(person.browThickness)}" stroke-linecap="round"/>`,
    );
  }
  if (hair.front)
    parts.push(`<path d="${hair.front}" fill="url(#hairg)" transform="translate(${f(shift(0.3))},0)"/>`);
  if (pose.hat) {
    const hx = shift(0.3);
    parts.push(
      `<path d="M${f(hx - rx - 0.12)},-0.42 C${f(hx - rx - 0.14)},-1.25 ${f(hx - 0.5)},-1.42 ${f(hx)},-1.42 C${f(hx + 0.5)},-1.42 ${f(hx + rx + 0.14)},-1.25 ${f(hx + rx + 0.12)},-0.42 Z" fill="${rgb(pose.hat)}"/>`,
      `<rect x="${f(hx - rx - 0.14)}" y="-0.66" width="${f(2 * rx + 0.28)}" height="0.26" rx="0.08" fill="${rgb(shade(pose.hat, 0.75))}"/>`,
    );
  }
  if (person.glasses && pose.glassesOn) parts.push(glassesSvg(person, pose, squeeze, shift(0.6), dy));
  return { defs, body: parts.join('') };
}

function eyeSvg(
  ex: number,
  ey: number,
  size: number,
  pose: FacePose,
  iris: Rgb,
  side: number,
  skin: Rgb,
): string {
  const open = Math.max(0, pose.eyeOpen);
  const lid = rgb(shade(skin, 0.35));
  if (open < 0.2) {
    return `<path d="M${f(ex - size)},${f(ey)} Q${f(ex)},${f(ey + 0.04)} ${f(ex + size)},${f(ey)}" fill="none" stroke="${lid}" stroke-width="0.03" stroke-linecap="round"/>`;
  }
  const ry = size * 0.62 * open;
  const id = side < 0 ? 'eyeL' : 'eyeR';
  const ix = ex + pose.gazeX * size * 0.35;
  const iy = ey + pose.gazeY * ry * 0.3;
  const r = size * 0.55;
  return (
    `<clipPath id="${id}"><ellipse cx="${f(ex)}" cy="${f(ey)}" rx="${f(size)}" ry="${f(ry)}"/></clipPath>` +
    `<ellipse cx="${f(ex)}" cy="${f(ey)}" rx="${f(size)}" ry="${f(ry)}" fill="rgb(246,246,242)"/>` +
    `<g clip-path="url(#${id})"><circle cx="${f(ix)}" cy="${f(iy)}" r="${f(r)}" fill="${rgb(iris)}"/>` +
    `<circle cx="${f(ix)}" cy="${f(iy)}" r="${f(r * 0.45)}" fill="rgb(12,12,14)"/>` +
    `<circle cx="${f(ix + r * 0.3)}" cy="${f(iy - r * 0.3)}" r="${f(r * 0.18)}" fill="white"/></g>` +
    `<path d="M${f(ex - size * 1.08)},${f(ey + 0.01)} Q${f(ex)},${f(ey - ry * 2)} ${f(ex + size * 1.08)},${f(ey + 0.01)}" fill="none" stroke="${lid}" stroke-width="0.028" stroke-linecap="round"/>`
  );
}

function mouthSvg(x: number, y: number, w: number, curve: number, open: number, lips: Rgb): string {
  const c = curve;
  const gap = 0.1 * open;
  const upper = `M${f(x - w)},${f(y - c)} Q${f(x - w * 0.5)},${f(y - 0.07)} ${f(x)},${f(y - 0.045)} Q${f(x + w * 0.5)},${f(y - 0.07)} ${f(x + w)},${f(y - c)}`;
  const lower = `Q${f(x)},${f(y + c + 0.11 + gap)} ${f(x - w)},${f(y - c)} Z`;
  let inside = '';
  if (open > 0.15) {
    inside =
      `<path d="M${f(x - w * 0.85)},${f(y - c * 0.8)} Q${f(x)},${f(y + c - 0.01)} ${f(x + w * 0.85)},${f(y - c * 0.8)} Q${f(x)},${f(y + c + gap + 0.06)} ${f(x - w * 0.85)},${f(y - c * 0.8)} Z" fill="rgb(70,20,24)"/>` +
      `<path d="M${f(x - w * 0.6)},${f(y - c * 0.5)} Q${f(x)},${f(y + c + 0.01)} ${f(x + w * 0.6)},${f(y - c * 0.5)} L${f(x + w * 0.55)},${f(y - c * 0.5 + 0.035)} Q${f(x)},${f(y + c + 0.045)} ${f(x - w * 0.55)},${f(y - c * 0.5 + 0.035)} Z" fill="rgb(245,245,235)"/>`;
  }
  return (
    `<path d="${upper} ${lower}" fill="${rgb(lips)}"/>${inside}` +
    `<path d="M${f(x - w)},${f(y - c)} Q${f(x)},${f(y + c)} ${f(x + w)},${f(y - c)}" fill="none" stroke="${rgb(shade(lips, 0.5))}" stroke-width="0.02" stroke-linecap="round"/>`
  );
}

function glassesSvg(person: PersonTraits, pose: FacePose, squeeze: number, dx: number, dy: number): string {
  const g = person.glasses!;
  const r = person.eyeSize * 1.55;
  const frame = `fill="rgb(200,220,240)" fill-opacity="0.18" stroke="${rgb(g.colour)}" stroke-width="0.045"`;
  const lenses = [-1, 1].map((side) => {
    const cx = side * person.eyeSpacing * squeeze + dx;
    const cy = person.eyeY + dy + 0.01;
    const rs = r * (1 - 0.2 * pose.yaw * side);
    return g.shape === 'round'
      ? `<circle cx="${f(cx)}" cy="${f(cy)}" r="${f(rs)}" ${frame}/>`
      : `<rect x="${f(cx - rs * 1.1)}" y="${f(cy - rs * 0.8)}" width="${f(rs * 2.2)}" height="${f(rs * 1.6)}" rx="0.04" ${frame}/>`;
  });
  const left = -person.eyeSpacing * squeeze + dx + r * (g.shape === 'round' ? 1 : 1.1);
  const right = person.eyeSpacing * squeeze + dx - r * (g.shape === 'round' ? 1 : 1.1);
  const y = person.eyeY + dy - 0.02;
  return `${lenses.join('')}<path d="M${f(left)},${f(y)} Q${f((left + right) / 2)},${f(y - 0.06)} ${f(right)},${f(y)}" fill="none" stroke="${rgb(g.colour)}" stroke-width="0.04"/>`;
}

/** Hair behind the head (`back`) and over it (`front`), as SVG path data in face units. */
function hairShapes(style: HairStyle, rx: number, seed: number): { back?: string; front?: string } {
  const L = -rx - 0.06;
  const R = rx + 0.06;
  // A cap over the skull whose front edge (the hairline) sits at `line`.
  const cap = (line: number, top = -1.2): string =>
    `M${f(L)},-0.1 C${f(L - 0.02)},-0.9 -0.5,${f(top - 0.02)} 0,${f(top)} C0.5,${f(top - 0.02)} ${f(R + 0.02)},-0.9 ${f(R)},-0.1 ` +
    `L${f(R - 0.09)},-0.3 C${f(R - 0.15)},${f(line + 0.08)} 0.4,${f(line)} 0,${f(line)} C-0.4,${f(line)} ${f(L + 0.15)},${f(line + 0.08)} ${f(L + 0.09)},-0.3 Z`;
  switch (style) {
    case 'crop':
      return { front: cap(-0.72, -1.14) };
    case 'long':
      return {
        back: `M${f(L - 0.16)},-0.3 C${f(L - 0.3)},-1.4 ${f(R + 0.3)},-1.4 ${f(R + 0.16)},-0.3 L${f(R + 0.32)},1.55 L${f(L - 0.32)},1.55 Z`,
        front: `M${f(L - 0.04)},0.2 C${f(L - 0.06)},-0.95 -0.5,-1.24 0.1,-1.22 C0.6,-1.22 ${f(R + 0.06)},-0.9 ${f(R + 0.04)},0.2 L${f(R - 0.06)},-0.3 C${f(R - 0.1)},-0.6 0.3,-0.78 -0.2,-0.62 C-0.45,-0.5 ${f(L + 0.12)},-0.5 ${f(L + 0.06)},0 Z`,
      };
    case 'bob':
      return {
        back: `M${f(L - 0.12)},-0.3 C${f(L - 0.25)},-1.35 ${f(R + 0.25)},-1.35 ${f(R + 0.12)},-0.3 L${f(R + 0.18)},0.72 L${f(L - 0.18)},0.72 Z`,
        front: `M${f(L - 0.02)},0.3 C${f(L - 0.06)},-0.95 -0.5,-1.24 0,-1.24 C0.5,-1.24 ${f(R + 0.06)},-0.95 ${f(R + 0.02)},0.3 L${f(R - 0.1)},0.3 L${f(R - 0.1)},-0.5 L${f(L + 0.1)},-0.5 L${f(L + 0.1)},0.3 Z`,
      };
    case 'curly': {
      const rng = createRng(seed);
      const blobs: string[] = [];
      for (let k = 0; k < 22; k++) {
        const a = Math.PI * (0.92 + 1.16 * (k / 21)) + (rng.next() - 0.5) * 0.12;
        const rad = 0.17 + rng.next() * 0.08;
        const x = Math.cos(a) * (rx + 0.08);
        const y = -0.18 + Math.sin(a) * 1.02;
        blobs.push(circlePath(x, y, rad));
      }
      return { back: blobs.join(' '), front: `${cap(-0.66, -1.16)} ${blobs.slice(6, 16).join(' ')}` };
    }
    case 'bald':
      return {
        front: `M${f(L)},-0.05 C${f(L - 0.05)},-0.35 ${f(L + 0.05)},-0.55 ${f(L + 0.14)},-0.6 L${f(L + 0.12)},-0.1 Z M${f(R)},-0.05 C${f(R + 0.05)},-0.35 ${f(R - 0.05)},-0.55 ${f(R - 0.14)},-0.6 L${f(R - 0.12)},-0.1 Z`,
      };
    case 'spiky': {
      const rng = createRng(seed);
      let d = `M${f(L)},-0.3`;
      const n = 9;
      for (let k = 0; k <= n; k++) {
        const a = Math.PI * (1.08 + 0.84 * (k / n));
        const base = { x: Math.cos(a) * (rx + 0.05), y: -0.15 + Math.sin(a) * 1.05 };
        const tip = 0.22 + rng.next() * 0.14;
        d += ` L${f(base.x)},${f(base.y)} L${f(base.x + Math.cos(a) * tip + 0.04)},${f(base.y + Math.sin(a) * tip)}`;
      }
      d += ` L${f(R)},-0.3 L${f(R - 0.1)},-0.35 C${f(R - 0.15)},-0.62 0.4,-0.72 0,-0.72 C-0.4,-0.72 ${f(L + 0.15)},-0.62 ${f(L + 0.1)},-0.35 Z`;
      return { front: d };
    }
    case 'bun':
      return { front: `${cap(-0.78, -1.12)} ${circlePath(0, -1.32, 0.3)}` };
    case 'quiff':
      return {
        front: `M${f(L)},-0.1 C${f(L - 0.04)},-0.9 -0.6,-1.2 -0.2,-1.3 C0.2,-1.5 0.75,-1.45 ${f(R + 0.06)},-0.95 C${f(R + 0.06)},-0.6 ${f(R + 0.04)},-0.3 ${f(R)},-0.1 L${f(R - 0.09)},-0.35 C${f(R - 0.2)},-0.7 0.2,-0.95 -0.1,-0.72 C-0.4,-0.7 ${f(L + 0.15)},-0.6 ${f(L + 0.09)},-0.3 Z`,
      };
  }
}

function circlePath(x: number, y: number, r: number): string {
  return `M${f(x - r)},${f(y)} a${f(r)},${f(r)} 0 1,0 ${f(2 * r)},0 a${f(r)},${f(r)} 0 1,0 ${f(-2 * r)},0 Z`;
}

/** A colour scaled towards black (factor < 1) or white (> 1). */
export function shade(c: Rgb, factor: number): Rgb {
  const ch = (v: number): number =>
    Math.round(Math.min(255, Math.max(0, factor <= 1 ? v * factor : v + (255 - v) * (factor - 1))));
  return [ch(c[0]), ch(c[1]), ch(c[2])];
}

/** `rgb(r,g,b)` for SVG. */
export function rgb(c: Rgb): string {
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** A number with at most 3 decimals, so the SVG text (and thus the render) is stable. */
export function f(v: number): string {
  return String(Math.round(v * 1000) / 1000);
}
