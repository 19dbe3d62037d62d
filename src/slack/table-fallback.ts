import { textTableLines } from '../shared/text-table.js';
import type { OutgoingMessage } from './slack-message.js';
import { SLACK_LIMITS } from './limits.js';
import { mrkdwnSection } from './mrkdwn.js';

const FENCE_BUDGET = SLACK_LIMITS.sectionText - 8;

// Slack's `table` block as monospace code sections, for a client that cannot draw it (slack.tableBlocks: false):
// local-slack's web UI, for one, shows a table block as "[table]" and hides every number in it.

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

function asCodeSections(block: Record<string, unknown>): Block[] {
  const rows = (Array.isArray(block.rows) ? block.rows : []) as TableCell[][];
  const settings = (Array.isArray(block.column_settings) ? block.column_settings : []) as Array<{ align?: string } | null>;
  const [head = [], ...body] = rows.map((r) => r.map(cellText));
  const columns = head.map((header, i) => ({ header, align: settings[i]?.align === 'right' ? ('right' as const) : ('left' as const) }));
  const [header = '', rule = '', ...lines] = textTableLines({ columns, rows: body });
  // Each section repeats the header so every piece reads on its own.
  const sections: string[][] = [[]];
  let size = header.length + rule.length + 2;
  for (const line of lines) {
    const current = sections[sections.length - 1] ?? [];
    if (current.length > 0 && size + line.length + 1 > FENCE_BUDGET) {
      sections.push([line]);
      size = header.length + rule.length + 2 + line.length + 1;
    } else {
      current.push(line);
      size += line.length + 1;
    }
  }
  return sections.map((s) => mrkdwnSection(`\`\`\`\n${[header, rule, ...s].join('\n')}\n\`\`\``));
}

/** The message with each `table` block replaced by code sections (other blocks untouched, within 50 blocks). */
export function withoutTableBlocks(msg: OutgoingMessage): OutgoingMessage {
  if (!msg.blocks?.some((b) => (b as { type?: string }).type === 'table')) return msg;
  const blocks = msg.blocks.flatMap((b) => ((b as { type?: string }).type === 'table' ? asCodeSections(b as Record<string, unknown>) : [b]));
  return { ...msg, blocks: blocks.slice(0, SLACK_LIMITS.blocksPerMessage) };
}
