import type { OutgoingMessage } from './slack-message.js';
import { contextLine, mrkdwnSection } from './mrkdwn.js';
import { fencedTableOf } from './table-fallback.js';
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

/** The message without its tables (table blocks and fenced pipe tables), and the files they become. */
export function tablesAsImages(msg: OutgoingMessage): { message: OutgoingMessage; files: TableFile[] } {
  const blocks = msg.blocks ?? [];
  const tables: { title: string; table: ImageTable }[] = [];
  const kept: Block[] = [];
  // A table's heading (its title and note, the section right before it) becomes a line of the list that says
  // what the images are; the title also names the image.
  const headings = new Set<number>();
  blocks.forEach((b, i) => {
    if ((isTable(b) || fencedTableOf(b)) && i > 0 && !isTable(blocks[i - 1]!) && !fencedTableOf(blocks[i - 1]!) && (blocks[i - 1] as { type?: string }).type === 'section') headings.add(i - 1);
  });
  let previousFenced: ImageTable | null = null;
  blocks.forEach((b, i) => {
    const fenced = fencedTableOf(b);
    if (fenced) {
      const sameHeader = previousFenced && previousFenced.columns.map((c) => c.header).join('|') === fenced.columns.map((c) => c.header).join('|');
      // A long table drawn as code is cut into sections that each repeat the header: one table again.
      if (previousFenced && sameHeader) previousFenced.rows.push(...fenced.rows);
      else {
        previousFenced = { columns: fenced.columns, rows: [...fenced.rows] };
        tables.push({ title: headingBefore(blocks, i), table: previousFenced });
      }
      return;
    }
    previousFenced = null;
    if (isTable(b)) tables.push({ title: headingBefore(blocks, i), table: tableOfBlock(b as Record<string, unknown>) });
    else if (!headings.has(i)) kept.push(b);
  });
  if (tables.length === 0) return { message: msg, files: [] };
  const legend = [...headings].map((i) => {
    const [title = '', ...note] = ((blocks[i] as { text?: { text?: string } }).text?.text ?? '').split('\n');
    return `• ${title}${note.length > 0 ? `: ${note.join(' ')}` : ''}`;
  });
  const files: TableFile[] = [];
  const used = new Map<string, number>();
  for (const { title: base, table } of tables) {
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    const title = n > 1 ? `${base} (${n})` : base;
    const name = `${slug(base)}${n > 1 ? `-${n}` : ''}`;
    files.push({ filename: `${name}.png`, title, content: tablePng(table).png });
    files.push({ filename: `${name}.csv`, title: `${title} (CSV)`, content: Buffer.from(tableCsv(table)) });
  }
  const where = contextLine(`${tables.length === 1 ? 'The table is' : `The ${tables.length} tables are`} in the images below (click one to see it whole), each with its CSV.`);
  return { message: { ...msg, blocks: [...kept, ...(legend.length > 0 ? [mrkdwnSection(legend.join('\n'))] : []), where] }, files };
}
