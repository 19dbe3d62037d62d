
export interface TableColumn {
  header: string;
  align: 'left' | 'right';
}

export interface TableModel {
  title: string;
  /** One line under the title (what the rows are grouped by, caveats). */
  note?: string;
  columns: TableColumn[];
  rows: string[][];
  /** Rows to emphasise (bold in Slack), by index into rows. */
  emphasis?: boolean[];
}

// Renders a TableModel as an aligned Markdown pipe table, like the incident report's tables: readable in a
// terminal, in a Slack code block, and still valid Markdown when pasted into a doc.

function width(text: string): number {
  // Code points, not UTF-16 units, so '–' and '…' count as one column.
  return [...text].length;
}

function pad(text: string, w: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, w - width(text)));
  return align === 'right' ? fill + text : text + fill;
}

/** The narrowest a wrapped text column gets: a date-time or a word still reads whole. */
const MIN_WRAPPED = 10;

/** Words of `text` in lines of at most `w` code points; a longer word (an ID) is cut at `w`. */
function wrapCell(text: string, w: number): string[] {
  if (width(text) <= w) return [text];
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/ +/)) {
    let rest = word;
    while (width(rest) > w) {
      if (line) out.push(line);
      line = '';
      const cps = [...rest];
      out.push(cps.slice(0, w).join(''));
      rest = cps.slice(w).join('');
    }
    if (!rest) continue;
    if (!line) line = rest;
    else if (width(line) + 1 + width(rest) <= w) line += ` ${rest}`;
    else {
      out.push(line);
      line = rest;
    }
  }
  if (line) out.push(line);
  return out.length > 0 ? out : [''];
}

/**
 * The table as aligned lines. With `maxWidth`, lines are kept to that many code points where the text allows it:
 * the widest left-aligned (text) columns are narrowed and their cells wrap onto continuation lines (the other
 * cells blank there); right-aligned columns (numbers) are never wrapped, so a number always reads in one piece.
 */
export function textTableLines(table: Pick<TableModel, 'columns' | 'rows'>, opts: { maxWidth?: number } = {}): string[] {
  const widths = table.columns.map((c, i) =>
    Math.max(width(c.header), 3, ...table.rows.map((r) => width(r[i] ?? ''))),
  );
  if (opts.maxWidth) {
    // A header never wraps: a wrapped column is at least as wide as its header.
    const floor = (i: number): number => Math.max(MIN_WRAPPED, width(table.columns[i]?.header ?? ''));
    const total = (): number => widths.reduce((a, b) => a + b, 0) + 3 * widths.length + 1;
    while (total() > opts.maxWidth) {
      let widest = -1;
      table.columns.forEach((c, i) => {
        if (c.align === 'left' && (widths[i] ?? 0) > floor(i) && (widest < 0 || (widths[i] ?? 0) > (widths[widest] ?? 0))) widest = i;
      });
      if (widest < 0) break;
      widths[widest] = Math.max(floor(widest), (widths[widest] ?? 0) - (total() - opts.maxWidth));
    }
  }
  const lines = (cells: string[]): string[] => {
    const wrapped = table.columns.map((c, i) => (c.align === 'left' ? wrapCell(cells[i] ?? '', widths[i] ?? 0) : [cells[i] ?? '']));
    const height = Math.max(...wrapped.map((w) => w.length));
    return Array.from({ length: height }, (_, k) => `| ${table.columns.map((c, i) => pad(wrapped[i]?.[k] ?? '', widths[i] ?? 0, c.align)).join(' | ')} |`);
  };
  const rule = `|${table.columns
    .map((c, i) => {
      const dashes = '-'.repeat((widths[i] ?? 0) + 2);
      return c.align === 'right' ? `${dashes.slice(1)}:` : dashes;
    })
    .join('|')}|`;
  const header = `| ${table.columns.map((c, i) => pad(c.header, widths[i] ?? 0, c.align)).join(' | ')} |`;
  return [header, rule, ...table.rows.flatMap(lines)];
}

export function textTable(table: Pick<TableModel, 'columns' | 'rows'>): string {
  return textTableLines(table).join('\n');
}
