// Healthy customers, small and huge, with and without a 0.01% background of random missing: no episodes, and the
// verdicts that go with them.
import { describe, expect, it } from 'vitest';
import { analyze, verdictOf } from '../../src/gap/core/analyze/index.js';
import { findingSchema } from '../../src/gap/core/report.js';
import { healthy, makeSeries } from './analyze-fixtures.js';

const episodes = ['chronic', 'change_point', 'batch_failure', 'recurring_failure', 'recovery', 'submit_date_correlation'];

describe('healthy series', () => {
  it('gives no findings at all and says no_gap when nothing is missing', () => {
    for (const huge of [false, true]) {
      const series = healthy({ huge });
      const findings = analyze(series);
      expect(findings).toEqual([]);
      expect(verdictOf(series, findings)).toBe('no_gap');
    }
  });

  it('gives only an onset without a bad day for a huge series with 0.01% random missing', () => {
    const series = healthy({ huge: true, noise: true });
    expect(series.hourly.unsubmitted.reduce((s, c) => s + c.total, 0)).toBeGreaterThan(5_000_000);
    const findings = analyze(series);
    expect(findings.map((f) => f.kind)).toEqual(['onset', 'onset']);
    for (const f of findings) {
      expect(findingSchema.parse(f)).toMatchObject({ firstDayOver1Pct: null, rateThatDay: null });
    }
    expect(verdictOf(series, findings)).toBe('gap'); // any historic missing in the period is a gap, however small
  });

  it('finds no episodes across random draws, small or huge, noisy or not', () => {
    for (let seed = 1; seed <= 15; seed++) {
      for (const opts of [{}, { noise: true }, { huge: true, noise: true }]) {
        const kinds = analyze(healthy({ seed, ...opts })).map((f) => f.kind);
        expect(kinds.filter((k) => episodes.includes(k)), `seed ${seed} ${JSON.stringify(opts)}`).toEqual([]);
      }
    }
  });

  it('reports a ClickHouse-only gap on the period days, and says clickhouse_gap_only', () => {
    const base = healthy();
    const series = makeSeries({
      ...base,
      submitted: base.hourly.submitted,
      unsubmitted: base.hourly.unsubmitted,
      clickhouseMissingDays: [
        { date: '2025-12-20', population: 'unsubmitted', missing: 50 }, // before the period: not this report's
        { date: '2026-01-05', population: 'unsubmitted', missing: 3 },
        { date: '2026-01-07', population: 'unsubmitted', missing: 4 },
        { date: '2026-01-07', population: 'submitted', missing: 1 },
      ],
    });
    const findings = analyze(series);
    expect(findings).toEqual([
      { kind: 'clickhouse_gap', population: 'submitted', count: 1, days: [{ date: '2026-01-07', count: 1 }] },
      {
        kind: 'clickhouse_gap',
        population: 'unsubmitted',
        count: 7,
        days: [
          { date: '2026-01-05', count: 3 },
          { date: '2026-01-07', count: 4 },
        ],
      },
    ]);
    expect(verdictOf(series, findings)).toBe('clickhouse_gap_only');
  });
});
