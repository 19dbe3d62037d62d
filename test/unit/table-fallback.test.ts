import { describe, expect, it } from 'vitest';
import { tableBlock } from '../../src/slack/table-blocks.js';
import { withoutTableBlocks } from '../../src/slack/table-fallback.js';

describe('slack.tableBlocks: false (table blocks as monospace code)', () => {
  const model = { columns: [{ header: 'Day', align: 'left' as const }, { header: 'Missing', align: 'right' as const }] };

  it('replaces the table block with a code section that shows every cell, header first', () => {
    const msg = { text: 'Daily', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*Daily*' } }, tableBlock(model, [['2026-01-23', '1,165'], ['2026-01-24', '0']], [true, false])] };
    const out = withoutTableBlocks(msg);
    expect(out.blocks?.map((b) => (b as { type: string }).type)).toEqual(['section', 'section']);
    const code = (out.blocks?.[1] as { text: { text: string } }).text.text;
    expect(code.split('\n')).toEqual(['```', '| Day        | Missing |', '|------------|--------:|', '| 2026-01-23 |   1,165 |', '| 2026-01-24 |       0 |', '```']);
  });

  it('splits a long table into sections of at most 3,000 characters, each with the header', () => {
    const rows = Array.from({ length: 99 }, (_, i) => [`row ${String(i).padStart(2, '0')} ${'x'.repeat(40)}`, String(i)]);
    const out = withoutTableBlocks({ text: 't', blocks: [tableBlock(model, rows)] });
    const texts = (out.blocks ?? []).map((b) => (b as { text: { text: string } }).text.text);
    expect(texts.length).toBeGreaterThan(1);
    for (const t of texts) {
      expect(t.length).toBeLessThanOrEqual(3000);
      expect(t.split('\n')[1]).toContain('| Day');
    }
    expect(texts.join('\n')).toContain('row 98');
  });

  it('leaves a message without tables as it is', () => {
    const msg = { text: 'hi', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hi' } }] };
    expect(withoutTableBlocks(msg)).toBe(msg);
  });
});
