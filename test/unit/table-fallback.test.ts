import { describe, expect, it } from 'vitest';
import { tableBlock } from '../../src/slack/table-blocks.js';
import { FALLBACK_LINE_WIDTH, withoutTableBlocks } from '../../src/slack/table-fallback.js';

const NBSP = '\u00a0';
/** A code line as the reader sees it: the span's text, no-break spaces shown as spaces. */
const plain = (line: string): string => {
  expect(line).toMatch(/^`[^`]*`$/);
  expect(line.slice(1, -1)).not.toContain(' ');
  // Every character a browser could break after is held to the next by a word joiner.
  expect(line.slice(1, -1)).not.toMatch(/[|-](?!\u2060)/);
  return line.slice(1, -1).replaceAll(NBSP, ' ').replaceAll('\u2060', '');
};

describe('slack.tableBlocks: false (table blocks as monospace code lines)', () => {
  const model = { columns: [{ header: 'Day', align: 'left' as const }, { header: 'Missing', align: 'right' as const }] };

  it('replaces the table block with a section of inline code lines, aligned with no-break spaces, header first', () => {
    const msg = { text: 'Daily', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*Daily*' } }, tableBlock(model, [['2026-01-23', '1,165'], ['2026-01-24', '0']], [true, false])] };
    const out = withoutTableBlocks(msg);
    expect(out.blocks?.map((b) => (b as { type: string }).type)).toEqual(['section', 'section']);
    const code = (out.blocks?.[1] as { text: { text: string } }).text.text;
    expect(code.split('\n').map(plain)).toEqual(['| Day        | Missing |', '|------------|--------:|', '| 2026-01-23 |   1,165 |', '| 2026-01-24 |       0 |']);
  });

  it('splits a long table into sections of at most 3,000 characters, each with the header', () => {
    const rows = Array.from({ length: 99 }, (_, i) => [`row ${String(i).padStart(2, '0')} ${'x'.repeat(40)}`, String(i)]);
    const out = withoutTableBlocks({ text: 't', blocks: [tableBlock(model, rows)] });
    const texts = (out.blocks ?? []).map((b) => (b as { text: { text: string } }).text.text);
    expect(texts.length).toBeGreaterThan(1);
    for (const t of texts) {
      expect(t.length).toBeLessThanOrEqual(3000);
      expect(plain(t.split('\n')[0]!)).toContain('| Day');
    }
    expect(texts.join('\n').replaceAll(NBSP, ' ').replaceAll('\u2060', '')).toContain('row 98');
  });

  it('wraps a wide text column onto continuation lines to fit 90 columns; numbers never wrap', () => {
    const wide = { columns: [{ header: 'When (UTC)', align: 'left' as const }, { header: 'Event', align: 'left' as const }, { header: 'Missing', align: 'right' as const }] };
    const event = 'First missing scorecard created (019b7508-5ee8-71d5-821c-1fbe7b777c51, submitted Jan 23), then the 14:00 batch failed';
    const out = withoutTableBlocks({ text: 't', blocks: [tableBlock(wide, [['2025-12-31 15:30', event, '1,234,567']])] });
    const lines = (out.blocks?.[0] as { text: { text: string } }).text.text.split('\n').map(plain);
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(FALLBACK_LINE_WIDTH);
    expect(lines.length).toBeGreaterThan(3);
    // Every word of the event is there, in order, across its lines; the number whole on the first.
    const eventCells = lines.slice(2).map((l) => l.split('|')[2]!.trim()).join(' ');
    expect(eventCells).toBe(event);
    expect(lines[2]).toContain('| 1,234,567 |');
    expect(lines.slice(3).every((l) => l.startsWith('|                  |'))).toBe(true);
  });

  it('leaves a message without tables as it is', () => {
    const msg = { text: 'hi', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hi' } }] };
    expect(withoutTableBlocks(msg)).toBe(msg);
  });
});
