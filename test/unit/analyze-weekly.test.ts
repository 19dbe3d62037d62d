// Issue 19: incident shapes the bot had not seen. A batch that fails only at weekends, a whole day that fails every
// weekend, a step on the period's first day, and a healthy customer whose volume swings 300 a weekday to 4 a
// weekend day: each at full volume and at 1/100 of it. Synthetic series only (pure).
//
// At 1/100 the weekend 10:00 batch is 5 scorecards a slot, under the floors below which one hour cannot be judged
// (RECURRING.minCellTotal 20, minCellMissing 5, reused by WEEKLY): the weekly finding is then absent by design,
// and what must hold is that nothing wrong is said instead (no steady level, no recovery, no change point).
import { describe, expect, it } from 'vitest';
import { analyze, type EarlierScan } from '../../src/gap/core/analyze/index.js';
import { findingSchema, type Finding, type GapReport } from '../../src/gap/core/report.js';
import type { HourCell } from '../../src/gap/core/series.js';
import { findingSentence } from '../../src/gap/views/finding-sentences.js';
import { alertConditions } from '../../src/watch/alert-rules.js';
import { between, dates, hourIso, makeSeries, rng, sround, US_DAY, REVIEW_HOURS, type Rand } from './analyze-fixtures.js';

const of = <K extends Finding['kind']>(fs: Finding[], kind: K) => fs.filter((f): f is Extract<Finding, { kind: K }> => f.kind === kind);
const JAN = { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' };
const weekday = (date: string): number => new Date(`${date}T00:00:00.000Z`).getUTCDay();
const isWeekend = (date: string): boolean => weekday(date) === 0 || weekday(date) === 6;

/** Binomial draw: exact for small n, normal approximation (clamped) for large. */
function binomial(n: number, p: number, rand: Rand): number {
  if (p <= 0 || n <= 0) return 0;
  if (p >= 1) return n;
  if (n < 60) {
    let k = 0;
    for (let i = 0; i < n; i++) if (rand() < p) k += 1;
    return k;
  }
  const u = Math.max(1e-12, rand());
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  return Math.min(n, Math.max(0, Math.round(n * p + z * Math.sqrt(n * p * (1 - p)))));
}

function seriesOf(unsub: HourCell[], sub: HourCell[] = [], period = JAN, scannedFrom = '2025-12-01T00:00:00.000Z') {
  const first = (cells: HourCell[]) => {
    const c = cells.find((x) => x.missing > 0);
    return c ? { scorecardId: `first-${c.hour}`, createdAt: c.hour, submittedAt: null } : null;
  };
  return makeSeries({ period, scanned: { from: scannedFrom, to: period.to }, unsubmitted: unsub, submitted: sub, firstMissing: { unsubmitted: first(unsub), submitted: first(sub) } });
}

/** ~20k unsubmitted a weekday (half at weekends) over a US working day, plus a 10:00 batch of 500 every day. */
function weekendBatch(scale: number, seed: number, failing: (date: string) => boolean, from = '2025-12-01', to = '2026-02-01'): HourCell[] {
  const rand = rng(seed);
  const cells: HourCell[] = [];
  for (const date of dates(from, to)) {
    US_DAY.forEach((w, h) => {
      let total = sround((w / 4) * (isWeekend(date) ? 0.5 : 1) * between(rand, 0.85, 1.15) * scale, rand);
      let missing = 0;
      if (h === 10) {
        const batch = sround(500 * scale, rand);
        total += batch;
        missing = failing(date) ? binomial(batch, 0.8, rand) : 0;
      }
      cells.push({ hour: hourIso(date, h), total, missing });
    });
  }
  return cells;
}

const episodes = ['chronic', 'change_point', 'weekly_failure', 'batch_failure', 'recurring_failure', 'recovery'];

describe.each([1, 0.01])('a 10:00 batch failing every Saturday and Sunday, scale %s', (scale) => {
  const everyWeekend = (d: string) => d >= '2026-01-01' && isWeekend(d);

  it(scale === 1 ? 'is one weekly failure, still failing, next expected Sun 10:00' : 'is below the floors: no weekly finding, and nothing wrong said instead', () => {
    const findings = analyze(seriesOf(weekendBatch(scale, 1, everyWeekend)));
    for (const f of findings) findingSchema.parse(f);
    const kinds = findings.map((f) => f.kind);
    for (const k of ['chronic', 'recovery', 'change_point', 'batch_failure', 'recurring_failure'] as const) expect(kinds, k).not.toContain(k);
    if (scale < 1) {
      expect(kinds.filter((k) => episodes.includes(k))).toEqual([]);
      return;
    }
    const [w, ...more] = of(findings, 'weekly_failure');
    expect(more).toEqual([]);
    expect(w).toMatchObject({ population: 'unsubmitted', weekdays: [0, 6], hourOfDay: 10, from: '2026-01-03', to: '2026-01-31', weeks: 5, fixedOn: null, nextExpected: '2026-02-01T10:00:00.000Z' });
    expect(w!.occurrences).toHaveLength(9);
    // The slot is the batch (80% of 500 lost) plus the hour's usual ~190 weekend scorecards (kept).
    expect(w!.missing).toBeGreaterThan(0.75 * 9 * 500);
    expect(w!.missing).toBeLessThan(0.85 * 9 * 500);
    expect(w!.missingRate).toBeCloseTo(w!.missing / w!.total, 9);
    expect(findingSentence(w!)).toMatch(/^Every Sat and Sun at 10:00 UTC, \d\d\.\d% of unsubmitted scorecards went missing \(5 weekends, Jan 3 – Jan 31: [\d,]+ of [\d,]+\); still failing at the end of the period, next expected Sun Feb 1 10:00 UTC\.$/);
  });

  it('the week after the last failing weekend is no recovery until the slot comes round clean', () => {
    // The failure stops after Jan 18: Sat Jan 24 10:00 comes round clean. A period ending on Wed Jan 21 has only
    // failing weekends and clean weekdays after the last one: no recovery, whatever the volume.
    const stops = (d: string) => d >= '2026-01-01' && d <= '2026-01-18' && isWeekend(d);
    const cells = weekendBatch(scale, 2, stops);
    const toWed = { from: JAN.from, to: '2026-01-22T00:00:00.000Z' };
    const early = analyze(seriesOf(cells.filter((c) => c.hour < toWed.to), [], toWed));
    expect(of(early, 'recovery')).toEqual([]);
    expect(of(early, 'chronic')).toEqual([]);
    const whole = analyze(seriesOf(cells));
    expect(of(whole, 'recovery')).toEqual([]);
    if (scale === 1) {
      expect(of(early, 'weekly_failure')).toMatchObject([{ weekdays: [0, 6], hourOfDay: 10, weeks: 3, fixedOn: null, nextExpected: '2026-01-24T10:00:00.000Z' }]);
      expect(findingSentence(of(early, 'weekly_failure')[0]!)).toContain('next expected Sat Jan 24 10:00 UTC');
      const [fixed] = of(whole, 'weekly_failure');
      expect(fixed).toMatchObject({ from: '2026-01-03', to: '2026-01-18', weeks: 3, fixedOn: '2026-01-24', nextExpected: null });
      expect(findingSentence(fixed!)).toContain('the slot came round clean on Sat Jan 24');
    } else {
      expect(of(whole, 'weekly_failure')).toEqual([]);
    }
  });
});

describe.each([1, 0.01])('whole weekend days failing, scale %s', (scale) => {
  it('is one weekly failure of the whole day, the same at both volumes', () => {
    const rand = rng(4);
    const cells: HourCell[] = [];
    for (const date of dates('2025-12-01', '2026-02-01')) {
      const rate = date >= '2026-01-01' && isWeekend(date) ? 0.6 : 0;
      US_DAY.forEach((w, h) => {
        const total = sround((w / 10) * (isWeekend(date) ? 0.5 : 1) * scale, rand);
        cells.push({ hour: hourIso(date, h), total, missing: binomial(total, rate, rand) });
      });
    }
    const findings = analyze(seriesOf(cells));
    for (const f of findings) findingSchema.parse(f);
    expect(findings.map((f) => f.kind).filter((k) => episodes.includes(k))).toEqual(['weekly_failure']);
    const [w] = of(findings, 'weekly_failure');
    expect(w).toMatchObject({ weekdays: [0, 6], hourOfDay: null, from: '2026-01-03', to: '2026-01-31', weeks: 5, fixedOn: null, nextExpected: '2026-02-01T00:00:00.000Z' });
    expect(findingSentence(w!)).toMatch(/^Every Sat and Sun, all day, (5\d|6\d)\.\d% of unsubmitted scorecards went missing \(5 weekends, Jan 3 – Jan 31: /);
  });
});

describe.each([1, 0.01])('a step on the period\'s first day, scale %s', (scale) => {
  const MARCH = { from: '2026-03-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z' };
  const cells = (from: string, to: string, rate: (d: string) => number, seed: number): HourCell[] => {
    const rand = rng(seed);
    return dates(from, to).flatMap((date) =>
      US_DAY.map((w, h) => {
        const total = sround(w * (isWeekend(date) ? 0.55 : 1) * scale, rand);
        return { hour: hourIso(date, h), total, missing: binomial(total, rate(date), rand) };
      }),
    );
  };
  const half = (d: string) => (d >= '2026-03-01' ? 0.5 : 0);

  it('found by the look-back: a change point on Mar 1, the period\'s first day, 0% through Feb; not chronic', () => {
    const series = seriesOf(cells('2026-03-01', '2026-04-01', half, 1), [], MARCH, MARCH.from);
    const without = analyze(series);
    // Without the months before, the start could not be seen: a chronic level, and a look-back is asked for.
    expect(of(without, 'chronic')).toMatchObject([{ since: '2026-03-01', before: 'not_scanned', began: null }]);
    const earlier: EarlierScan = { from: '2026-02-01T00:00:00.000Z', hourly: { submitted: [], unsubmitted: cells('2026-02-01', '2026-03-01', half, 2) } };
    const findings = analyze(series, earlier);
    for (const f of findings) findingSchema.parse(f);
    expect(of(findings, 'chronic')).toEqual([]);
    const [cp, ...more] = of(findings, 'change_point');
    expect(more).toEqual([]);
    expect(cp).toMatchObject({ at: '2026-03-01', before: 0, atPeriodStart: true, beforeSpan: { from: '2026-02-01', to: '2026-02-28' } });
    expect(cp!.after).toBeGreaterThan(0.45);
    expect(cp!.after).toBeLessThan(0.55);
    expect(findingSentence(cp!)).toMatch(/^Missing rate for unsubmitted scorecards jumped from 0\.0% to \d\d\.\d% on 2026-03-01, the period's first day; 0\.0% through Feb 2026\.$/);
    // The onset agrees on the day.
    expect(of(findings, 'onset')[0]).toMatchObject({ firstDayOver1Pct: '2026-03-01' });
    expect(of(findings, 'onset')[0]?.levelChangedOn).toBeUndefined();
  });

  it('the same with February in the history scanned', () => {
    const series = seriesOf(cells('2025-09-01', '2026-04-01', half, 3), [], MARCH, '2025-09-01T00:00:00.000Z');
    const findings = analyze(series);
    expect(of(findings, 'chronic')).toEqual([]);
    expect(of(findings, 'change_point')).toMatchObject([{ at: '2026-03-01', before: 0, atPeriodStart: true, beforeSpan: { from: '2025-09-01', to: '2026-02-28' } }]);
  });
});

// 30,000 a weekday and 400 a weekend day at full volume; the 300 and 4 at 1/100.
describe.each([1, 0.01])('a healthy customer whose volume swings 300 a weekday to 4 a weekend day, scale %s', (scale) => {
  function swing(seed: number, oneOffs: boolean): HourCell[] {
    const rand = rng(seed);
    return dates('2025-12-01', '2026-02-01').flatMap((date) => {
      const total = Math.max(1, Math.round((isWeekend(date) ? 400 : 30_000) * scale * between(rand, 0.8, 1.2)));
      // A stray one on some quiet weekend days: 1 of 4 is 25% on the day, and still nothing.
      const missing = oneOffs && isWeekend(date) && rand() < 0.3 ? 1 : 0;
      const hours = REVIEW_HOURS.map((w, h) => [w, h] as const).filter(([w]) => w > 0).map(([, h]) => h);
      const cells: HourCell[] = hours.map((h) => ({ hour: hourIso(date, h), total: 0, missing: 0 }));
      for (let i = 0; i < total; i++) cells[i % cells.length]!.total += 1;
      if (missing) cells[0]!.missing = 1;
      return cells.filter((c) => c.total > 0);
    });
  }

  it('gets no findings at all without missing, and no episode with stray one-offs at weekends', () => {
    for (let seed = 1; seed <= 6; seed++) {
      expect(analyze(seriesOf([], swing(seed, false))), `seed ${seed}`).toEqual([]);
      const kinds = analyze(seriesOf([], swing(seed, true))).map((f) => f.kind);
      expect(kinds.filter((k) => episodes.includes(k)), `seed ${seed}`).toEqual([]);
    }
  });

  it('raises no watchdog alert for one stray scorecard over a quiet weekend', () => {
    const report = {
      customer: 'acme',
      profile: 'us-east-1',
      period: { from: '2026-01-24T00:00:00.000Z', to: '2026-01-26T00:00:00.000Z', label: 'last 48 hours', grain: 'hour' },
      populations: { submitted: { total: 8, missing: 1, clickhouseMissing: 0 }, unsubmitted: { total: 0, missing: 0, clickhouseMissing: 0 } },
      firstMissing: { submitted: null, unsubmitted: null },
      findings: [],
    } as unknown as GapReport;
    expect(alertConditions(report, { submitted: 0.01, unsubmitted: 0.05, clickhouse: 0 })).toEqual([]);
    const two = { ...report, populations: { ...report.populations, submitted: { total: 8, missing: 2, clickhouseMissing: 0 } } } as GapReport;
    expect(alertConditions(two, { submitted: 0.01, unsubmitted: 0.05, clickhouse: 0 }).map((c) => c.kind)).toEqual(['onset']);
  });
});
