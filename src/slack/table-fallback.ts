import { textTableLines } from '../shared/text-table.js';
import type { OutgoingMessage } from './slack-message.js';
import { SLACK_LIMITS } from './limits.js';
import { mrkdwnSection } from './mrkdwn.js';

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

/** One table line as an inline code span that keeps its spacing (no backtick inside can end the span early). */
function codeLine(line: string): string {
  return `\`${line.replaceAll('`', "'").replaceAll(' ', NBSP)}\``;
}

function asCodeSections(block: Record<string, unknown>): Block[] {
  const rows = (Array.isArray(block.rows) ? block.rows : []) as TableCell[][];
  const settings = (Array.isArray(block.column_settings) ? block.column_settings : []) as Array<{ align?: string } | null>;
  const [head = [], ...body] = rows.map((r) => r.map(cellText));
  const columns = head.map((header, i) => ({ header, align: settings[i]?.align === 'right' ? ('right' as const) : ('left' as const) }));
  const [header = '', rule = '', ...lines] = textTableLines({ columns, rows: body }, { maxWidth: FALLBACK_LINE_WIDTH }).map(codeLine);
  // Each section repeats the header so every piece reads on its own.
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

/** The message with each `table` block replaced by code sections (other blocks untouched, within 50 blocks). */
export function withoutTableBlocks(msg: OutgoingMessage): OutgoingMessage {
  if (!msg.blocks?.some((b) => (b as { type?: string }).type === 'table')) return msg;
  const blocks = msg.blocks.flatMap((b) => ((b as { type?: string }).type === 'table' ? asCodeSections(b as Record<string, unknown>) : [b]));
  return { ...msg, blocks: blocks.slice(0, SLACK_LIMITS.blocksPerMessage) };
}
