// Issue 19, end to end on real PostgreSQL: incident shapes the demo does not have, planted cell by cell
// (test/support/shape-database.ts), run through the real gap engine. Every expected number is the spec's own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGap, type GapDeps } from '../../src/gap/gap-service.js';
import { gapReportSchema, type GapReport } from '../../src/gap/core/report.js';
import { parsePeriod } from '../../src/period/parse-period.js';
import { CustomerSources } from '../../src/sources/customer-sources.js';
import { findingSentence } from '../../src/gap/views/finding-sentences.js';
import { createLogger } from '../../src/shared/logger.js';
import { cellsEvery, createShapeDatabase, SHAPE_CUSTOMER, type ShapeCell, type ShapeDatabase } from '../support/shape-database.js';

const isWeekend = (d: Date): boolean => d.getUTCDay() === 0 || d.getUTCDay() === 6;

/** Working hours 08-17 UTC carry a weekday's volume; a weekend day has a handful at 12:00. */
function workingVolume(d: Date, weekdayPerDay: number, weekendPerDay: number, submitted: boolean): Omit<ShapeCell, 'hour'>[] {
  const h = d.getUTCHours();
  if (isWeekend(d)) return h === 12 ? [{ submitted, total: weekendPerDay }] : [];
  return h >= 8 && h < 18 ? [{ submitted, total: weekdayPerDay / 10 }] : [];
}

async function gapOf(db: ShapeDatabase, period: string, now?: Date): Promise<{ report: GapReport; close(): Promise<void> }> {
  const config = db.config();
  const deps: GapDeps = {
    sources: new CustomerSources(config),
    clickhouse: null,
    settings: config.gap,
    logger: createLogger({ level: 'silent' }),
    ...(now ? { now: () => now } : {}),
  };
  const report = gapReportSchema.parse(await runGap(deps, SHAPE_CUSTOMER, parsePeriod(period, now)));
  return { report, close: () => deps.sources.close() };
}

/** Plants `cells` in a fresh database before the describe's tests and runs the gap engine on `period` once. */
function planted(cells: ShapeCell[], period: string, now?: Date): { report(): GapReport; db(): ShapeDatabase } {
  let db: ShapeDatabase | undefined;
  let report: GapReport | undefined;
  beforeAll(async () => {
    db = await createShapeDatabase(cells);
    const run = await gapOf(db, period, now);
    report = run.report;
    await run.close();
  }, 120_000);
  afterAll(async () => db?.drop());
  return { report: () => report as GapReport, db: () => db as ShapeDatabase };
}

describe('a healthy customer whose volume swings 300 on a weekday to 4 on a weekend day', () => {
  // Jan-Feb 2026; three isolated one-offs, never two on a day: the background every real customer has.
  const oneOffs = new Set(['2026-02-03T09:00:00.000Z', '2026-02-14T12:00:00.000Z', '2026-02-22T12:00:00.000Z']);
  const cells = cellsEvery('2026-01-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z', (d) =>
    [...workingVolume(d, 300, 4, false), ...workingVolume(d, 100, 2, true)].map((c, i) =>
      i === 0 && oneOffs.has(d.toISOString()) ? { ...c, missing: 1 } : c,
    ),
  );

  const shape = planted(cells, 'feb-2026');

  it('counts exactly what was planted', () => {
    const inFeb = cells.filter((c) => c.hour.startsWith('2026-02'));
    const sum = (submitted: boolean, key: 'total' | 'missing'): number =>
      inFeb.filter((c) => c.submitted === submitted).reduce((s, c) => s + (c[key] ?? 0), 0);
    expect(shape.report().populations.unsubmitted).toMatchObject({ total: sum(false, 'total'), missing: sum(false, 'missing') });
    expect(shape.report().populations.submitted).toMatchObject({ total: sum(true, 'total'), missing: 0 });
    expect(shape.report().populations.unsubmitted.missing).toBe(3);
  });

  it('draws no finding from the weekly swing in volume or from three one-offs', () => {
    expect(shape.report().findings.filter((f) => f.kind !== 'onset')).toEqual([]);
  });
});

describe('a 10:00 UTC batch of 500 that loses 80% every Saturday and Sunday and is fine on weekdays', () => {
  const batch = (d: Date): Omit<ShapeCell, 'hour'>[] =>
    d.getUTCHours() === 10 ? [{ submitted: false, total: 500, missing: isWeekend(d) ? 400 : 0 }] : [];
  const cells = cellsEvery('2026-01-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z', (d) => [
    ...batch(d),
    ...workingVolume(d, 300, 4, false).filter(() => d.getUTCHours() !== 10),
    ...workingVolume(d, 100, 2, true),
  ]);
  const failing = cells.filter((c) => c.hour.startsWith('2026-02') && (c.missing ?? 0) > 0);

  const shape = planted(cells, 'feb-2026');

  it('names the weekly failure: the weekdays, the hour, the weekends and the counts', () => {
    const weekly = shape.report().findings.filter((f) => f.kind === 'weekly_failure');
    expect(weekly).toHaveLength(1);
    expect(weekly[0]).toMatchObject({
      population: 'unsubmitted',
      weekdays: [0, 6],
      hourOfDay: 10,
      occurrences: failing.map((c) => ({ date: c.hour.slice(0, 10), total: c.total, missing: c.missing })),
      weeks: 5,
      missing: failing.reduce((s, c) => s + (c.missing ?? 0), 0),
      total: failing.reduce((s, c) => s + c.total, 0),
      fixedOn: null,
      // Feb 28 2026 is a Saturday and fails: the next occurrence is Sunday's batch.
      nextExpected: '2026-03-01T10:00:00.000Z',
    });
  });

  it('says so in one sentence, with when it is due next', () => {
    const weekly = shape.report().findings.find((f) => f.kind === 'weekly_failure')!;
    expect(findingSentence(weekly)).toMatch(/^Every Sat and Sun at 10:00 UTC, 80\.0% of unsubmitted scorecards went missing \(.*3,200 of 4,000.*\); still failing at the end of the period, next expected Sun Mar 1 10:00 UTC\.$/);
  });

  it('calls nothing steady and nothing recovered', () => {
    expect(shape.report().findings.map((f) => f.kind)).not.toContain('chronic');
    expect(shape.report().findings.map((f) => f.kind)).not.toContain('recovery');
    expect(shape.report().findings.map((f) => f.kind)).not.toContain('change_point');
  });
});

describe('the same failing weekends when the batch is all the customer has', () => {
  const cells = cellsEvery('2026-01-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z', (d) =>
    d.getUTCHours() === 10 ? [{ submitted: false, total: 500, missing: isWeekend(d) ? 400 : 0 }] : [],
  );
  const failing = cells.filter((c) => c.hour.startsWith('2026-02') && (c.missing ?? 0) > 0);

  const shape = planted(cells, 'feb-2026');

  it('is one weekly failure on Saturdays and Sundays, not a steady level, and nothing recovered', () => {
    const kinds = shape.report().findings.map((f) => f.kind);
    expect(kinds).not.toContain('chronic');
    expect(kinds).not.toContain('recovery');
    expect(kinds).not.toContain('batch_failure');
    const weekly = shape.report().findings.filter((f) => f.kind === 'weekly_failure');
    expect(weekly).toHaveLength(1);
    expect(weekly[0]).toMatchObject({
      population: 'unsubmitted',
      weekdays: [0, 6],
      hourOfDay: 10,
      occurrences: failing.map((c) => ({ date: c.hour.slice(0, 10), total: c.total, missing: c.missing })),
      missing: failing.reduce((s, c) => s + (c.missing ?? 0), 0),
      fixedOn: null,
      nextExpected: '2026-03-01T10:00:00.000Z',
    });
  });
});

describe('healthy through February, then 50% of submitted scorecards missing from Mar 1 00:00', () => {
  const cells = cellsEvery('2026-01-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z', (d) =>
    workingVolume(d, 200, 20, true).map((c) => (d.toISOString() >= '2026-03-01' ? { ...c, missing: Math.floor(c.total / 2) } : c)),
  );

  const shape = planted(cells, 'mar-2026');

  it('is a change on the period\'s first day, from 0%, not a chronic level', () => {
    expect(shape.report().findings.map((f) => f.kind)).not.toContain('chronic');
    const steps = shape.report().findings.filter((f) => f.kind === 'change_point');
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({ population: 'submitted', at: '2026-03-01', before: 0, after: 0.5 });
  });

  it('dates the onset on the same day', () => {
    const onset = shape.report().findings.find((f) => f.kind === 'onset');
    expect(onset).toMatchObject({ firstDayOver1Pct: '2026-03-01' });
  });
});

describe('every scorecard in historic, but 1 in 20 lacks half of its 10 criteria', () => {
  const cells = cellsEvery('2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z', (d) =>
    !isWeekend(d) && d.getUTCHours() >= 8 && d.getUTCHours() < 14 ? [{ submitted: true, total: 20, partial: 1, criteria: 10 }] : [],
  );

  const shape = planted(cells, 'feb-2026');

  it('counts the partly written scorecards apart from the missing ones, per population and per day', () => {
    const partial = cells.reduce((s, c) => s + (c.partial ?? 0), 0);
    expect(partial).toBe(shape.db().ids.partial.length);
    expect(shape.report().populations.submitted).toMatchObject({ total: cells.reduce((s, c) => s + c.total, 0), missing: 0, partial });
    expect(shape.report().populations.unsubmitted).toMatchObject({ total: 0, missing: 0, partial: 0 });
    const feb2 = cells.filter((c) => c.hour.startsWith('2026-02-02')).reduce((s, c) => s + (c.partial ?? 0), 0);
    expect(shape.report().daily.find((d) => d.date === '2026-02-02')?.submitted).toMatchObject({ missing: 0, partial: feb2 });
  });

  it('is not a plain "no gap"', () => {
    expect(shape.report().verdict).not.toBe('no_gap');
  });
});

describe('rows still in flight at the end of a period that ends now', () => {
  const now = new Date('2026-03-10T12:00:00.000Z');
  const cells: ShapeCell[] = [
    // Settled: created hours ago.
    { hour: '2026-03-09T15:00:00.000Z', submitted: true, total: 10, missing: 2 },
    { hour: '2026-03-10T10:00:00.000Z', submitted: false, total: 50, missing: 5 },
    // 11:00-12:00, spread evenly: the first 30 were created before 11:30 (settled), the last 30 from 11:30 on (in
    // flight). The first 40 are absent from historic: 30 settled and missing, 10 in flight.
    { hour: '2026-03-10T11:00:00.000Z', submitted: false, total: 60, missing: 40 },
    // Created 09:00-10:00 but submitted 150 minutes later, i.e. from 11:30 on: all in flight, though not in historic.
    { hour: '2026-03-10T09:00:00.000Z', submitted: true, total: 20, missing: 20, submitAfterMinutes: 150 },
  ];

  const shape = planted(cells, 'last-2d', now);

  it('counts scorecards newer than 30 minutes as in flight, never as missing', () => {
    expect(shape.report().populations.unsubmitted).toMatchObject({ total: 50 + 30, missing: 5 + 30, inFlight: 30 });
    expect(shape.report().populations.submitted).toMatchObject({ total: 10, missing: 2, inFlight: 20 });
  });
});
