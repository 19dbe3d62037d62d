import { describe, expect, it } from 'vitest';
import { textTableLines } from '../../src/shared/text-table.js';
import { parseFencedTable, tablesAsLists, withoutCodeFences } from '../../src/slack/table-fallback.js';
import { tableSvg } from '../../src/slack/table-image.js';
import { tableCsv, tablesAsImages } from '../../src/slack/table-images.js';
import { tableBlock } from '../../src/slack/table-blocks.js';

const columns = [
  { header: 'Date', align: 'left' as const },
  { header: 'Submitted', align: 'right' as const },
  { header: 'Missing', align: 'right' as const },
];
const rows = [
  ['2026-01-23', '3,637', '1,165'],
  ['2026-01-24, a Saturday', '12', '0'],
];
const fence = (lines: string[]): string => ['```', ...lines, '```'].join('\n');
const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

describe('tables for a client that draws neither table blocks nor fences (slack.tableImages)', () => {
  it('reads a fenced pipe table back exactly as textTableLines drew it', () => {
    expect(parseFencedTable(fence(textTableLines({ columns, rows })))).toEqual({ columns, rows });
    expect(parseFencedTable('```\nnot a table\n```')).toBeNull();
    expect(parseFencedTable(fence(['| a | b |', '|---|---|', '| 1 | 2 | 3 |']))).toBeNull();
  });

  it('turns every table of a thread post (a table block and fenced ones, cut into sections) into a PNG and a CSV each', () => {
    const [head = '', rule = '', ...body] = textTableLines({ columns, rows: [...rows, ['2026-01-25', '7', '1']] });
    const msg = {
      text: 'rentokil: tables',
      blocks: [
        section('*Monthly*\nby create date'),
        tableBlock({ columns }, rows, [true, false]),
        section('*Hourly (UTC)*'),
        // A long code table is cut into sections that each repeat the header: still one table.
        section(fence([head, rule, ...body.slice(0, 2)])),
        section(fence([head, rule, ...body.slice(2)])),
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'kept' }] },
      ],
    };
    const { message, files } = tablesAsImages(msg);
    expect(files.map((f) => [f.filename, f.title])).toEqual([
      ['monthly.png', 'Monthly'],
      ['monthly.csv', 'Monthly (CSV)'],
      ['hourly-utc.png', 'Hourly (UTC)'],
      ['hourly-utc.csv', 'Hourly (UTC) (CSV)'],
    ]);
    // PNG signature, and the CSV holds every cell (quoted where it has a comma).
    expect(files[0]!.content.subarray(1, 4).toString()).toBe('PNG');
    expect(files[1]!.content.toString()).toBe('Date,Submitted,Missing\n2026-01-23,"3,637","1,165"\n"2026-01-24, a Saturday",12,0\n');
    expect(files[3]!.content.toString().trim().split('\n')).toHaveLength(4);
    // The headings become one legend; other blocks stay; the message says where the tables are.
    expect(JSON.stringify(message.blocks)).not.toContain('"table"');
    expect(JSON.stringify(message.blocks)).not.toContain('```');
    const texts = (message.blocks ?? []).map((b) => JSON.stringify(b));
    expect(texts[0]).toContain('kept');
    expect(texts[1]).toContain('• *Monthly*: by create date\\n• *Hourly (UTC)*');
    expect(texts[2]).toContain('The 2 tables are in the images below');
  });

  it('leaves a message without tables alone, and draws every row and cell into the image', () => {
    const plain = { text: 'hi', blocks: [section('hi')] };
    expect(tablesAsImages(plain)).toEqual({ message: plain, files: [] });
    const { svg, height } = tableSvg({ columns, rows });
    for (const cell of [...columns.map((c) => c.header), ...rows.flat()]) expect(svg).toContain(`>${cell}</text>`);
    const taller = tableSvg({ columns, rows: [...rows, ...rows] });
    expect(taller.height).toBeGreaterThan(height);
  });

  it('for replies without files, fenced tables become aligned inline code lines too', () => {
    const out = withoutCodeFences({ text: 't', blocks: [section(fence(textTableLines({ columns, rows })))] });
    const lines = ((out.blocks?.[0] as { text: { text: string } }).text.text).split('\n');
    expect(lines.every((l) => /^`[^` ]+`$/.test(l))).toBe(true);
    expect(lines[2]!.replaceAll('\u00a0', ' ').replaceAll('\u2060', '')).toBe('`| 2026-01-23             |     3,637 |   1,165 |`');
  });
});

describe('tables as lists, for an edit that cannot carry files in a pane too narrow for any table', () => {
  it('turns table blocks and fenced tables into a bullet per row, each value after its header', () => {
    const cols = [{ header: 'Left alone', align: 'left' as const }, { header: 'Scorecards', align: 'right' as const }, { header: 'Why', align: 'left' as const }];
    const msg = {
      text: 'plan',
      blocks: [
        section('*Backfill plan*'),
        section(fence(textTableLines({ columns: cols, rows: [['calibration scorecard', '49', 'skipped by design'], ['already present', '3', '']] }))),
        tableBlock({ columns }, [rows[0]!]),
      ],
    };
    const out = tablesAsLists(msg);
    const texts = (out.blocks ?? []).map((b) => (b as { text?: { text: string } }).text?.text ?? '');
    expect(texts).toEqual([
      '*Backfill plan*',
      '_Left alone_\n• *calibration scorecard* · Scorecards: 49 · Why: skipped by design\n• *already present* · Scorecards: 3',
      '_Date_\n• *2026-01-23* · Submitted: 3,637 · Missing: 1,165',
    ]);
    expect(tablesAsLists(out)).toBe(out);
  });
});
