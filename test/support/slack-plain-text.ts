import { textTable } from '../../src/shared/text-table.js';
import { tableBlockRows } from './slack-tables.js';

// A posted message as a person reads it, in plain text: headers, sections and their fields, context lines, tables
// as aligned pipe tables, buttons as [Label]. For snapshots that show every wording change in review.

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const textOf = (v: unknown): string => (isObj(v) && typeof v.text === 'string' ? v.text : '');

function blockText(b: unknown): string {
  if (!isObj(b)) return '';
  switch (b.type) {
    case 'header':
      return `# ${textOf(b.text)}`;
    case 'section': {
      const fields = Array.isArray(b.fields) ? b.fields.map(textOf).map((f) => f.replace('\n', ': ')) : [];
      return [textOf(b.text), ...fields].filter((t) => t !== '').join('\n');
    }
    case 'context':
      return (Array.isArray(b.elements) ? b.elements.map(textOf) : []).map((t) => `> ${t.replaceAll('\n', '\n> ')}`).join('\n');
    case 'table': {
      const [header = [], ...rows] = tableBlockRows(b);
      const settings = (Array.isArray(b.column_settings) ? b.column_settings : []) as Array<{ align?: string } | null>;
      const columns = header.map((h, i) => ({ header: h, align: settings[i]?.align === 'right' ? ('right' as const) : ('left' as const) }));
      return `[table]\n${textTable({ columns, rows })}`;
    }
    case 'actions':
      return (Array.isArray(b.elements) ? b.elements : []).map((e) => `[${textOf(isObj(e) ? e.text : null)}]`).join(' ');
    default:
      return `[${String(b.type)}]`;
  }
}

/** One message: its blocks' text, or its fallback text when it has no blocks. */
export function messagePlainText(m: { text: string; blocks?: unknown[] }): string {
  const blocks = m.blocks ?? [];
  return blocks.length === 0 ? m.text : blocks.map(blockText).join('\n');
}

/** A thread: each reply numbered, separated by a rule. */
export function threadPlainText(title: string, messages: Array<{ text: string; blocks?: unknown[] } | string>): string {
  const parts = messages.map((m, i) => `--- reply ${i + 1} ---\n${typeof m === 'string' ? m : messagePlainText(m)}`);
  return `=== ${title} (${messages.length} replies) ===\n${parts.join('\n')}\n`;
}
