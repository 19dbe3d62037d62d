import { describe, expect, it } from 'vitest';
import type { TableModel } from '../../src/shared/text-table.js';
import { tableMessages } from '../../src/slack/table-blocks.js';
import { intCell, messageTables, pctCell } from '../support/slack-tables.js';

// The test-side reader of posted tables (test/support/slack-tables.ts): native table blocks and the monospace
// fallback both read back as the cells that went in, header first, a table split over messages joined again.

const model: TableModel = {
  title: 'Daily',
  note: 'By created date.',
  columns: [
    { header: 'Date', align: 'left' },
    { header: 'Submitted', align: 'right' },
    { header: 'Missing', align: 'right' },
    { header: '% Missing', align: 'right' },
  ],
  rows: Array.from({ length: 150 }, (_, i) => [`2026-01-${String((i % 31) + 1).padStart(2, '0')}#${i}`, `${i},000`, String(i), `${(i / 10).toFixed(1)}%`]),
  emphasis: Array.from({ length: 150 }, (_, i) => i % 2 === 0),
};
const header = ['Date', 'Submitted', 'Missing', '% Missing'];

describe('messageTables', () => {
  it('reads native table blocks (raw_text and bold rich_text cells), joining the parts of a split table', () => {
    const messages = tableMessages(model, { tableBlocks: true });
    expect(messages.length).toBeGreaterThan(1);
    expect(messageTables(messages)).toEqual([{ title: 'Daily', rows: [header, ...model.rows] }]);
  });

  it('reads the monospace fallback the same', () => {
    const messages = tableMessages(model, { tableBlocks: false });
    expect(messages.some((m) => JSON.stringify(m.blocks).includes('```'))).toBe(true);
    expect(messageTables(messages)).toEqual([{ title: 'Daily', rows: [header, ...model.rows] }]);
  });
});

describe('number cells', () => {
  it('reads whole numbers and percentages, refusing anything else', () => {
    expect(intCell('3,637')).toBe(3637);
    expect(intCell('0')).toBe(0);
    expect(() => intCell('3,637 (32.0%)')).toThrow(/not an integer cell/);
    expect(() => intCell('36,37')).toThrow(/not an integer cell/);
    expect(pctCell('32.0%')).toBe(32);
    expect(pctCell('<0.1%')).toBe(0.05);
    expect(pctCell('–')).toBeNull();
    expect(() => pctCell('32')).toThrow(/not a percentage cell/);
  });
});
