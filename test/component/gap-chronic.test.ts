// Issue 14 on the demo data in real PostgreSQL: spirit's unsubmitted scorecards go missing at a steady ~0.2% from
// July 2025 (the customer's first unsubmitted scorecards), 4-5% from November, and January's 14:00 batch on top.
// `gap spirit jan-2026` scans Aug-Jan; the look-back must find July (and June empty: the customer's start).
// Every expected date and number comes from the generator's ground truth.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGap, type GapDeps } from '../../src/gap/gap-service.js';
import type { LookbackProgress } from '../../src/gap/lookback.js';
import { gapReportSchema, type Finding, type GapReport } from '../../src/gap/core/report.js';
import { parsePeriod } from '../../src/period/parse-period.js';
import { findingSentence } from '../../src/gap/views/finding-sentences.js';
import { renderTerminalReport } from '../../src/gap/views/terminal-report.js';
import { CustomerSources } from '../../src/sources/customer-sources.js';
import { createLogger } from '../../src/shared/logger.js';
import { createDemoDatabase, type DemoDatabase } from '../support/demo-database.js';

// 0.01: July's partial month then holds a couple of missing unsubmitted scorecards (at 0.002 it holds none).
const SCALE = 0.01;
const jan = parsePeriod('jan-2026');
const chronicOf = (r: GapReport) => r.findings.filter((f): f is Extract<Finding, { kind: 'chronic' }> => f.kind === 'chronic' && f.population === 'unsubmitted');

let demo: DemoDatabase;
let deps: GapDeps;
let report: GapReport;
const progress: LookbackProgress[] = [];

beforeAll(async () => {
  demo = await createDemoDatabase({ scale: SCALE, customers: ['spirit'], to: '2026-02-01', clickhouse: false });
  const config = demo.config();
  deps = { sources: new CustomerSources(config), clickhouse: null, settings: config.gap, logger: createLogger({ level: 'silent' }) };
  report = await runGap(deps, 'spirit', jan, { onLookbackProgress: (p) => progress.push(p) });
}, 240_000);

afterAll(async () => {
  await deps?.sources.close();
  await demo?.drop();
});

/** The truth's unsubmitted days in order, and the steady stretch it planted: from the first day with scorecards
 *  to the last day before the first month whose rate is over twice the months before it. */
function truthStretch() {
  const t = demo.truth.perCustomer.spirit!;
  const days = Object.entries(t.daily.unsubmitted).filter(([, [total]]) => total > 0).sort(([a], [b]) => a.localeCompare(b));
  const months = Object.entries(t.monthly.unsubmitted).filter(([, [total]]) => total > 0).sort(([a], [b]) => a.localeCompare(b));
  let [total, missing] = [0, 0];
  let jumpMonth = '';
  for (const [month, [mt, mm]] of months) {
    if (total > 0 && mm / mt > 2 * (missing / total) && mm / mt - missing / total > 0.005) {
      jumpMonth = month;
      break;
    }
    total += mt;
    missing += mm;
  }
  const inStretch = days.filter(([d]) => d < jumpMonth);
  return {
    since: inStretch[0]![0],
    to: inStretch[inStretch.length - 1]![0],
    total: inStretch.reduce((s, [, [n]]) => s + n, 0),
    missing: inStretch.reduce((s, [, [, m]]) => s + m, 0),
    jumpMonth,
    firstMissing: t.firstMissing.unsubmitted!,
  };
}

describe('spirit jan-2026: chronic since July 2025, found by the look-back', () => {
  it('names the steady loss chronic from the customer\'s first unsubmitted scorecards, with the truth\'s counts', () => {
    gapReportSchema.parse(report);
    const truth = truthStretch();
    expect(truth.since.startsWith('2025-07')).toBe(true); // the planted data: before the months scanned
    expect(truth.jumpMonth).toBe('2025-11');
    const [first] = chronicOf(report);
    expect(first).toMatchObject({
      since: truth.since,
      to: truth.to,
      began: truth.firstMissing.createdAt.slice(0, 10),
      before: 'no_scorecards',
      total: truth.total,
      missing: truth.missing,
    });
    expect(first!.level).toBeCloseTo(truth.missing / truth.total, 10);
    expect(first!.range.low).toBeLessThanOrEqual(first!.level);
    expect(first!.range.high).toBeGreaterThanOrEqual(first!.level);
    expect(findingSentence(first!)).toContain(`began ${truth.firstMissing.createdAt.slice(0, 10)}, with the customer's first unsubmitted scorecards`);
  });

  it('reports the real first missing scorecard (July), not the first one of the months scanned', () => {
    const t = truthStretch().firstMissing;
    expect(t.createdAt < '2025-08-01').toBe(true);
    expect(report.firstMissing.unsubmitted).toMatchObject({ scorecardId: t.scorecardId, createdAt: new Date(t.createdAt).toISOString() });
  });

  it('keeps January on top, in time order: chronic stretches, then the 14:00 batch', () => {
    const unsub = report.findings.filter((f) => f.population === 'unsubmitted');
    const kinds = unsub.map((f) => f.kind);
    expect(kinds[0]).toBe('chronic');
    const rec = unsub.find((f) => f.kind === 'recurring_failure');
    expect(rec).toMatchObject({ hourOfDay: 14, from: '2026-01-10', fixedOn: '2026-01-17' });
    const stretches = chronicOf(report);
    for (let i = 1; i < stretches.length; i++) expect(stretches[i]!.since > stretches[i - 1]!.to).toBe(true);
    expect(stretches.length).toBeGreaterThanOrEqual(2); // Nov-Dec's 4-5% is a steady level of its own
    expect(stretches[1]!.since.startsWith(truthStretch().jumpMonth)).toBe(true);
  });

  it('counts the look-back: July (loss) then June (no scorecards: the start), with progress', () => {
    expect(report.stats.lookbackWindows).toBe(31 + 30);
    expect(progress.at(-1)).toMatchObject({ month: '2025-06', windowsDone: 61, windowsTotal: 61 });
    expect(progress[0]?.month).toBe('2025-07');
  });

  it('says it in words a person would use', () => {
    const text = renderTerminalReport(report);
    const line = text.split('\n').find((l) => l.startsWith('spirit: '));
    expect(line).toMatch(/^spirit: unsubmitted scorecards have been going missing at ~0\.\d+% a day since Jul 2025, then ~\d+\.\d% from Nov 2025, .*then \d+\.\d% in Jan 2026\.$/);
  });

  it('with gap.lookbackMonths 0: no extra windows, and the stretch is "at least since" the first day scanned', async () => {
    const r = await runGap({ ...deps, settings: { ...deps.settings, lookbackMonths: 0 } }, 'spirit', jan);
    expect(r.stats.lookbackWindows).toBe(0);
    expect(chronicOf(r)[0]).toMatchObject({ since: '2025-08-01', began: null, before: 'not_scanned' });
    expect(r.firstMissing.unsubmitted!.createdAt >= '2025-08-01').toBe(true);
  });
});
