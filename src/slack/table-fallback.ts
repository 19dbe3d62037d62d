import { textTableLines } from '../shared/text-table.js';
import type { OutgoingMessage } from './slack-message.js';
import { SLACK_LIMITS } from './limits.js';
import { mrkdwnSection, packLines } from './mrkdwn.js';

const SECTION_BUDGET = SLACK_LIMITS.sectionText;
/** Code points a line may hold: the console's thread pane at its default width shows about 100 monospace ones. */
export const FALLBACK_LINE_WIDTH = 90;
const NBSP = '\u00a0';

// Slack's `table` block as monospace text, for a client that cannot draw it (slack.tableBlocks: false):
// local-slack's web UI (npm run console) shows a table block as "[table]" and a ``` fence as literal backticks in a
// proportional font. Every client draws inline code in a monospace font, so each line of the table is its own
// inline code span, with no-break spaces (which HTML does not collapse, and a line cannot wrap at) for alignment,
// and wide text columns wrap onto continuation lines to fit FALLBACK_LINE_WIDTH, so no line wraps in the pane.

type Block = NonNullable<OutgoingMessage['blocks']>[number];

interface TableCell {
  type?: string;
  text?: string;
  elements?: TableCell[];
}

function cellText(cell: TableCell | undefined): string {
  if (!cell) return '';
  if (typeof cell.text === 'string') return cell.text;
  return (cell.elements ?? []).map(cellText).join('');
}

const WORD_JOINER = '\u2060';
/** Characters after which a browser may break a line even between no-break spaces (Unicode line-break classes BA, HY, SY, CP). */
const BREAK_AFTER = /([|\-\u2013\u2014/\u00b7?!)\]}])/g;

/**
 * One table line as an inline code span that keeps its spacing and never wraps: no-break spaces for the spaces,
 * and a word joiner after each character a browser would break after ("|", "-", "–", "/"…), so a line too long for
 * its pane overflows visibly instead of folding into a second, misaligned line. No backtick inside ends it early.
 */
function codeLine(line: string): string {
  return `\`${line.replaceAll('`', "'").replaceAll(' ', NBSP).replace(BREAK_AFTER, `$1${WORD_JOINER}`)}\``;
}

/** Code lines in sections of at most Slack's section length; each section repeats the header and the rule. */
function linesAsSections([header = '', rule = '', ...lines]: string[]): Block[] {
  const sections: string[][] = [[]];
  let size = header.length + rule.length + 2;
  for (const line of lines) {
    const current = sections[sections.length - 1] ?? [];
    if (current.length > 0 && size + line.length + 1 > SECTION_BUDGET) {
      sections.push([line]);
      size = header.length + rule.length + 2 + line.length + 1;
    } else {
      current.push(line);
      size += line.length + 1;
    }
  }
  return sections.map((s) => mrkdwnSection([header, rule, ...s].join('\n')));
}

function asCodeSections(block: Record<string, unknown>): Block[] {
  const rows = (Array.isArray(block.rows) ? block.rows : []) as TableCell[][];
  const settings = (Array.isArray(block.column_settings) ? block.column_settings : []) as Array<{ align?: string } | null>;
  const [head = [], ...body] = rows.map((r) => r.map(cellText));
  const columns = head.map((header, i) => ({ header, align: settings[i]?.align === 'right' ? ('right' as const) : ('left' as const) }));
  return linesAsSections(textTableLines({ columns, rows: body }, { maxWidth: FALLBACK_LINE_WIDTH }).map(codeLine));
}

const FENCED = /^```\n([\s\S]*)\n```$/;

/**
 * A pipe table in a ``` fence, as textTableLines draws it (header, rule with ':' on right-aligned columns, rows),
 * read back into columns and rows; null for any other text (a row whose cell count differs from the header's is
 * not a table we drew).
 */
export function parseFencedTable(text: string): { columns: { header: string; align: 'left' | 'right' }[]; rows: string[][] } | null {
  const m = FENCED.exec(text.trim());
  if (!m) return null;
  const lines = (m[1] ?? '').split('\n');
  const [head, rule, ...body] = lines;
  if (!head || !rule || !/^\|(-+:?\|)+$/.test(rule)) return null;
  const cells = (line: string): string[] | null => (line.startsWith('| ') && line.endsWith(' |') ? line.slice(2, -2).split(' | ').map((c) => c.trim()) : null);
  const header = cells(head);
  const aligns = rule.slice(1, -1).split('|').map((seg) => (seg.endsWith(':') ? ('right' as const) : ('left' as const)));
  if (!header || header.length !== aligns.length) return null;
  const rows: string[][] = [];
  for (const line of body) {
    const r = cells(line);
    if (!r || r.length !== header.length) return null;
    rows.push(r);
  }
  return { columns: header.map((h, i) => ({ header: h, align: aligns[i] ?? 'left' })), rows };
}

function sectionText(b: Block): string | null {
  const x = b as { type?: string; text?: { type?: string; text?: string } };
  return x.type === 'section' && x.text?.type === 'mrkdwn' && typeof x.text.text === 'string' ? x.text.text : null;
}

/** A section holding a fenced pipe table we drew, as that table. */
export function fencedTableOf(b: Block): ReturnType<typeof parseFencedTable> {
  const text = sectionText(b);
  return text === null ? null : parseFencedTable(text);
}

/**
 * For a client that draws no ``` fences either (local-slack): every fenced pipe table becomes inline code lines like
 * a table block does (other blocks untouched). Real Slack draws fences, so only the console asks for this.
 */
export function withoutCodeFences(msg: OutgoingMessage): OutgoingMessage {
  if (!msg.blocks?.some((b) => fencedTableOf(b) !== null)) return msg;
  const blocks = msg.blocks.flatMap((b) => {
    const t = fencedTableOf(b);
    if (!t) return [b];
    return linesAsSections(textTableLines({ columns: t.columns, rows: t.rows }, { maxWidth: FALLBACK_LINE_WIDTH }).map(codeLine));
  });
  return { ...msg, blocks: blocks.slice(0, SLACK_LIMITS.blocksPerMessage) };
}

/** The message with each `table` block replaced by code sections (other blocks untouched, within 50 blocks). */
export function withoutTableBlocks(msg: OutgoingMessage): OutgoingMessage {
  if (!msg.blocks?.some((b) => (b as { type?: string }).type === 'table')) return msg;
  const blocks = msg.blocks.flatMap((b) => ((b as { type?: string }).type === 'table' ? asCodeSections(b as Record<string, unknown>) : [b]));
  return { ...msg, blocks: blocks.slice(0, SLACK_LIMITS.blocksPerMessage) };
}

/** One row as a bullet: the first cell bold, then each other non-empty cell after its header. */
function rowLine(columns: { header: string }[], row: string[]): string {
  const [first = '', ...rest] = row;
  const parts = rest.flatMap((cell, i) => (cell.trim() === '' ? [] : [`${columns[i + 1]?.header ?? ''}: ${cell}`]));
  return `• *${first.replace(/\*/g, '')}*${parts.length > 0 ? ` · ${parts.join(' · ')}` : ''}`;
}

/**
 * For a pane too narrow for any table and a message that cannot carry files (an edit, like the backfill plan's):
 * every table (a table block or a fenced pipe table we drew) becomes a list, a bullet per row with each value after
 * its header, which wraps like any text and hides nothing.
 */
export function tablesAsLists(msg: OutgoingMessage): OutgoingMessage {
  const blocks = msg.blocks ?? [];
  const isTableBlock = (b: Block): boolean => (b as { type?: string }).type === 'table';
  if (!blocks.some((b) => isTableBlock(b) || fencedTableOf(b) !== null)) return msg;
  const out = blocks.flatMap((b) => {
    let table: { columns: { header: string }[]; rows: string[][] } | null = fencedTableOf(b);
    if (!table && isTableBlock(b)) {
      const rows = ((b as { rows?: TableCell[][] }).rows ?? []).map((r) => r.map(cellText));
      const [head = [], ...body] = rows;
      table = { columns: head.map((header) => ({ header })), rows: body };
    }
    if (!table) return [b];
    // The first column's header names what the bullets are ("Left alone"): it leads the list.
    const lines = [`_${table.columns[0]?.header ?? ''}_`, ...table.rows.map((r) => rowLine(table.columns, r))];
    return packLines(lines, SECTION_BUDGET).map((text) => mrkdwnSection(text));
  });
  return { ...msg, blocks: out.slice(0, SLACK_LIMITS.blocksPerMessage) };
}
