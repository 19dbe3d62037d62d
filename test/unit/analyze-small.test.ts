// Tiny volumes (nclh: ~3 submitted scorecards a day, at fixed hours) and a one-day period.
import { describe, expect, it } from 'vitest';
import { analyze, hoursThatMatter } from '../../src/gap/core/analyze/index.js';
import { cut, nclh, rentokil } from './analyze-fixtures.js';

describe('small counts (nclh-like)', () => {
  const series = nclh();
  const findings = analyze(series);

  it('finds the onset on Jan 11 (not the old one-offs) and the change to ~50%, nothing else', () => {
    expect(findings.map((f) => `${f.kind}/${f.population}`)).toEqual(['onset/submitted', 'change_point/submitted']);
    expect(findings[0]).toMatchObject({ firstMissingAt: '2025-08-05T14:10:00.000Z', firstDayOver1Pct: '2026-01-11', rateThatDay: 0.5 }); // 2 of 4
    expect(findings[1]).toMatchObject({ at: '2026-01-11', before: 0, daysBefore: 10, daysAfter: 21 });
    const after = findings[1]?.kind === 'change_point' ? findings[1].after : 0;
    expect(after).toBeGreaterThan(0.4);
    expect(after).toBeLessThan(0.6);
  });

  it('never turns a handful of scorecards at a fixed hour into a batch or a recurring failure', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const kinds = analyze(nclh(seed)).map((f) => f.kind);
      expect(kinds).not.toContain('batch_failure');
      expect(kinds).not.toContain('recurring_failure');
    }
  });
});

describe('a one-day period', () => {
  const series = cut(rentokil(), { from: '2026-01-23T00:00:00.000Z', to: '2026-01-24T00:00:00.000Z' });
  const findings = analyze(series);

  it('still finds the batch hour against the history, and no day-level episodes', () => {
    expect(findings.filter((f) => f.population === 'unsubmitted').map((f) => f.kind)).toEqual(['onset', 'batch_failure']);
    expect(findings.find((f) => f.kind === 'batch_failure')).toMatchObject({ at: '2026-01-23T03:00:00.000Z', total: 27580 });
    const kinds = findings.map((f) => f.kind);
    for (const k of ['change_point', 'recurring_failure', 'recovery'] as const) expect(kinds).not.toContain(k);
  });

  it('shows all 24 hours', () => {
    const hours = hoursThatMatter(series, findings);
    expect(hours).toHaveLength(24);
    expect(hours[0]).toBe('2026-01-23T00:00:00.000Z');
    expect(hours[23]).toBe('2026-01-23T23:00:00.000Z');
  });
});
