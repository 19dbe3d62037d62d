import type { KnownBlock, RawTextElement, RichTextBlock, TableBlock } from '@slack/types';
import type { TableModel } from '../shared/text-table.js';
import { textTableLines } from '../shared/text-table.js';
import { SLACK_LIMITS } from './limits.js';
import type { SlackMessage } from './slack-message.js';
import { escapeMrkdwn, mrkdwnSection } from './mrkdwn.js';

// A TableModel as Slack messages: a native `table` block (one a message, at most 100 rows with the header, 20
// cells a row), split over several messages when longer; or, when tables are off or too wide, monospace code
// blocks in sections of at most 3,000 characters.

export interface TableRenderOptions {
  /** Use Slack's `table` block (default). False: monospace code blocks, for clients or workspaces without it. */
  tableBlocks?: boolean;
  /** Fallback-text prefix, e.g. 'rentokil Jan 2026'. */
  subject?: string;
}

type Cell = RawTextElement | RichTextBlock;

function cell(text: string, bold: boolean): Cell {
  const t = text === '' ? '–' : text;
  if (!bold) return { type: 'raw_text', text: t };
  return { type: 'rich_text', elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: t, style: { bold: true } }] }] };
}

/** Splits n items into the fewest chunks of at most `max`, as even as possible. */
export function evenChunks<T>(items: T[], max: number): T[][] {
  if (items.length === 0) return [];
  const count = Math.ceil(items.length / max);
  const size = Math.ceil(items.length / count);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function heading(model: TableModel, part: number, parts: number, firstRow: string[] | undefined, lastRow: string[] | undefined): string {
  const range = parts > 1 && firstRow && lastRow ? ` (${part}/${parts}: ${firstRow[0]} to ${lastRow[0]})` : '';
  return `*${escapeMrkdwn(model.title)}*${range}${model.note ? `\n${escapeMrkdwn(model.note)}` : ''}`;
}

function fallbackText(model: TableModel, part: number, parts: number, rows: string[][], subject?: string): string {
  const who = subject ? `${subject}: ` : '';
  const range = parts > 1 ? ` (part ${part} of ${parts})` : '';
  const first = rows[0]?.[0];
  const last = rows[rows.length - 1]?.[0];
  const span = first && last && first !== last ? `, ${first} to ${last}` : '';
  return `${who}${model.title} table${range}: ${rows.length} ${rows.length === 1 ? 'row' : 'rows'}${span}`;
}

export function tableBlock(model: Pick<TableModel, 'columns'>, rows: string[][], emphasis: boolean[] = []): TableBlock {
  return {
    type: 'table',
    column_settings: model.columns.map((c) => ({ align: c.align })),
    rows: [model.columns.map((c) => cell(c.header, true)), ...rows.map((r, i) => r.map((t) => cell(t, emphasis[i] ?? false)))],
  };
}

function nativeTableMessages(model: TableModel, opts: TableRenderOptions): SlackMessage[] {
  const indexed = model.rows.map((row, i) => ({ row, bold: model.emphasis?.[i] ?? false }));
  const chunks = evenChunks(indexed, SLACK_LIMITS.tableRows - 1);
  return chunks.map((chunk, i) => {
    const rows = chunk.map((c) => c.row);
    return {
      text: fallbackText(model, i + 1, chunks.length, rows, opts.subject),
      blocks: [
        mrkdwnSection(heading(model, i + 1, chunks.length, rows[0], rows[rows.length - 1])),
        tableBlock(model, rows, chunk.map((c) => c.bold)),
      ],
    };
  });
}

const FENCE = '```';
const SECTIONS_PER_MESSAGE = SLACK_LIMITS.blocksPerMessage - 2;

function codeBlockMessages(model: TableModel, opts: TableRenderOptions): SlackMessage[] {
  const [header = '', rule = '', ...body] = textTableLines(model);
  const budget = SLACK_LIMITS.sectionText - 2 * FENCE.length - 2;
  // Each code block repeats the header so every piece reads on its own.
  const sections: string[][] = [];
  let current: string[] = [];
  let size = header.length + rule.length + 2;
  for (const line of body) {
    if (current.length > 0 && size + line.length + 1 > budget) {
      sections.push(current);
      current = [];
      size = header.length + rule.length + 2;
    }
    current.push(line);
    size += line.length + 1;
  }
  if (current.length > 0 || sections.length === 0) sections.push(current);
  const rowsOf = (lines: string[]): string[][] => lines.map((l) => [l.split('|')[1]?.trim() ?? '']);
  const groups = evenChunks(sections, SECTIONS_PER_MESSAGE);
  return groups.map((group, i) => {
    const lines = group.flat();
    const rows = rowsOf(lines);
    const blocks: KnownBlock[] = [
      mrkdwnSection(heading(model, i + 1, groups.length, rows[0], rows[rows.length - 1])),
      ...group.map((g) => mrkdwnSection(`${FENCE}\n${[header, rule, ...g].join('\n')}\n${FENCE}`)),
    ];
    return { text: fallbackText(model, i + 1, groups.length, rows, opts.subject), blocks };
  });
}

/** The table as one or more messages, each within Slack's limits. */
export function tableMessages(model: TableModel, opts: TableRenderOptions = {}): SlackMessage[] {
  const native = (opts.tableBlocks ?? true) && model.columns.length <= SLACK_LIMITS.tableCells;
  return native ? nativeTableMessages(model, opts) : codeBlockMessages(model, opts);
}
