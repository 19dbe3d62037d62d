import type { KnownBlock, TableBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import {
  assertWithinSlackLimits,
  BACKFILL_ACTION_ID,
  parseBackfillValue,
  slackLimitViolations,
  tableMessages,
  threadMessages,
  type SlackMessage,
} from '../../src/gap/views/gap-blocks.js';
import { dailyTable } from '../../src/gap/views/tables.js';
import { longReport, noGapReport, rentokilReport, spiritReport } from './fixtures/gap-report-fixture.js';
import { blockKitViolations } from '../support/slack-limits.js';
import { assertCountCells, messageTables, tableTitled } from '../support/slack-tables.js';

const RUN_ID = '6f0c1f8e-3a52-4d67-9a0e-2b7c4f1d9e01';

function tableOf(msg: SlackMessage | undefined): TableBlock | undefined {
  return msg?.blocks.find((b): b is TableBlock => b.type === 'table');
}

function cellText(cell: TableBlock['rows'][number][number] | undefined): string {
  if (!cell) return '';
  if (cell.type === 'raw_text') return cell.text;
  const section = cell.elements[0];
  const el = section && 'elements' in section ? section.elements[0] : undefined;
  return el && 'text' in el ? String(el.text) : '';
}

function rowsOf(table: TableBlock | undefined): string[][] {
  return (table?.rows ?? []).map((r) => r.map(cellText));
}

function findMessage(msgs: SlackMessage[], heading: string): SlackMessage | undefined {
  return msgs.find((m) => {
    const first = m.blocks[0];
    return first?.type === 'section' && first.text?.text.startsWith(`*${heading}*`);
  });
}

function buttons(msgs: SlackMessage[]): Array<{ action_id?: string; value?: string }> {
  return msgs.flatMap((m) => m.blocks.flatMap((b: KnownBlock) => (b.type === 'actions' ? b.elements : []))) as Array<{ action_id?: string; value?: string }>;
}

describe('thread messages', () => {
  it('renders rentokil Jan 2026 (snapshot)', async () => {
    const msgs = threadMessages(rentokilReport(), { runId: RUN_ID });
    await expect(JSON.stringify(msgs, null, 2)).toMatchFileSnapshot('__snapshots__/blocks-thread-rentokil-jan-2026.json');
  });

  it('posts in order: headline and findings, the tables in one message, backfill (at most one table block each)', () => {
    const msgs = threadMessages(rentokilReport(), { runId: RUN_ID });
    const headings = (m: SlackMessage) => m.blocks.flatMap((b) => (b.type === 'header' ? ['headline'] : b.type === 'section' && b.text ? [/^\*([^*]+)\*/.exec(b.text.text)?.[1] ?? ''] : [])).filter((h) => h !== '');
    expect(msgs.map(headings)).toEqual([['headline', 'Findings'], ['Monthly', 'Daily', 'Hourly', 'Timeline'], ['Backfill']]);
    for (const m of msgs) {
      assertWithinSlackLimits(m);
      expect(m.blocks.filter((b) => b.type === 'table').length).toBeLessThanOrEqual(1);
    }
    // Slack draws one table a message: the daily table is that one, the others are code under their headings.
    expect(rowsOf(tableOf(msgs[1]))[0]?.[0]).toBe('Date');
  });

  it('headline shows both populations, exclusions and the ClickHouse tier', () => {
    const [headline] = threadMessages(rentokilReport());
    const text = JSON.stringify(headline);
    expect(text).toContain('1,165 of 3,637 missing (32.0%)');
    expect(text).toContain('27,373 of 2,555,891 missing (1.1%)');
    expect(text).toContain('41 calibration, 12 non-original');
    expect(text).toContain('3 submitted, 0 unsubmitted missing');
    expect(JSON.stringify(threadMessages(spiritReport())[0])).toContain('*ClickHouse*\\nnot configured');
  });

  it("headline fields, every table cell and the backfill message show the fixture's numbers", () => {
    const report = rentokilReport();
    const msgs = threadMessages(report, { runId: RUN_ID });
    const sum = (p: 'submitted' | 'unsubmitted') =>
      report.daily.reduce((a, d) => ({ total: a.total + d[p].total, missing: a.missing + d[p].missing }), { total: 0, missing: 0 });
    const [s, u] = [sum('submitted'), sum('unsubmitted')];
    expect(s).toEqual({ total: 3_637, missing: 1_165 });
    // The headline's fields, each read on its own: "*Submitted*\n1,165 of 3,637 missing (32.0%)".
    const fields = Object.fromEntries(
      (msgs[0]!.blocks.find((b) => b.type === 'section' && 'fields' in b && b.fields) as { fields: { text: string }[] }).fields.map((f) => {
        const [label, value] = f.text.split('\n');
        return [label!.replaceAll('*', ''), value!];
      }),
    );
    const field = (label: string) => /^([\d,]+) of ([\d,]+) missing \(([^)]+)\)$/.exec(fields[label] ?? '')!;
    assertCountCells([field('Submitted')[2], field('Submitted')[1], field('Submitted')[3]], s.total, s.missing, 'headline submitted');
    assertCountCells([field('Unsubmitted')[2], field('Unsubmitted')[1], field('Unsubmitted')[3]], u.total, u.missing, 'headline unsubmitted');
    expect(fields['Excluded by design']).toBe(`${report.excluded.calibration} calibration, ${report.excluded.nonOriginal} non-original`);

    const tables = messageTables(msgs);
    const daily = tableTitled(tables, 'Daily');
    report.daily.forEach((d, i) => {
      assertCountCells(daily.rows[i + 1]!.slice(1, 4), d.submitted.total, d.submitted.missing, `${d.date} submitted`);
      assertCountCells(daily.rows[i + 1]!.slice(4, 7), d.unsubmitted.total, d.unsubmitted.missing, `${d.date} unsubmitted`);
    });
    const monthly = tableTitled(tables, 'Monthly');
    expect(monthly.rows).toHaveLength(report.monthly.length + 1);
    [...report.monthly].sort((a, b) => a.month.localeCompare(b.month)).forEach((m, i) => {
      assertCountCells(monthly.rows[i + 1]!.slice(1, 4), m.submitted.total, m.submitted.missing, `${m.month} submitted`);
      assertCountCells(monthly.rows[i + 1]!.slice(4, 7), m.unsubmitted.total, m.unsubmitted.missing, `${m.month} unsubmitted`);
    });
    assertCountCells(monthly.rows.at(-1)!.slice(1, 4), s.total, s.missing, 'Jan 2026 = its days');
    const hourly = tableTitled(tables, 'Hourly');
    for (const h of report.hourly) {
      const label = `Jan ${Number(h.hour.slice(8, 10))} ${h.hour.slice(11, 16)}`;
      const row = hourly.rows.find((r) => r[0] === label);
      assertCountCells(row?.slice(4, 7) ?? [], h.unsubmitted.total, h.unsubmitted.missing, `${label} unsubmitted`);
    }
    // Backfill: what is missing from historic (both populations) and from ClickHouse.
    const backfill = msgs.at(-1)!;
    const chMissing = (report.populations.submitted.clickhouseMissing ?? 0) + (report.populations.unsubmitted.clickhouseMissing ?? 0);
    expect(backfill.text).toBe(`rentokil Jan 2026: ${(s.missing + u.missing).toLocaleString('en-US')} scorecards missing from historic and ${chMissing} scorecards missing from ClickHouse. Request a backfill?`);
    // Every message within Slack's published limits (not only the project's own table).
    for (const m of msgs) expect(blockKitViolations(m)).toEqual([]);
  });

  it('table cells equal the report numbers', () => {
    const report = rentokilReport();
    const msgs = threadMessages(report);
    const tables = messageTables(msgs);
    const monthly = tableTitled(tables, 'Monthly').rows;
    expect(monthly[0]).toEqual(['Month', 'Submitted', 'Missing', '% Missing', 'Unsubmitted', 'Missing', '% Missing']);
    expect(monthly.at(-1)).toEqual(['Jan 2026', '3,637', '1,165', '32.0%', '2,555,891', '27,373', '1.1%']);
    const daily = rowsOf(tableOf(findMessage(msgs, 'Monthly')));
    expect(daily).toHaveLength(report.daily.length + 1);
    report.daily.forEach((d, i) => {
      const row = daily[i + 1] ?? [];
      expect(row[0]).toBe(d.date);
      expect(Number(row[1]?.replaceAll(',', ''))).toBe(d.submitted.total);
      expect(Number(row[2]?.replaceAll(',', ''))).toBe(d.submitted.missing);
      expect(Number(row[4]?.replaceAll(',', ''))).toBe(d.unsubmitted.total);
      expect(Number(row[5]?.replaceAll(',', ''))).toBe(d.unsubmitted.missing);
    });
    const hourly = tableTitled(tables, 'Hourly').rows;
    expect(hourly.find((r) => r[0] === 'Jan 23 03:00')).toEqual(['Jan 23 03:00', '4', '4', '100.0%', '27,580', '27,344', '99.1%']);
    expect(tableOf(findMessage(msgs, 'Monthly'))?.column_settings?.map((c) => c.align)).toEqual(['left', 'right', 'right', 'right', 'right', 'right', 'right']);
  });

  it('a 400-day daily table, too long for one table block, goes out as code in the tables message, within limits', () => {
    const report = longReport(400);
    const msgs = threadMessages(report);
    const tableMsgs = msgs.filter((m) => m.text.includes('Daily'));
    expect(tableMsgs.length).toBeLessThanOrEqual(2);
    const daily = tableTitled(messageTables(tableMsgs), 'Daily');
    expect(daily.rows.slice(1).map((r) => r[0])).toEqual(report.daily.map((d) => d.date));
    for (const m of msgs) assertWithinSlackLimits(m);
  });

  it('falls back to monospace code blocks of at most 3,000 characters', () => {
    const report = longReport(400);
    const msgs = threadMessages(report, { tableBlocks: false });
    expect(msgs.some((m) => m.blocks.some((b) => b.type === 'table'))).toBe(false);
    for (const m of msgs) assertWithinSlackLimits(m);
    const code = msgs.flatMap((m) => m.blocks).filter((b) => b.type === 'section' && b.text?.text.startsWith('```'));
    const text = code.map((b) => (b.type === 'section' ? (b.text?.text ?? '') : '')).join('\n');
    for (const d of report.daily) expect(text).toContain(`| ${d.date} |`);
    // Read back from the code blocks, every day's numbers are the report's.
    const daily = tableTitled(messageTables(msgs), 'Daily');
    expect(daily.rows.slice(1).map((r) => r[0])).toEqual(report.daily.map((d) => d.date));
    report.daily.forEach((d, i) => {
      assertCountCells(daily.rows[i + 1]!.slice(1, 4), d.submitted.total, d.submitted.missing, `${d.date} submitted`);
      assertCountCells(daily.rows[i + 1]!.slice(4, 7), d.unsubmitted.total, d.unsubmitted.missing, `${d.date} unsubmitted`);
    });
    for (const m of msgs) expect(blockKitViolations(m)).toEqual([]);
    expect(tableMessages(dailyTable(rentokilReport()), { tableBlocks: false })).toHaveLength(1);
  });

  it('offers a backfill button carrying the run ID (not the scope) only when something is missing', () => {
    const report = rentokilReport();
    const [button] = buttons(threadMessages(report, { runId: RUN_ID }));
    expect(button?.action_id).toBe(BACKFILL_ACTION_ID);
    expect(button?.value?.length).toBeLessThan(2000);
    expect(parseBackfillValue(button?.value ?? '')).toEqual({ runId: RUN_ID });
    expect(button?.value).not.toContain('rentokil');
    expect(buttons(threadMessages(noGapReport(), { runId: RUN_ID }))).toEqual([]);
    // Without a run to point at there is nothing a click could resolve: no button.
    expect(buttons(threadMessages(report))).toEqual([]);
    expect(() => parseBackfillValue('{"customer":1}')).toThrow();
    // The scope-carrying value of reports posted before this change is refused, not trusted.
    expect(() => parseBackfillValue(JSON.stringify({ customer: 'rentokil', period: { from: report.period.from, to: report.period.to } }))).toThrow();
  });

  it('a healthy report has no empty tables and says there are no findings', () => {
    const msgs = threadMessages(noGapReport());
    expect(msgs.map((m) => m.text)).toEqual([
      'guitar-center, Jan 2026: no gap: all 579 submitted and 712,045 unsubmitted scorecards are in historic.',
      'guitar-center Jan 2026: Monthly and Daily tables',
    ]);
    expect(JSON.stringify(msgs[0])).toContain('None: nothing stands out in this period.');
  });

  it('escapes mrkdwn in names and splits many findings into sections and messages', () => {
    const report = rentokilReport();
    const many = {
      ...report,
      customer: 'a<b>&c',
      findings: Array.from({ length: 400 }, (_, i) => ({ kind: 'recovery' as const, population: 'submitted' as const, at: `2026-01-${String((i % 28) + 1).padStart(2, '0')}`, rateAfter: 0 })),
    };
    const msgs = threadMessages(many);
    for (const m of msgs) assertWithinSlackLimits(m);
    // 400 findings in sections of at most 3,000 characters, every one of them there.
    const bullets = msgs.flatMap((m) => m.blocks).flatMap((b) => (b.type === 'section' && b.text ? b.text.text.split('\n') : [])).filter((l) => l.includes('recovered to'));
    expect(bullets).toHaveLength(400);
    expect(JSON.stringify(msgs[0])).toContain('a&lt;b&gt;&amp;c');
  });
});

describe('slack limits', () => {
  it('lists every violation', () => {
    const table = (rows: number): KnownBlock => ({ type: 'table', rows: Array.from({ length: rows }, () => [{ type: 'raw_text', text: 'x' }]) });
    expect(slackLimitViolations({ text: '', blocks: [table(101), table(1)] })).toEqual([
      'missing fallback text',
      '2 table blocks (max 1)',
      'block 0 (table): 101 rows (max 100)',
    ]);
    const section = { type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } } as const;
    expect(slackLimitViolations({ text: 'ok', blocks: [section, ...Array.from({ length: 50 }, () => ({ type: 'divider' }))] })).toEqual([
      '51 blocks (max 50)',
      'block 0 (section): text is 3001 chars (max 3000)',
    ]);
    expect(() => assertWithinSlackLimits({ text: 'ok', blocks: [section] })).toThrow(/text is 3001 chars/);
  });
});
