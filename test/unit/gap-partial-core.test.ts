import { describe, expect, it } from 'vitest';
import { buildReport, verdictWithPartial } from '../../src/gap/core/build-report.js';
import { gapPlanSchema } from '../../src/gap/core/gap-job-payloads.js';
import { mergeWindows } from '../../src/gap/core/merge-windows.js';
import { firstMissingQuery, idRange, missingIdsQuery, missingTemplatesQuery, presentIdsQuery, windowCountsQuery } from '../../src/gap/core/queries.js';
import { windowCountsSchema, type WindowCounts } from '../../src/gap/core/window-counts.js';
import { alertConditions } from '../../src/watch/alert-rules.js';
import { alertMessage, resolutionMessage } from '../../src/watch/alert-blocks.js';
import { gapReportSchema, type GapReport } from '../../src/gap/core/report.js';
import { assertWithinSlackLimits, backfillMessage, headlineMessage, rootMessage, threadMessages } from '../../src/gap/views/gap-blocks.js';
import { dailyTable, monthlyTable } from '../../src/gap/views/tables.js';
import { renderTerminalReport } from '../../src/gap/views/terminal-report.js';
import { rentokilReport } from './fixtures/gap-report-fixture.js';

// The pure parts of partial and in-flight counting: SQL parameters, the merge, the report's totals and verdict, the
// job payload, and the watchdog's rule. The SQL's results are tested against real PostgreSQL in
// test/component/gap-partial.test.ts and gap-in-flight.test.ts.

const FROM = new Date('2026-01-10T00:00:00Z');
const TO = new Date('2026-01-11T00:00:00Z');
const CUTOFF = new Date('2026-01-10T11:30:00Z');

describe('window SQL', () => {
  it('takes the settle cutoff as a bind parameter, never as text', () => {
    const q = windowCountsQuery("acme'; DROP", 'eu-1', FROM, TO, CUTOFF);
    const { lo, hi } = idRange(FROM, TO);
    expect(q.values).toEqual(["acme'; DROP", 'eu-1', FROM, TO, lo, hi, CUTOFF]);
    expect(q.text).not.toContain('acme');
    expect(q.text).not.toContain('2026');
    // In flight: created or submitted at or after $7; the counts split by state.
    expect(q.text).toContain('d.created_at >= $7 OR coalesce(d.submitted_at >= $7, false)');
    for (const col of ['total', 'missing', 'partial', 'in_flight']) expect(q.text).toContain(`AS ${col}`);
  });

  it('reads both tables over the ID range, one range each, with criteria compared as sets', () => {
    const q = windowCountsQuery('acme', 'eu-1', FROM, TO, CUTOFF);
    expect(q.text).toMatch(/FROM historic\.scorecard_scores h\s+WHERE h\.customer_id = \$1 AND h\.profile_id = \$2 AND h\.scorecard_id >= \$5 AND h\.scorecard_id < \$6/);
    expect(q.text).toMatch(/FROM director\.scores s\s+WHERE s\.customer = \$1 AND s\.profile = \$2 AND s\.scorecard_id >= \$5 AND s\.scorecard_id < \$6/);
    expect(q.text).toContain("<@ coalesce(p.criteria, '{}'::text[]) AND (NOT sc.has_null OR p.has_null)");
    // The probe path for IDs outside the range uses the shared per-score definition, NULL matching NULL.
    expect(q.text).toContain('h.criterion_id IS NOT DISTINCT FROM s.criterion_id');
  });

  it('every other gap query takes the run cutoff too', () => {
    const hour = new Date('2026-01-10T10:00:00Z');
    expect(firstMissingQuery('a', 'p', hour, true, CUTOFF).values).toEqual(['a', 'p', hour, true, CUTOFF]);
    expect(missingTemplatesQuery('a', 'p', hour, false, CUTOFF).values).toEqual(['a', 'p', hour, false, 10, CUTOFF]);
    expect(missingIdsQuery('a', 'p', FROM, TO, CUTOFF).values.slice(-1)).toEqual([CUTOFF]);
    expect(missingIdsQuery('a', 'p', FROM, TO, CUTOFF).text).toContain("WHERE x.state IN ('missing', 'partial')");
    const chCutoff = new Date('2026-01-10T11:00:00Z');
    expect(presentIdsQuery('a', 'p', FROM, TO, CUTOFF, chCutoff).values).toEqual(['a', 'p', FROM, TO, CUTOFF, chCutoff]);
  });
});

describe('merge and report', () => {
  const win = (rows: WindowCounts['rows']): WindowCounts => windowCountsSchema.parse({ window: { from: FROM.toISOString(), to: TO.toISOString() }, rows, elapsedMs: 1 });
  const h = (hh: string) => `2026-01-10T${hh}:00:00.000Z`;
  const windows = [
    win([
      { hour: h('09'), submitted_date: '2026-01-10', cls: 'in_scope', total: 10, missing: 2, partial: 3, in_flight: 0 },
      { hour: h('09'), submitted_date: null, cls: 'in_scope', total: 5, missing: 0, partial: 1, in_flight: 0 },
      { hour: h('11'), submitted_date: null, cls: 'in_scope', total: 0, missing: 0, partial: 0, in_flight: 4 },
      { hour: h('11'), submitted_date: null, cls: 'calibration', total: 2, missing: 0, partial: 0, in_flight: 0 },
    ]),
    win([{ hour: h('09'), submitted_date: '2026-01-11', cls: 'in_scope', total: 1, missing: 0, partial: 1, in_flight: 2 }]),
  ];

  it('a window row without partial or in_flight (an older worker) is refused, not read as 0', () => {
    expect(() => windowCountsSchema.parse({ window: { from: '', to: '' }, rows: [{ hour: h('09'), submitted_date: null, cls: 'in_scope', total: 1, missing: 0 }], elapsedMs: 1 })).toThrow();
  });

  it('folds partial and in flight into the hourly cells, apart from missing', () => {
    const m = mergeWindows(windows, { from: FROM.toISOString(), to: TO.toISOString() });
    expect(m.hourly.submitted).toEqual([{ hour: h('09'), total: 11, missing: 2, partial: 4, inFlight: 2 }]);
    expect(m.hourly.unsubmitted).toEqual([
      { hour: h('09'), total: 5, missing: 0, partial: 1, inFlight: 0 },
      { hour: h('11'), total: 0, missing: 0, partial: 0, inFlight: 4 },
    ]);
    expect(m.excluded).toEqual({ calibration: 2, nonOriginal: 0 });
    expect(m.firstMissingHour).toEqual({ submitted: h('09'), unsubmitted: null });
  });

  it('the report carries partial per population and bucket, in flight per population, and the verdict', () => {
    const m = mergeWindows(windows, { from: FROM.toISOString(), to: TO.toISOString() });
    const r = buildReport({
      customer: 'acme',
      profile: 'eu-1',
      period: { from: FROM, to: TO, label: '2026-01-10', grain: 'hour' },
      series: { period: { from: FROM.toISOString(), to: TO.toISOString() }, scanned: { from: FROM.toISOString(), to: TO.toISOString() }, hourly: m.hourly, bySubmitDate: m.bySubmitDate, missingSubmittedPairs: [], firstMissing: { submitted: null, unsubmitted: null }, clickhouseMissingDays: [] },
      excluded: m.excluded,
      clickhouseConfigured: false,
      findings: [],
      verdict: 'no_gap',
      hoursThatMatter: [h('09')],
      historyMonths: 1,
      stats: { windows: 2, queries: 2, elapsedMs: 1 },
      generatedAt: TO,
      settle: { minutes: 30, cutoff: CUTOFF.toISOString(), clickhouseMinutes: null, clickhouseCutoff: null },
    });
    expect(r.populations.submitted).toEqual({ total: 11, missing: 2, partial: 4, inFlight: 2, clickhouseMissing: null, clickhouseInFlight: null });
    expect(r.populations.unsubmitted).toEqual({ total: 5, missing: 0, partial: 1, inFlight: 4, clickhouseMissing: null, clickhouseInFlight: null });
    expect(r.daily[0]?.unsubmitted).toEqual({ total: 5, missing: 0, partial: 1 });
    expect(r.hourly[0]?.submitted).toEqual({ total: 11, missing: 2, partial: 4 });
    // The analysis said no gap (it sees missing only): with partial ones the report does not.
    expect(r.verdict).toBe('partial_only');
  });

  it('partial turns no_gap and clickhouse_gap_only into partial_only, and leaves the others', () => {
    expect(verdictWithPartial('no_gap', 1)).toBe('partial_only');
    expect(verdictWithPartial('clickhouse_gap_only', 3)).toBe('partial_only');
    expect(verdictWithPartial('gap', 3)).toBe('gap');
    expect(verdictWithPartial('no_data', 0)).toBe('no_data');
    expect(verdictWithPartial('no_gap', 0)).toBe('no_gap');
  });
});

describe('job payload', () => {
  const plan = {
    customer: 'acme',
    profile: 'eu-1',
    period: { from: FROM.toISOString(), to: TO.toISOString(), label: 'x', grain: 'day' },
    scanned: { from: FROM.toISOString(), to: TO.toISOString() },
    windows: [],
  };
  it('carries the run\'s one settle cutoff; a plan without one (an older producer) is refused', () => {
    const settle = { plannedAt: '2026-01-10T12:00:00.000Z', minutes: 30, cutoff: '2026-01-10T11:30:00.000Z' };
    expect(gapPlanSchema.parse({ ...plan, settle }).settle).toEqual(settle);
    expect(gapPlanSchema.safeParse(plan).success).toBe(false);
  });
});

describe('watchdog', () => {
  it('partial scorecards over the threshold are an alert of their own, counted as partial', () => {
    const base = rentokilReport();
    const report = {
      ...base,
      findings: [],
      populations: { ...base.populations, submitted: { ...base.populations.submitted, missing: 0, partial: 40, total: 1000 } },
      daily: base.daily.map((d) => ({ ...d, submitted: { ...d.submitted, partial: d.date === '2026-01-05' ? 40 : 0 } })),
    };
    const c = alertConditions(report, { submitted: 0.01, unsubmitted: 1, clickhouse: 1e9 }).filter((x) => x.kind === 'partial');
    expect(c.map((x) => [x.population, x.start, x.missing, x.total])).toEqual([['submitted', '2026-01-05', 40, 1000]]);
    const view = { ...c[0]!, audit: 'hourly', periodLabel: 'last 48 hours' };
    expect(alertMessage(view, { runId: null, reportValue: '{}' }).text).toBe('rentokil submitted: partial in historic (criteria lacking) since 2026-01-05: 40 of 1,000 (4.0%) partial');
    expect(resolutionMessage(view, '2026-01-06T00:00:00.000Z').text).toContain('0 partial since');
    // Under the threshold (a lower bound not over 5%): none.
    expect(alertConditions(report, { submitted: 0.05, unsubmitted: 1, clickhouse: 1e9 }).filter((x) => x.kind === 'partial')).toEqual([]);
  });
});

describe('renderers with partial and in-flight scorecards', () => {
  /** rentokil's January with 1 in 20 of each day's submitted scorecards partial, and 7 scorecards in flight. */
  function withPartial(): GapReport {
    const r = rentokilReport();
    const daily = r.daily.map((d) => ({ ...d, submitted: { ...d.submitted, partial: Math.floor(d.submitted.total / 20) } }));
    const partial = daily.reduce((n, d) => n + d.submitted.partial, 0);
    return gapReportSchema.parse({
      ...r,
      daily,
      monthly: r.monthly.map((m) => (m.month === '2026-01' ? { ...m, submitted: { ...m.submitted, partial } } : m)),
      populations: { submitted: { ...r.populations.submitted, partial, inFlight: 2 }, unsubmitted: { ...r.populations.unsubmitted, inFlight: 5, clickhouseInFlight: 3 } },
      settle: { minutes: 30, cutoff: '2026-02-01T11:30:00.000Z', clickhouseMinutes: 60, clickhouseCutoff: '2026-02-01T11:00:00.000Z' },
    });
  }

  it('the tables add a Partial column per population, within a Slack table\'s limits', () => {
    const r = withPartial();
    const t = monthlyTable(r);
    expect(t.columns.map((c) => c.header)).toEqual(['Month', 'Submitted', 'Missing', '% Missing', 'Partial', 'Unsubmitted', 'Missing', '% Missing', 'Partial']);
    expect(t.rows.at(-1)).toEqual(['Jan 2026', '3,637', '1,165', '32.0%', String(r.populations.submitted.partial), '2,555,891', '27,373', '1.1%', '0']);
    expect(dailyTable(r).rows.every((row) => row.length === 9)).toBe(true);
    for (const msg of threadMessages(r, { runId: 'run-1' })) assertWithinSlackLimits(msg);
  });

  it('the headline says partial and in flight apart from missing, in the terminal and in Slack', () => {
    const r = withPartial();
    const p = r.populations.submitted.partial;
    const text = renderTerminalReport(r);
    expect(text).toContain(`Partial: ${p} of 3,637 submitted (${((100 * p) / 3637).toFixed(1)}%) scorecards are in historic with fewer or different criteria than director.scores`);
    expect(text).toContain('7 in flight (newer than 30 min), not judged: 2 submitted, 5 unsubmitted.');
    expect(text).toContain('3 more in historic are newer than 60 min, not yet judged in ClickHouse (in flight).');
    const headline = JSON.stringify(headlineMessage(r).blocks);
    expect(headline).toContain('7 in flight (newer than 30 min), not judged');
    expect(headline).toContain(`${p} partial`);
    // A gap verdict names the missing ones; the root message adds the partial ones.
    expect(rootMessage({ status: 'done', report: r }).text).toContain(`Partial: ${p} of 3,637 submitted`);
    expect(backfillMessage(r, 'run-1')?.text).toContain(`${p} scorecards partial in historic`);
  });

  it('a report without them reads as it always did', () => {
    const r = rentokilReport();
    expect(renderTerminalReport(r)).not.toMatch(/Partial|in flight/);
    expect(monthlyTable(r).columns).toHaveLength(7);
  });
});
