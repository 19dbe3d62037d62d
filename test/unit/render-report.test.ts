import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/gap/core/report.js';
import { findingSentence, verdictSentence } from '../../src/gap/views/finding-sentences.js';
import { dailyTable, hourlyTable, hoursThatMatter, impactTable, monthlyTable, timelineTable } from '../../src/gap/views/tables.js';
import { renderImpactTable, renderTerminalReport } from '../../src/gap/views/terminal-report.js';
import { impactReports, longReport, noGapReport, rentokilReport, spiritReport } from './fixtures/gap-report-fixture.js';
import { assertCountCells, tableTitled, textTables } from '../support/slack-tables.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** '2025-08' -> 'Aug 2025' */
const monthLabel = (month: string): string => `${MONTHS[Number(month.slice(5)) - 1]} ${month.slice(0, 4)}`;

describe('fixtures', () => {
  it('rentokil Jan 2026 adds up to the incident report numbers', () => {
    const r = rentokilReport();
    expect(r.populations.submitted).toMatchObject({ total: 3637, missing: 1165 });
    expect(r.populations.unsubmitted).toMatchObject({ total: 2555891, missing: 27373 });
    expect(r.daily.find((d) => d.date === '2026-01-21')?.submitted).toMatchObject({ total: 159, missing: 141 });
  });
});

describe('finding sentences', () => {
  const f = (finding: Finding): string => findingSentence(finding);

  it('says each kind of finding in plain English with its numbers', () => {
    expect(f({ kind: 'change_point', population: 'submitted', at: '2026-01-21', before: 0.253, after: 0.941, daysBefore: 20, daysAfter: 8 })).toBe(
      'Missing rate for submitted scorecards jumped from 25.3% to 94.1% on 2026-01-21.',
    );
    expect(f({ kind: 'change_point', population: 'unsubmitted', at: '2026-01-17', before: 0.5, after: 0.001, daysBefore: 7, daysAfter: 14 })).toBe(
      'Missing rate for unsubmitted scorecards dropped from 50.0% to 0.1% on 2026-01-17.',
    );
    const batch = rentokilReport().findings.find((x) => x.kind === 'batch_failure');
    expect(batch && f(batch)).toBe(
      "Batch job at 2026-01-23 03:00 UTC failed: 27,344 of 27,580 unsubmitted scorecards missing (99.1%), in an hour that usually has ~3,400; templates: Sonya's Test - Process Template CSAT (22,977), RTX Customer Care Scorecard 2026 (4,369).",
    );
    expect(
      f({ kind: 'recurring_failure', population: 'unsubmitted', hourOfDay: 14, from: '2026-01-10', to: '2026-01-16', fixedOn: '2026-01-17', missingRate: 0.52, days: 7, total: 400000, missing: 208000 }),
    ).toBe('The 14:00 UTC batch failed daily from Jan 10 to Jan 16 (52.0% missing: 208,000 of 400,000 unsubmitted scorecards), fixed on Jan 17.');
    expect(
      f({ kind: 'recurring_failure', population: 'unsubmitted', hourOfDay: 14, from: '2026-01-10', to: '2026-01-16', fixedOn: null, missingRate: 0.518, days: 6, total: 346426, missing: 179312 }),
    ).toBe('The 14:00 UTC batch failed on 6 days from Jan 10 to Jan 16 (51.8% missing: 179,312 of 346,426 unsubmitted scorecards), still failing at the end of the period.');
    expect(f({ kind: 'submit_date_correlation', population: 'submitted', createdBefore: '2026-01-01', count: 7, submittedFrom: '2026-01-14', submittedTo: '2026-01-28' })).toBe(
      '7 missing scorecards were created before Jan 1 but submitted Jan 14–28: missing follows the submit date, not the create date.',
    );
    expect(f({ kind: 'recovery', population: 'submitted', at: '2026-01-30', rateAfter: 0 })).toBe('Missing rate for submitted scorecards recovered to 0.0% from 2026-01-30.');
    expect(
      f({ kind: 'onset', population: 'submitted', firstMissingAt: '2025-12-31T15:30:00Z', scorecardId: 'abc', firstDayOver1Pct: null, rateThatDay: null }),
    ).toBe("The first missing submitted scorecard was created 2025-12-31 15:30 UTC (abc); no day's missing rate passed 1%: isolated one-offs only.");
    expect(f({ kind: 'clickhouse_gap', population: 'submitted', count: 3, days: [{ date: '2026-01-27', count: 2 }, { date: '2026-01-28', count: 1 }] })).toBe(
      '3 submitted scorecards are in historic but missing from ClickHouse on 2 days (most on 2026-01-27: 2).',
    );
  });

  it('lists at most five templates', () => {
    const templates = Array.from({ length: 8 }, (_, i) => ({ templateId: `t${i}`, title: i === 0 ? null : `T${i}`, count: 100 - i }));
    const s = f({ kind: 'batch_failure', population: 'unsubmitted', at: '2026-01-23T03:00:00Z', total: 1000, missing: 800, typicalHourTotal: 50, templates });
    expect(s).toContain('templates: t0 (100), T1 (99), T2 (98), T3 (97), T4 (96), and 3 others.');
  });

  it('states the verdict', () => {
    expect(verdictSentence(rentokilReport())).toBe(
      'rentokil, Jan 2026: 1,165 of 3,637 submitted (32.0%) and 27,373 of 2,555,891 unsubmitted (1.1%) scorecards are missing from historic; 3 more are in historic but missing from ClickHouse.',
    );
    expect(verdictSentence(noGapReport())).toBe('guitar-center, Jan 2026: no gap: all 579 submitted and 712,045 unsubmitted scorecards are in historic.');
    const chOnly = { ...noGapReport(), verdict: 'clickhouse_gap_only' as const };
    chOnly.populations = { submitted: { ...chOnly.populations.submitted, clickhouseMissing: 12 }, unsubmitted: { ...chOnly.populations.unsubmitted, clickhouseMissing: 0 } };
    chOnly.clickhouse = { configured: true, available: true, error: null, days: [] };
    expect(verdictSentence(chOnly)).toBe('guitar-center, Jan 2026: historic is complete, but 12 submitted scorecards are missing from ClickHouse.');
  });
});

describe('tables', () => {
  it('monthly cells are the report numbers', () => {
    const t = monthlyTable(rentokilReport());
    expect(t.columns.map((c) => c.header)).toEqual(['Month', 'Submitted', 'Missing', '% Missing', 'Unsubmitted', 'Missing', '% Missing']);
    expect(t.rows.at(-1)).toEqual(['Jan 2026', '3,637', '1,165', '32.0%', '2,555,891', '27,373', '1.1%']);
    expect(t.rows.find((r) => r[0] === 'Dec 2025')).toEqual(['Dec 2025', '3,984', '7', '0.2%', '2,301,877', '0', '0.0%']);
  });

  it('daily rows follow the dates; hourly keeps the batch hour with its neighbours', () => {
    const r = rentokilReport();
    expect(dailyTable(r).rows.find((row) => row[0] === '2026-01-23')).toEqual(['2026-01-23', '95', '92', '96.8%', '123,499', '27,344', '22.1%']);
    expect(hourlyTable(r).rows.map((row) => row[0])).toContain('Jan 23 03:00');
    const many = { ...r, hourly: Array.from({ length: 48 }, (_, h) => ({ hour: new Date(Date.UTC(2026, 0, 22, h)).toISOString(), submitted: { total: 1, missing: 0, partial: 0 }, unsubmitted: { total: 100, missing: h === 27 ? 90 : 0, partial: 0 } })) };
    expect(hoursThatMatter(many).map((h) => h.hour)).toEqual(['2026-01-23T02:00:00.000Z', '2026-01-23T03:00:00.000Z', '2026-01-23T04:00:00.000Z']);
  });

  it('the timeline puts the first missing scorecard first', () => {
    const rows = timelineTable(rentokilReport()).rows;
    expect(rows[0]).toEqual(['2025-12-31 15:30', 'submitted', 'First missing scorecard created (019b7592-1c3e-7d41-9a52-3f0c2be1d7a4, submitted Jan 23)']);
    expect(rows.map((r) => r[0])).toEqual(['2025-12-31 15:30', '2025-12-31', '2026-01-05 11:42', '2026-01-21', '2026-01-23 03:00', '2026-01-30']);
  });

  it('the impact table has a total row, and customers most missing first', () => {
    const t = impactTable(impactReports());
    expect(t.rows.map((r) => r[0])).toEqual(['spirit', 'rentokil', 'guitar-center', 'nclh', 'Total (4 customers)']);
    expect(t.rows[1]).toEqual(['rentokil', 'us-east-1', '3,637', '1,165', '32.0%', '2,555,891', '27,373', '1.1%']);
    expect(t.rows.at(-1)).toEqual(['Total (4 customers)', '', '10,835', '3,372', '31.1%', '6,568,447', '344,937', '5.3%']);
  });

  it('at fleet size: empty customers in one line, the rest within a Slack table, and the total over all', () => {
    const [one] = impactReports();
    const empty = (i: number) => ({ ...one!, customer: `tenant${String(i).padStart(3, '0')}`, verdict: 'no_data' as const, populations: { submitted: { ...one!.populations.submitted, total: 0, missing: 0, partial: 0 }, unsubmitted: { ...one!.populations.unsubmitted, total: 0, missing: 0, partial: 0 } } });
    const busy = (i: number) => ({ ...one!, customer: `busy${String(i).padStart(3, '0')}`, populations: { submitted: { ...one!.populations.submitted, total: 100, missing: i, partial: 0 }, unsubmitted: { ...one!.populations.unsubmitted, total: 10, missing: 0, partial: 0 } } });
    const reports = [...Array.from({ length: 296 }, (_, i) => empty(i + 1)), ...Array.from({ length: 120 }, (_, i) => busy(i + 1))];
    const t = impactTable(reports, { maxRows: 100 });
    expect(t.rows).toHaveLength(97 + 2); // header + 97 customers + "and K more" + total = 100
    expect(t.rows[0]![0]).toBe('busy120'); // most missing first
    expect(t.rows.at(-2)![0]).toBe('and 23 more (in the CSV)');
    expect(t.rows.at(-2)![3]).toBe(String(Array.from({ length: 23 }, (_, i) => i + 1).reduce((a, b) => a + b, 0))); // busy001..busy023
    expect(t.rows.at(-1)![0]).toBe('Total (416 customers)');
    expect(t.note).toContain('296 customers have no scorecards in Jan 2026: tenant001, tenant002');
    expect(t.note).toContain('and 286 more.');
    expect(t.rows.some((r) => String(r[0]).startsWith('tenant'))).toBe(false);
  });
});

describe('terminal report', () => {
  it('renders rentokil Jan 2026', async () => {
    await expect(renderTerminalReport(rentokilReport())).toMatchFileSnapshot('__snapshots__/terminal-rentokil-jan-2026.txt');
  });

  it('renders spirit and a healthy customer', async () => {
    await expect(renderTerminalReport(spiritReport())).toMatchFileSnapshot('__snapshots__/terminal-spirit-jan-2026.txt');
    await expect(renderTerminalReport(noGapReport())).toMatchFileSnapshot('__snapshots__/terminal-no-gap.txt');
  });

  it('renders the impact table like the incident report', async () => {
    const text = renderImpactTable(impactReports());
    expect(text).toContain('| rentokil            | us-east-1 |           3,637 |   1,165 |     32.0% |');
    await expect(text).toMatchFileSnapshot('__snapshots__/terminal-impact.txt');
  });

  it("shows the fixture's numbers, cell by cell: populations, every month and every day", () => {
    const r = rentokilReport();
    const tables = textTables(renderTerminalReport(r));
    // Populations: the sums of the fixture's days, computed here (the incident's 3,637 / 1,165 / 32.0%).
    const sum = (p: 'submitted' | 'unsubmitted') =>
      r.daily.reduce((a, d) => ({ total: a.total + d[p].total, missing: a.missing + d[p].missing }), { total: 0, missing: 0 });
    const populations = tables.find((t) => t.rows[0]?.[0] === 'Population');
    expect(populations?.rows.map((row) => row[0])).toEqual(['Population', 'Submitted', 'Unsubmitted']);
    assertCountCells(populations!.rows[1]!.slice(1, 4), 3_637, 1_165, 'submitted');
    expect(populations!.rows[1]![3]).toBe('32.0%');
    assertCountCells(populations!.rows[1]!.slice(1, 4), sum('submitted').total, sum('submitted').missing, 'submitted');
    assertCountCells(populations!.rows[2]!.slice(1, 4), sum('unsubmitted').total, sum('unsubmitted').missing, 'unsubmitted');
    expect(populations!.rows.map((row) => row[4])).toEqual(['Missing in ClickHouse', '3', '0']);

    const monthly = tableTitled(tables, 'Monthly');
    expect(monthly.rows).toHaveLength(r.monthly.length + 1);
    for (const m of r.monthly) {
      const row = monthly.rows.find((x) => x[0] === monthLabel(m.month));
      assertCountCells(row?.slice(1, 4) ?? [], m.submitted.total, m.submitted.missing, `${m.month} submitted`);
      assertCountCells(row?.slice(4, 7) ?? [], m.unsubmitted.total, m.unsubmitted.missing, `${m.month} unsubmitted`);
    }
    const jan = monthly.rows.find((x) => x[0] === 'Jan 2026')!;
    assertCountCells(jan.slice(1, 4), sum('submitted').total, sum('submitted').missing, 'Jan 2026 = its days');

    const daily = tableTitled(tables, 'Daily');
    expect(daily.rows.slice(1).map((x) => x[0])).toEqual(r.daily.map((d) => d.date));
    r.daily.forEach((d, i) => {
      assertCountCells(daily.rows[i + 1]!.slice(1, 4), d.submitted.total, d.submitted.missing, `${d.date} submitted`);
      assertCountCells(daily.rows[i + 1]!.slice(4, 7), d.unsubmitted.total, d.unsubmitted.missing, `${d.date} unsubmitted`);
    });
  });

  it('aligns every table line to the same width', () => {
    const text = renderTerminalReport(longReport());
    const daily = text.slice(text.indexOf('Daily\n-----'));
    const tableLines = daily.slice(0, daily.indexOf('\n\n')).split('\n').filter((l) => l.startsWith('|'));
    expect(tableLines).toHaveLength(402);
    expect(new Set(tableLines.map((l) => l.length)).size).toBe(1);
  });
});
