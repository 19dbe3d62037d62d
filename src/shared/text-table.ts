
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

export function textTableLines(table: Pick<TableModel, 'columns' | 'rows'>): string[] {
  const widths = table.columns.map((c, i) =>
    Math.max(width(c.header), 3, ...table.rows.map((r) => width(r[i] ?? ''))),
  );
  const line = (cells: string[]): string =>
    `| ${table.columns.map((c, i) => pad(cells[i] ?? '', widths[i] ?? 0, c.align)).join(' | ')} |`;
  const rule = `|${table.columns
    .map((c, i) => {
      const dashes = '-'.repeat((widths[i] ?? 0) + 2);
      return c.align === 'right' ? `${dashes.slice(1)}:` : dashes;
    })
    .join('|')}|`;
  return [line(table.columns.map((c) => c.header)), rule, ...table.rows.map(line)];
}

export function textTable(table: Pick<TableModel, 'columns' | 'rows'>): string {
  return textTableLines(table).join('\n');
}
