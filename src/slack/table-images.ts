import type { OutgoingMessage } from './slack-message.js';
import { contextLine } from './mrkdwn.js';
import { tablePng, type ImageTable } from './table-image.js';

// slack.tableImages (npm run console): a thread post's `table` blocks leave the message and become files: a PNG per
// table (its thumbnail fits the narrowest pane, a click shows it whole) and its CSV beside it (every number, to copy).
// The message keeps its headings and says where the tables went.

export interface TableFile {
  filename: string;
  title: string;
  content: Buffer;
}

type Block = NonNullable<OutgoingMessage['blocks']>[number];

interface RichCell {
  type?: string;
  text?: string;
  style?: { bold?: boolean };
  elements?: RichCell[];
}

function cellText(cell: RichCell | undefined): string {
  if (!cell) return '';
  if (typeof cell.text === 'string') return cell.text;
  return (cell.elements ?? []).map(cellText).join('');
}

function cellBold(cell: RichCell | undefined): boolean {
  if (!cell) return false;
  if (cell.style?.bold) return true;
  return (cell.elements ?? []).some(cellBold);
}

const isTable = (b: Block): boolean => (b as { type?: string }).type === 'table';

/** The table a `table` block holds (header row first, right-aligned columns from its column_settings). */
export function tableOfBlock(block: Record<string, unknown>): ImageTable {
  const rows = (Array.isArray(block.rows) ? block.rows : []) as RichCell[][];
  const settings = (Array.isArray(block.column_settings) ? block.column_settings : []) as Array<{ align?: string } | null>;
  const [head = [], ...body] = rows;
  return {
    columns: head.map((c, i) => ({ header: cellText(c), align: settings[i]?.align === 'right' ? 'right' : 'left' })),
    rows: body.map((r) => r.map(cellText)),
    bold: body.map((r) => r.some(cellBold)),
  };
}

const csvField = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

export function tableCsv(table: ImageTable): string {
  return [table.columns.map((c) => c.header), ...table.rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}

/** The heading a table block goes by: the text of the nearest section before it, first line, without mrkdwn. */
function headingBefore(blocks: Block[], index: number): string {
  for (let i = index - 1; i >= 0; i--) {
    const b = blocks[i] as { type?: string; text?: { text?: string } };
    if (b.type === 'section' || b.type === 'header') {
      const line = (b.text?.text ?? '').split('\n')[0] ?? '';
      const plain = line.replace(/[*_~`]/g, '').trim();
      if (plain) return plain;
    }
  }
  return 'Table';
}

const slug = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'table';

/** The message without its table blocks, and the files they become (none: the message as it was). */
export function tablesAsImages(msg: OutgoingMessage): { message: OutgoingMessage; files: TableFile[] } {
  const blocks = msg.blocks ?? [];
  if (!blocks.some(isTable)) return { message: msg, files: [] };
  const files: TableFile[] = [];
  const used = new Map<string, number>();
  blocks.forEach((b, i) => {
    if (!isTable(b)) return;
    const title = headingBefore(blocks, i);
    const n = (used.get(title) ?? 0) + 1;
    used.set(title, n);
    const name = `${slug(title)}${n > 1 ? `-${n}` : ''}`;
    const table = tableOfBlock(b as Record<string, unknown>);
    files.push({ filename: `${name}.png`, title: n > 1 ? `${title} (${n})` : title, content: tablePng(table).png });
    files.push({ filename: `${name}.csv`, title: `${n > 1 ? `${title} (${n})` : title} (CSV)`, content: Buffer.from(tableCsv(table)) });
  });
  const kept = blocks.filter((b) => !isTable(b));
  const where = contextLine(`${files.length / 2 === 1 ? 'The table is' : `The ${files.length / 2} tables are`} in the images below (click one to see it whole), each with its CSV.`);
  return { message: { ...msg, blocks: [...kept, where] }, files };
}
