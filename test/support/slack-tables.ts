// Reads the tables out of posted Slack messages, as a person would read them: Block Kit `table` blocks (cells of
// raw_text or rich_text) and the monospace fallback (pipe tables inside ``` code blocks in sections), each as
// string[][] with the header row first. Tests compare these cells with ground truth, cell by cell, instead of
// searching the message JSON for a number that could appear anywhere.

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ParsedTable {
  /** The bold title of the section just before the table (e.g. 'Monthly'), or '' when there is none. */
  title: string;
  /** Header row first. */
  rows: string[][];
}

/** All the text inside a rich_text cell (its sections' text, link and emoji elements), concatenated. */
function richText(value: unknown): string {
  if (Array.isArray(value)) return value.map(richText).join('');
  if (!isObj(value)) return '';
  if (typeof value.text === 'string' && (value.type === 'text' || value.type === 'link')) return value.text;
  if (value.type === 'emoji' && typeof value.name === 'string') return `:${value.name}:`;
  return richText(value.elements);
}

export function cellText(cell: unknown): string {
  if (!isObj(cell)) throw new Error(`not a table cell: ${JSON.stringify(cell)}`);
  if (cell.type === 'raw_text' && typeof cell.text === 'string') return cell.text;
  if (cell.type === 'rich_text') return richText(cell.elements);
  throw new Error(`unknown table cell type: ${JSON.stringify(cell)}`);
}

/** A `table` block's rows as text. */
export function tableBlockRows(block: unknown): string[][] {
  if (!isObj(block) || block.type !== 'table' || !Array.isArray(block.rows)) throw new Error('not a table block');
  return block.rows.map((row) => {
    if (!Array.isArray(row)) throw new Error('a table row is not an array');
    return row.map(cellText);
  });
}

/** The pipe-table rows inside a ``` code block: '| a | b |' lines split into trimmed cells; rule lines dropped. */
export function codeBlockRows(mrkdwn: string): string[][] | null {
  const fenced = /```\n?([\s\S]*?)\n?```/.exec(mrkdwn);
  if (!fenced?.[1]) return null;
  const lines = fenced[1].split('\n').filter((l) => l.trim().startsWith('|'));
  if (lines.length === 0) return null;
  return lines
    .filter((l) => !/^\|[\s:|-]+\|$/.test(l.trim()))
    .map((l) =>
      l
        .trim()
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    );
}

function sectionText(block: unknown): string | null {
  return isObj(block) && block.type === 'section' && isObj(block.text) && typeof block.text.text === 'string' ? block.text.text : null;
}

function titleOf(mrkdwn: string): string | null {
  return /^\*([^*\n]+)\*/.exec(mrkdwn)?.[1] ?? null;
}

/** Every table in the messages, in order. A table split over several messages (repeating its title and header)
 *  comes back as one, its body rows concatenated. */
export function messageTables(messages: ReadonlyArray<{ blocks?: unknown[] }>): ParsedTable[] {
  const out: ParsedTable[] = [];
  const add = (title: string, rows: string[][]): void => {
    const last = out[out.length - 1];
    if (last && last.title === title && title !== '' && JSON.stringify(last.rows[0]) === JSON.stringify(rows[0])) {
      last.rows.push(...rows.slice(1));
    } else {
      out.push({ title, rows });
    }
  };
  for (const m of messages) {
    let title = '';
    for (const b of m.blocks ?? []) {
      if (isObj(b) && b.type === 'table') {
        add(title, tableBlockRows(b));
        continue;
      }
      const text = sectionText(b);
      if (text === null) continue;
      const code = codeBlockRows(text);
      if (code) add(title, code);
      else title = titleOf(text) ?? title;
    }
  }
  return out;
}

/** The one table titled `title`; throws, listing what there is, when there is not exactly one. */
export function tableTitled(tables: ParsedTable[], title: string): ParsedTable {
  const found = tables.filter((t) => t.title === title);
  if (found.length !== 1) throw new Error(`expected one table titled ${title}, found ${found.length} among: ${tables.map((t) => t.title).join(', ')}`);
  return found[0]!;
}

/** '3,637' -> 3637; throws on anything that is not a whole number, so a misplaced cell is never read as one. */
export function intCell(text: string | undefined): number {
  if (text === undefined || !/^-?\d{1,3}(,\d{3})*$/.test(text)) throw new Error(`not an integer cell: ${JSON.stringify(text)}`);
  return Number(text.replaceAll(',', ''));
}

/** '32.0%' -> 32; '<0.1%' -> 0.05 and '>99.9%' -> 99.95 (the middle of what they admit); '–' -> null. */
export function pctCell(text: string | undefined): number | null {
  if (text === '–') return null;
  const m = /^([<>]?)(\d+(?:\.\d+)?)%$/.exec(text ?? '');
  if (!m) throw new Error(`not a percentage cell: ${JSON.stringify(text)}`);
  const v = Number(m[2]);
  return m[1] === '<' ? v / 2 : m[1] === '>' ? (v + 100) / 2 : v;
}

/** The pipe tables of a plain-text report (the terminal renderer's output): each block of consecutive '| … |'
 *  lines, rule lines dropped, titled by the nearest 'Title' line underlined with dashes above it ('' if none). */
export function textTables(text: string): ParsedTable[] {
  const lines = text.split('\n');
  const out: ParsedTable[] = [];
  let title = '';
  let inTable = false;
  lines.forEach((line, i) => {
    if (/^-{3,}$/.test(line) && i > 0) title = lines[i - 1] ?? '';
    if (!line.startsWith('|')) {
      inTable = false;
      return;
    }
    if (!inTable) out.push({ title, rows: [] });
    inTable = true;
    out[out.length - 1]!.rows.push(...(codeBlockRows(`\`\`\`\n${line}\n\`\`\``) ?? []));
  });
  return out;
}

/** Throws unless [total, missing, % missing] cells show exactly `total` and `missing`, and the percentage is
 *  missing / total within its rounding (one decimal; '–' when total is 0). */
export function assertCountCells(cells: ReadonlyArray<string | undefined>, total: number, missing: number, where = ''): void {
  const shown = { total: intCell(cells[0]), missing: intCell(cells[1]), pct: pctCell(cells[2]) };
  const fail = (why: string) => {
    throw new Error(`${where}: ${why}; cells ${JSON.stringify(cells)}, expected total ${total}, missing ${missing}`);
  };
  if (shown.total !== total || shown.missing !== missing) fail('wrong counts');
  if (total === 0 ? shown.pct !== null : shown.pct === null || Math.abs(shown.pct - (100 * missing) / total) > 0.05 + 1e-9) fail('wrong percentage');
}
