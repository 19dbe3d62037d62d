import { describe, expect, it } from 'vitest';
import type { Finding, GapReport } from '../../src/gap/core/report.js';
import { alertConditions, inQuietHours, isWorse, rateLevel, splitByAllowance } from '../../src/watch/alert-rules.js';
import { confirmed, groupProblems, newsSince } from '../../src/watch/problems.js';
import { lookbackPeriod } from '../../src/watch/lookback.js';

// Alert rules are pure: a report in, the problems worth an alert out, each with its fingerprint.

const T = { submitted: 0.01, unsubmitted: 0.05, clickhouse: 0 };

function report(p: { submitted: [number, number]; unsubmitted?: [number, number]; findings?: Finding[]; chSubmitted?: number | null }): GapReport {
  const [st, sm] = p.submitted;
  const [ut, um] = p.unsubmitted ?? [1000, 0];
  return {
    customer: 'rentokil',
    profile: 'us-east-1',
    period: { from: '2026-01-22T00:00:00.000Z', to: '2026-01-24T00:00:00.000Z', label: 'last 48 hours', grain: 'hour' },
    generatedAt: '2026-01-24T00:00:00.000Z',
    populations: {
      submitted: { total: st, missing: sm, partial: 0, clickhouseMissing: p.chSubmitted ?? 0, inFlight: 0, clickhouseInFlight: 0 },
      unsubmitted: { total: ut, missing: um, partial: 0, clickhouseMissing: 0, inFlight: 0, clickhouseInFlight: 0 },
    },
    excluded: { calibration: 0, nonOriginal: 0 },
    monthly: [],
    daily: [],
    dailyBySubmitted: [],
    hourly: [],
    firstMissing: { submitted: sm > 0 ? { scorecardId: 'sc-1', createdAt: '2026-01-22T05:00:00.000Z', submittedAt: null } : null, unsubmitted: null },
    clickhouse: { configured: true, available: true, error: null, days: [] },
    findings: p.findings ?? [],
    verdict: sm + um > 0 ? 'gap' : 'no_gap',
    stats: { windows: 2, queries: 4, elapsedMs: 10 },
  };
}

describe('alert rules', () => {
  it('a population over its threshold by the 95% Wilson lower bound is one onset alert', () => {
    // 3 of 100: 3% observed, lower bound 1.03% > 1%.
    expect(alertConditions(report({ submitted: [100, 3] }), T).map((c) => c.fingerprint)).toEqual(['rentokil|submitted|onset|2026-01-22']);
    // 2 of 100: 2% observed but the lower bound (0.55%) is not over 1%: no alert.
    expect(alertConditions(report({ submitted: [100, 2] }), T)).toEqual([]);
    // unsubmitted has its own threshold (5%): 60 of 1000 (6%, bound 4.7%) is not enough; 80 of 1000 is.
    expect(alertConditions(report({ submitted: [100, 0], unsubmitted: [1000, 60] }), T)).toEqual([]);
    const c = alertConditions(report({ submitted: [100, 0], unsubmitted: [1000, 80] }), T);
    expect(c.map((x) => [x.population, x.kind, x.missing, x.total])).toEqual([['unsubmitted', 'onset', 80, 1000]]);
  });

  it("the onset alert starts on the onset finding's first day over 1% and says its sentence", () => {
    const onset: Finding = { kind: 'onset', population: 'submitted', firstMissingAt: '2026-01-15T08:00:00.000Z', scorecardId: 'sc-9', firstDayOver1Pct: '2026-01-21', rateThatDay: 0.2 };
    const [c] = alertConditions(report({ submitted: [240, 60], findings: [onset] }), T);
    expect(c?.start).toBe('2026-01-21');
    expect(c?.sentence).toContain('first passed 1% on 2026-01-21');
    expect(c?.rate).toBe(0.25);
  });

  it('findings that name an event are alerts of their own; ended ones and drops are not', () => {
    const findings: Finding[] = [
      { kind: 'change_point', population: 'submitted', at: '2026-01-22', before: 0.001, after: 0.3, daysBefore: 3, daysAfter: 2 },
      { kind: 'change_point', population: 'submitted', at: '2026-01-23', before: 0.3, after: 0, daysBefore: 3, daysAfter: 2 },
      { kind: 'batch_failure', population: 'unsubmitted', at: '2026-01-23T03:00:00Z', total: 27580, missing: 27344, typicalHourTotal: 3500, templates: [] },
      { kind: 'recurring_failure', population: 'unsubmitted', hourOfDay: 3, from: '2026-01-10', to: '2026-01-20', fixedOn: '2026-01-21', missingRate: 0.5, days: 10, total: 100, missing: 50 },
      { kind: 'clickhouse_gap', population: 'submitted', count: 12, days: [{ date: '2026-01-23', count: 10 }, { date: '2026-01-22', count: 2 }] },
    ];
    const c = alertConditions(report({ submitted: [100, 0], findings }), T);
    expect(c.map((x) => x.fingerprint)).toEqual([
      'rentokil|submitted|change_point|2026-01-22',
      'rentokil|unsubmitted|batch_failure|2026-01-23T03:00:00.000Z',
      'rentokil|submitted|clickhouse_gap|2026-01-22',
    ]);
    expect(c.find((x) => x.kind === 'batch_failure')?.missing).toBe(27344);
    // clickhouse: over the threshold only.
    expect(alertConditions(report({ submitted: [100, 0], findings: findings.slice(4) }), { ...T, clickhouse: 12 })).toEqual([]);
  });

  it('worse means the count doubled or the rate reached a new level', () => {
    expect(rateLevel(0.005)).toBe(0);
    expect(rateLevel(0.125)).toBe(4);
    expect(isWorse({ missing: 59, rate: 0.19 }, { missing: 30, level: rateLevel(0.125) })).toBe(false);
    expect(isWorse({ missing: 60, rate: 0.19 }, { missing: 30, level: rateLevel(0.125) })).toBe(true);
    expect(isWorse({ missing: 31, rate: 0.21 }, { missing: 30, level: rateLevel(0.125) })).toBe(true);
  });

  it('quiet hours wrap midnight; the hourly allowance posts the first alerts alone and summarises the rest', () => {
    const night = { from: '22:00', to: '07:00' };
    expect(inQuietHours(new Date('2026-01-24T23:30:00Z'), night)).toBe(true);
    expect(inQuietHours(new Date('2026-01-24T06:59:00Z'), night)).toBe(true);
    expect(inQuietHours(new Date('2026-01-24T07:00:00Z'), night)).toBe(false);
    expect(inQuietHours(new Date('2026-01-24T12:00:00Z'), { from: '12:00', to: '13:00' })).toBe(true);
    expect(inQuietHours(new Date('2026-01-24T12:00:00Z'), undefined)).toBe(false);
    expect(splitByAllowance([1, 2, 3, 4, 5, 6, 7], 3, 5)).toEqual({ alone: [1, 2], summarised: [3, 4, 5, 6, 7] });
    expect(splitByAllowance([1, 2], 9, 5)).toEqual({ alone: [], summarised: [1, 2] });
  });

  it('a lookback ends at the hour of now', () => {
    const p = lookbackPeriod('last-48h', new Date('2026-01-24T00:41:00Z'));
    expect([p.from.toISOString(), p.to.toISOString(), p.grain]).toEqual(['2026-01-22T00:00:00.000Z', '2026-01-24T00:00:00.000Z', 'hour']);
    expect(lookbackPeriod('last-30d', new Date('2026-01-24T00:00:00Z')).grain).toBe('day');
  });

  it('one problem per customer and population: its findings inside, the most missing leading, the earliest start', () => {
    const findings: Finding[] = [
      { kind: 'change_point', population: 'submitted', at: '2026-01-23', before: 0.001, after: 0.3, daysBefore: 3, daysAfter: 2 },
      { kind: 'batch_failure', population: 'submitted', at: '2026-01-23T03:00:00Z', total: 45, missing: 40, typicalHourTotal: 40, templates: [] },
      { kind: 'clickhouse_gap', population: 'unsubmitted', count: 12, days: [{ date: '2026-01-23', count: 12 }] },
    ];
    const conditions = alertConditions(report({ submitted: [240, 60], findings, chSubmitted: 0 }), T);
    expect(conditions).toHaveLength(4); // onset, jump, batch (submitted); ClickHouse (unsubmitted)
    const problems = groupProblems(conditions);
    expect(problems.map((p) => [p.fingerprint, p.kind, p.start, p.missing, p.findings.map((f) => f.kind)])).toEqual([
      ['rentokil|submitted', 'onset', '2026-01-22', 60, ['onset', 'change_point', 'batch_failure']],
      ['rentokil|unsubmitted', 'clickhouse_gap', '2026-01-23', 0, ['clickhouse_gap']],
    ]);
    // The ClickHouse count is the population's (0 here, as /metrics would read), not the finding's own 12.
    expect(problems[1]!.findings[0]!.missing).toBe(0);
  });

  it('a first post needs minMissing and confirmAudits consecutive audits, unless a finding is over 50%', () => {
    const rule = { minMissing: 3, confirmAudits: 2 };
    const [p] = groupProblems(alertConditions(report({ submitted: [240, 60] }), T)); // 25%
    expect(confirmed(p!, 1, rule)).toBe(false);
    expect(confirmed(p!, 2, rule)).toBe(true);
    // 40 of 45 in one failed batch: 89%, posted at once.
    const batch: Finding = { kind: 'batch_failure', population: 'submitted', at: '2026-01-23T03:00:00Z', total: 45, missing: 40, typicalHourTotal: 40, templates: [] };
    const [b] = groupProblems(alertConditions(report({ submitted: [240, 60], findings: [batch] }), T));
    expect(confirmed(b!, 1, rule)).toBe(true);
    // Two of three missing is over 50% but under minMissing: never, however many audits see it.
    const [few] = groupProblems(alertConditions(report({ submitted: [3, 2] }), { ...T, submitted: 0 }));
    expect(few!.missing).toBe(2);
    expect(confirmed(few!, 1, rule)).toBe(false);
    expect(confirmed(few!, 10, rule)).toBe(false);
    expect(confirmed(few!, 1, { minMissing: 2, confirmAudits: 2 })).toBe(true);
  });

  it('news for a follow-up: a worse lead count, or a kind of finding never told', () => {
    const [p] = groupProblems(alertConditions(report({ submitted: [240, 60] }), T));
    expect(newsSince(p!, { missing: 60, level: rateLevel(0.25), kinds: ['onset'] })).toEqual({ worse: false, fresh: [] });
    expect(newsSince(p!, { missing: 30, level: rateLevel(0.25), kinds: ['onset'] }).worse).toBe(true);
    expect(newsSince(p!, { missing: 60, level: rateLevel(0.25), kinds: [] }).fresh.map((f) => f.kind)).toEqual(['onset']);
  });
});
