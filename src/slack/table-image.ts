import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';

// A table as a PNG, for a Slack client too narrow to show it as text (slack.tableImages: local-slack's thread pane
// is 380 px wide, about 37 monospace characters, and a daily table needs 60): posted as an image file, its thumbnail
// fits any pane without wrapping, and a click opens it at full size. The SVG is pure (tableSvg); the PNG comes from
// resvg with the DejaVu Sans Mono TTFs of the npm package dejavu-fonts-ttf, like the chart (no browser, no system fonts).

export interface ImageTable {
  columns: { header: string; align: 'left' | 'right' }[];
  rows: string[][];
  /** Rows drawn bold (the table block's emphasis). */
  bold?: boolean[];
}

export const TABLE_FONT_FAMILY = 'DejaVu Sans Mono';
const FONT_SIZE = 13;
/** DejaVu Sans Mono's advance is 0.602 em. */
const CHAR = FONT_SIZE * 0.602;
const ROW = 22;
const PAD_X = 10;
const MARGIN = 8;
/** A text cell wraps beyond this many characters, so one long event does not make the image 2,000 px wide. */
const WRAP_AT = 56;

const COLORS = { text: '#1f2937', header: '#f3f4f6', zebra: '#fafafa', rule: '#d1d5db', border: '#e5e7eb' };

const escapeXml = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
const len = (s: string): number => [...s].length;

function wrap(text: string, width: number): string[] {
  if (len(text) <= width) return [text];
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/ +/)) {
    for (let rest = word; rest.length > 0; ) {
      const room = line ? width - len(line) - 1 : width;
      if (len(rest) <= room) {
        line = line ? `${line} ${rest}` : rest;
        rest = '';
      } else if (line) {
        out.push(line);
        line = '';
      } else {
        const cps = [...rest];
        out.push(cps.slice(0, width).join(''));
        rest = cps.slice(width).join('');
      }
    }
  }
  if (line) out.push(line);
  return out;
}

/** Pure: the table as SVG (its size in CSS pixels is width x height). */
export function tableSvg(table: ImageTable): { svg: string; width: number; height: number } {
  const cells = table.rows.map((r) => table.columns.map((c, i) => (c.align === 'left' ? wrap(r[i] ?? '', WRAP_AT) : [r[i] ?? ''])));
  const chars = table.columns.map((c, i) => Math.max(len(c.header), ...cells.map((r) => Math.max(...(r[i] ?? ['']).map(len)))));
  const widths = chars.map((n) => Math.ceil(n * CHAR) + 2 * PAD_X);
  const xs = widths.reduce<number[]>((acc, w, i) => [...acc, (acc[i] ?? MARGIN) + w], [MARGIN]);
  const width = (xs.at(-1) ?? MARGIN) + MARGIN;
  const parts: string[] = [];
  let y = MARGIN;
  const textAt = (text: string, col: number, baseline: number, bold: boolean): string => {
    const right = table.columns[col]?.align === 'right';
    const x = right ? (xs[col + 1] ?? 0) - PAD_X : (xs[col] ?? 0) + PAD_X;
    return `<text x="${x.toFixed(1)}" y="${baseline}" text-anchor="${right ? 'end' : 'start'}"${bold ? ' font-weight="bold"' : ''} xml:space="preserve">${escapeXml(text)}</text>`;
  };
  parts.push(`<rect x="${MARGIN}" y="${y}" width="${width - 2 * MARGIN}" height="${ROW}" fill="${COLORS.header}"/>`);
  table.columns.forEach((c, i) => parts.push(textAt(c.header, i, y + 15, true)));
  y += ROW;
  parts.push(`<line x1="${MARGIN}" x2="${width - MARGIN}" y1="${y}" y2="${y}" stroke="${COLORS.rule}"/>`);
  cells.forEach((row, r) => {
    const lines = Math.max(...row.map((c) => c.length));
    const h = ROW + (lines - 1) * (ROW - 6);
    if (r % 2 === 1) parts.push(`<rect x="${MARGIN}" y="${y}" width="${width - 2 * MARGIN}" height="${h}" fill="${COLORS.zebra}"/>`);
    row.forEach((cell, i) => cell.forEach((text, k) => parts.push(textAt(text, i, y + 15 + k * (ROW - 6), table.bold?.[r] === true))));
    y += h;
  });
  const height = y + MARGIN;
  // Column rules, so a wrapped cell still reads as one column.
  for (const x of xs.slice(1, -1)) parts.push(`<line x1="${x}" x2="${x}" y1="${MARGIN}" y2="${height - MARGIN}" stroke="${COLORS.border}"/>`);
  parts.push(`<rect x="${MARGIN}" y="${MARGIN}" width="${width - 2 * MARGIN}" height="${height - 2 * MARGIN}" fill="none" stroke="${COLORS.border}"/>`);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<rect width="100%" height="100%" fill="#ffffff"/>` +
    `<g font-family="${TABLE_FONT_FAMILY}" font-size="${FONT_SIZE}" fill="${COLORS.text}">${parts.join('')}</g></svg>`;
  return { svg, width, height };
}

function monoFontFiles(): string[] {
  const require = createRequire(import.meta.url);
  return ['DejaVuSansMono.ttf', 'DejaVuSansMono-Bold.ttf'].map((f) => require.resolve(`dejavu-fonts-ttf/ttf/${f}`));
}

/** The table as a PNG at twice its CSS size (sharp when opened full size). */
export function tablePng(table: ImageTable): { png: Buffer; width: number; height: number } {
  const { svg, width, height } = tableSvg(table);
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'width', value: width * 2 },
    font: { fontFiles: monoFontFiles(), loadSystemFonts: false, defaultFontFamily: TABLE_FONT_FAMILY },
  });
  return { png: resvg.render().asPng(), width: width * 2, height: height * 2 };
}
