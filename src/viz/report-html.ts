/**
 * The HTML of the report: page shell, style sheet, embedded fonts and small building blocks
 * (tables, notes, inline figures). Everything the page shows is inside the one file: figures
 * are SVG data URIs (their text is already drawn as paths, their pictures are PNG data URIs),
 * and the page's own text uses DejaVu Sans embedded as WOFF, so it looks the same on a bare
 * machine and needs no network.
 */
import { readFileSync } from 'node:fs';
import { embeddedFontFile, type FontWeight } from './font.js';
import { escapeXml, svgSize } from './svg.js';
import { sfntToWoff } from './woff.js';

/** One section of the report. */
export interface ReportSection {
  /** Anchor and name in `ReportResult.sections`, e.g. 'grid'. */
  id: string;
  /** Heading. */
  title: string;
  /** Inner HTML. */
  body: string;
  /** False when the section only says why its content is missing. */
  present: boolean;
}

/** A headline number at the top of the page. */
export interface SummaryCard {
  label: string;
  value: string;
  /** Smaller line under the value. Default none. */
  detail?: string;
  /** Draws the card in the accent colour. Default false. */
  accent?: boolean;
}

/** Content of the whole page. */
export interface ReportPage {
  title: string;
  /** Lines under the title (plain text). */
  subtitle: string[];
  cards: SummaryCard[];
  sections: ReportSection[];
  /** Footer line (plain text). */
  footer: string;
}

/** An `<img>` showing an SVG document from a data URI, at the SVG's own size (shrinks on narrow screens). */
export function svgImage(svg: string, alt: string): string {
  const box = svgSize(svg);
  const size = box ? ` width="${box.width}" height="${box.height}"` : '';
  const uri = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
  return `<img class="figure" src="${uri}"${size} alt="${escapeXml(alt)}">`;
}

/** A grey box saying why something is missing or what to keep in mind (plain text). */
export function note(text: string, kind: 'note' | 'warning' = 'note'): string {
  return `<p class="${kind}">${escapeXml(text)}</p>`;
}

/** A paragraph of plain text. */
export function paragraph(text: string): string {
  return `<p>${escapeXml(text)}</p>`;
}

/** A table cell: plain text, or ready-made HTML. */
export type Cell = string | number | { html: string };

/** Options of {@link dataTable}. */
export interface TableOptions {
  head: string[];
  rows: Cell[][];
  /** Columns aligned right with tabular figures (numbers). Default: none. */
  numeric?: number[];
  /** Rows drawn highlighted (e.g. the chosen grid point). Default none. */
  highlight?: (row: number) => boolean;
  /** A last row in bold (totals). Default none. */
  foot?: Cell[];
  /** Scroll inside a box of this height (px) with a sticky header. Default: no scrolling. */
  maxHeight?: number;
}

/** A compact data table. */
export function dataTable(options: TableOptions): string {
  const numeric = new Set(options.numeric ?? []);
  const cell = (tag: 'td' | 'th', value: Cell, column: number): string => {
    const content = typeof value === 'object' ? value.html : escapeXml(String(value));
    return `<${tag}${numeric.has(column) ? ' class="num"' : ''}>${content}</${tag}>`;
  };
  const head = `<thead><tr>${options.head.map((h, c) => cell('th', h, c)).join('')}</tr></thead>`;
  const body = options.rows
    .map(
      (row, r) =>
        `<tr${options.highlight?.(r) ? ' class="chosen"' : ''}>${row.map((v, c) => cell('td', v, c)).join('')}</tr>`,
    )
    .join('');
  const foot = options.foot
    ? `<tfoot><tr>${options.foot.map((v, c) => cell('td', v, c)).join('')}</tr></tfoot>`
    : '';
  const table = `<table>${head}<tbody>${body}</tbody>${foot}</table>`;
  return options.maxHeight
    ? `<div class="table-scroll" style="max-height:${options.maxHeight}px">${table}</div>`
    : `<div class="table-wrap">${table}</div>`;
}

/** Fraction as a percentage with one decimal and a true minus sign: 0.8095 → "81.0 %", −0.1 → "−10.0 %". */
export function percent(value: number): string {
  return `${(value * 100).toFixed(1).replace('-', '\u2212')}\u00a0%`;
}

/** The complete HTML document. */
export function renderPage(page: ReportPage): string {
  const nav = page.sections
    .map((s) => `<a href="#${s.id}"${s.present ? '' : ' class="missing"'}>${escapeXml(s.title)}</a>`)
    .join('');
  const cards = page.cards
    .map(
      (c) =>
        `<div class="card${c.accent ? ' accent' : ''}"><div class="label">${escapeXml(c.label)}</div>` +
        `<div class="value">${escapeXml(c.value)}</div>` +
        (c.detail ? `<div class="detail">${escapeXml(c.detail)}</div>` : '') +
        '</div>',
    )
    .join('');
  const sections = page.sections
    .map(
      (s, i) =>
        `<section id="${s.id}"><h2><span class="number">${i + 1}</span>${escapeXml(s.title)}</h2>${s.body}</section>`,
    )
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; font-src data:; style-src 'unsafe-inline'">
<title>${escapeXml(page.title)}</title>
<style>
${fontFaces()}
${STYLE}
</style>
</head>
<body>
<header>
<div class="inner">
<h1>${escapeXml(page.title)}</h1>
${page.subtitle.map((l) => `<p class="subtitle">${escapeXml(l)}</p>`).join('\n')}
<div class="cards">${cards}</div>
<nav>${nav}</nav>
</div>
</header>
<main>
${sections}
</main>
<footer>${escapeXml(page.footer)}</footer>
</body>
</html>
`;
}

// Encoding the two faces costs ~100 ms; a process writing several reports does it once.
let fontCss: string | undefined;

function fontFaces(): string {
  fontCss ??= (['regular', 'bold'] as FontWeight[])
    .map((weight) => {
      const file = embeddedFontFile(weight);
      const woff = Buffer.from(sfntToWoff(readFileSync(file), file)).toString('base64');
      return `@font-face{font-family:"Report Sans";font-weight:${weight === 'bold' ? 700 : 400};font-style:normal;src:url(data:font/woff;base64,${woff}) format("woff");}`;
    })
    .join('\n');
  return fontCss;
}

const STYLE = `
:root{--ink:#1d2330;--muted:#5b6474;--line:#e3e6eb;--bg:#f4f5f7;--card:#fff;--accent:#1f77b4;--hot:#d62728;--chosen:#fff4d9}
*{box-sizing:border-box}
html{scroll-behavior:smooth}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.55 "Report Sans",sans-serif}
header{background:linear-gradient(135deg,#1b2a41,#24476b);color:#fff;padding:34px 0 0}
header .inner,main,footer{max-width:1200px;margin:0 auto;padding:0 28px}
h1{margin:0 0 6px;font-size:30px;line-height:1.2;letter-spacing:-.01em;overflow-wrap:anywhere}
.subtitle{margin:0;color:#c9d6e6;font-size:14px;overflow-wrap:anywhere}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:14px;margin:24px 0 22px}
.card{background:rgba(255,255,255,.09);border:1px solid rgba(255,255,255,.16);border-radius:10px;padding:12px 16px}
.card .label{font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:#b7c6d9}
.card .value{font-size:26px;font-weight:700;line-height:1.25;font-variant-numeric:tabular-nums;white-space:nowrap}
.card .detail{font-size:12.5px;color:#c9d6e6}
.card.accent{background:#fff;color:var(--ink);border-color:#fff}
.card.accent .label,.card.accent .detail{color:var(--muted)}
.card.accent .value{color:var(--accent)}
nav{display:flex;flex-wrap:wrap;gap:4px 2px;padding:0 0 14px}
nav a{color:#dce6f2;text-decoration:none;font-size:13.5px;padding:4px 10px;border-radius:14px}
nav a:hover{background:rgba(255,255,255,.14);color:#fff}
nav a.missing{color:#8fa3bb}
main{padding-top:26px;padding-bottom:10px}
section{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:22px 26px 24px;margin:0 0 24px;box-shadow:0 1px 2px rgba(20,30,50,.05)}
h2{margin:0 0 10px;font-size:21px;display:flex;align-items:center;gap:12px}
h2 .number{display:inline-flex;align-items:center;justify-content:center;width:28px;height:28px;border-radius:50%;background:var(--accent);color:#fff;font-size:14px}
h3{margin:22px 0 8px;font-size:16px}
p{margin:8px 0;max-width:78ch}
.lead{color:var(--muted)}
.note,.warning{border-radius:8px;padding:10px 14px;font-size:14px;max-width:none}
.note{background:#f1f3f6;border-left:4px solid #9aa5b4;color:#3d4554}
.warning{background:#fff4e5;border-left:4px solid #e6900f;color:#5a3a00}
.figure{display:block;max-width:100%;height:auto;margin:12px 0}
.columns{display:flex;flex-wrap:wrap;gap:0 56px;align-items:flex-start}
.columns>div{flex:0 1 auto;min-width:0}
.columns p{max-width:46ch}
.figures{display:flex;flex-wrap:wrap;gap:8px 28px;align-items:flex-start}
.figures .figure{margin:8px 0}
.table-wrap{overflow-x:auto;margin:10px 0}
.table-scroll{overflow:auto;margin:10px 0;width:fit-content;max-width:100%;border:1px solid var(--line);border-radius:8px}
.table-scroll thead th{position:sticky;top:0;z-index:1}
table{border-collapse:collapse;font-size:13.5px;min-width:360px}
th,td{padding:6px 12px;text-align:left;border-bottom:1px solid var(--line);white-space:nowrap}
th{background:#f7f8fa;color:var(--muted);font-weight:700;font-size:12.5px}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tbody tr:nth-child(even){background:#fafbfc}
tbody tr:hover{background:#eef4fa}
tr.chosen,tr.chosen:hover{background:var(--chosen)}
tr.chosen td{font-weight:700}
tr.chosen td:first-child{box-shadow:inset 4px 0 0 var(--hot)}
tfoot td{font-weight:700;border-top:2px solid #c5cbd4;border-bottom:0}
.tag{display:inline-block;font-size:11px;font-weight:700;color:#fff;background:var(--hot);border-radius:9px;padding:0 7px;margin-left:6px;vertical-align:1px}
.bar{display:inline-block;height:10px;border-radius:2px;background:var(--accent);vertical-align:middle;margin-right:8px}
.bar.base{background:#9aa5b4}
.muted{color:var(--muted)}
code{font-size:13px;background:#f1f3f6;border-radius:4px;padding:1px 5px;overflow-wrap:anywhere}
footer{color:var(--muted);font-size:13px;padding-top:4px;padding-bottom:36px}
`;
