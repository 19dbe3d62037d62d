import { describe, expect, it } from 'vitest';
import { groundTruth, type GroundTruth } from '../../dev/demo/ground-truth.js';
import { cohortScoreSum, md5, memberCreatedMs, memberScoreCount, memberSubmittedMs, uuid7 } from '../../dev/demo/ids.js';
import { CUSTOMERS, INCIDENT_PROFILE, MONTHS } from '../../dev/demo/incident-profile.js';
import { EXAMPLE_SCORECARD_ID } from '../../dev/demo/named.js';
import { apportion, DAY_MS, dayMs } from '../../dev/demo/numbers.js';
import { buildPlan, type DemoPlan } from '../../dev/demo/plan.js';

// The plan at scale 1 must reproduce the report's tables exactly; below it, proportionally. Plans are built once
// per scale (scale 1 takes a few seconds).

const full = buildPlan({ seed: 42, scale: 1 });
const truth = groundTruth(full);
const small = buildPlan({ seed: 42, scale: 0.01 });
const smallTruth = groundTruth(small);
const c = (g: GroundTruth, customer: (typeof CUSTOMERS)[number]) => {
  const t = g.perCustomer[customer];
  if (!t) throw new Error(`no ${customer}`);
  return t;
};

describe('apportion', () => {
  it('reproduces integer weights exactly and respects caps', () => {
    expect(apportion(10, [3, 0, 7])).toEqual([3, 0, 7]);
    expect(apportion(5, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]).reduce((s, x) => s + x, 0)).toBe(5);
    expect(apportion(6, [10, 1, 1], [2, 5, 5])).toEqual([2, 2, 2]);
    expect(() => apportion(3, [0, 0])).toThrow(/no capacity/);
  });
});

describe('ids', () => {
  it('makes UUIDv7-shaped ids whose first 48 bits are created_at', () => {
    const h = md5('x|1');
    const created = memberCreatedMs(dayMs('2026-01-23') + 3 * 3_600_000, 27_580, 1, h);
    const id = uuid7(created, h);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace('-', '').slice(0, 12), 16)).toBe(created);
    const submitted = memberSubmittedMs(created, 2, h);
    expect(Math.floor(submitted / DAY_MS) - Math.floor(created / DAY_MS)).toBe(2);
    expect(submitted).toBeGreaterThan(created);
  });
  it('sums score counts without enumerating members', () => {
    let sum = 0;
    for (let i = 1; i <= 1001; i++) sum += memberScoreCount(5, 40, 17, i);
    expect(cohortScoreSum(5, 40, 17, 1001)).toBe(sum);
  });
});

describe('buildPlan at scale 1: the report', () => {
  it('reproduces the submitted January table and the monthly history', () => {
    const jan = (customer: (typeof CUSTOMERS)[number]) => c(truth, customer).monthly.submitted['2026-01'];
    expect(jan('rentokil')).toEqual([3637, 1165]);
    expect(jan('spirit')).toEqual([6395, 1868]);
    expect(jan('guitar-center')).toEqual([699, 285]);
    expect(jan('nclh')).toEqual([104, 54]);
    const r = c(truth, 'rentokil').monthly.submitted;
    expect([r['2025-08'], r['2025-09'], r['2025-10'], r['2025-11'], r['2025-12']]).toEqual([[6, 0], [67, 0], [173, 0], [3367, 0], [3984, 7]]);
    for (const customer of CUSTOMERS) {
      for (const month of ['2025-07', '2025-08', '2025-09', '2025-10', '2025-11']) {
        expect(c(truth, customer).monthly.submitted[month]?.[1] ?? 0, `${customer} ${month}`).toBe(customer === 'nclh' && month === '2025-07' ? 2 : 0);
      }
      expect(c(truth, customer).monthly.submitted['2026-02']?.[1]).toBe(0);
    }
  });

  it("reproduces rentokil's daily table and the Dec-31 scorecards submitted Jan 14-28", () => {
    const d = c(truth, 'rentokil').daily.submitted;
    const expected: Record<string, [number, number]> = {
      '2025-12-31': [79, 7], '2026-01-01': [32, 1], '2026-01-15': [129, 26], '2026-01-16': [128, 38], '2026-01-17': [49, 22],
      '2026-01-18': [34, 13], '2026-01-19': [62, 30], '2026-01-20': [216, 104], '2026-01-21': [159, 141], '2026-01-22': [119, 116],
      '2026-01-23': [95, 92], '2026-01-24': [25, 22], '2026-01-25': [24, 23], '2026-01-26': [102, 98], '2026-01-27': [81, 77],
      '2026-01-28': [26, 23],
    };
    for (const [date, v] of Object.entries(expected)) expect(d[date], date).toEqual(v);
    const jan2to14 = Object.entries(d).filter(([k]) => k >= '2026-01-02' && k <= '2026-01-14');
    expect(jan2to14.reduce((s, [, v]) => s + v[0], 0)).toBe(2106);
    expect(jan2to14.reduce((s, [, v]) => s + v[1], 0)).toBe(339);
    const dec15to30 = Object.entries(d).filter(([k]) => k >= '2025-12-15' && k <= '2025-12-30');
    expect(dec15to30.reduce((s, [, v]) => s + v[0], 0)).toBe(1200);
    const corr = c(truth, 'rentokil').events.find((e) => e.kind === 'submit_date_correlation');
    expect(corr).toMatchObject({ createdOn: '2025-12-31', count: 7, submittedFrom: '2026-01-14', submittedTo: '2026-01-28' });
  });

  it('puts the first missing scorecards where the report does', () => {
    expect(c(truth, 'rentokil').firstMissing.submitted?.createdAt).toBe('2025-12-31T15:30:41.512Z');
    expect(c(truth, 'spirit').firstMissing.submitted?.createdAt.slice(0, 16)).toBe('2026-01-08T22:37');
    expect(c(truth, 'guitar-center').firstMissing.submitted?.createdAt.slice(0, 16)).toBe('2026-01-10T07:39');
    expect(c(truth, 'nclh').firstMissing.submitted?.createdAt.slice(0, 10)).toBe('2025-07-03'); // an old one-off
    const onset = c(truth, 'nclh').events.find((e) => e.kind === 'onset');
    expect(onset).toMatchObject({ at: expect.stringMatching(/^2026-01-11T17:15/), oneOffsBefore: [expect.anything(), expect.anything()] });
  });

  it('plants the example scorecard exactly', () => {
    const ex = truth.named.find((n) => n.scorecardId === EXAMPLE_SCORECARD_ID);
    expect(ex).toMatchObject({ customer: 'rentokil', createdAt: '2026-01-17T07:56:06.373Z', scores: 35, historic: 0, missing: true, conversationExists: true });
    expect(ex?.submittedAt?.slice(0, 10)).toBe('2026-01-23');
    expect(full.named.find((n) => n.scorecardId === EXAMPLE_SCORECARD_ID)?.conversationEndedMs).toBeLessThan(dayMs('2026-01-17'));
    expect(truth.checkCases.missingHistoric?.scorecardId).toBe(EXAMPLE_SCORECARD_ID);
  });

  it('makes missing follow the submit date: submitted inside the bad window, nothing missing created from Jan 29', () => {
    for (const customer of CUSTOMERS) {
      const t = c(truth, customer);
      const windowStart = (t.events.find((e) => e.kind === 'onset') as { at: string }).at.slice(0, 10);
      for (const [pair, n] of Object.entries(t.missingSubmittedPairs)) {
        const [created, submitted] = pair.split('|') as [string, string];
        if (created < '2025-12-01') continue; // nclh's July one-offs
        expect(submitted >= windowStart && submitted < '2026-01-29', `${customer} ${pair} x${n}`).toBe(true);
      }
      for (const [date, [, m]] of Object.entries(t.daily.submitted)) if (date >= '2026-01-29') expect(m, `${customer} ${date}`).toBe(0);
    }
    const cp = c(truth, 'rentokil').events.find((e) => e.kind === 'change_point');
    expect(cp).toMatchObject({ at: '2026-01-21' });
    if (cp?.kind === 'change_point') {
      expect(cp.before.rate).toBeLessThan(0.35);
      expect(cp.after.rate).toBeGreaterThan(0.9);
    }
  });

  it('reproduces the unsubmitted tables: monthly, the rentokil batch hour, spirit 14:00', () => {
    const s = c(truth, 'spirit').monthly.unsubmitted;
    expect(MONTHS.slice(0, 7).map((m) => s[m])).toEqual([
      [74_097, 208], [934_526, 568], [1_028_204, 3_002], [1_582_092, 3_018], [1_336_711, 62_516], [1_378_896, 50_777], [2_644_078, 317_561],
    ]);
    expect(c(truth, 'rentokil').monthly.unsubmitted['2026-01']).toEqual([2_555_891, 27_373]);
    expect(c(truth, 'guitar-center').monthly.unsubmitted['2026-01']).toEqual([693_771, 3]);
    expect(c(truth, 'nclh').monthly.unsubmitted['2026-01']).toEqual([674_707, 0]);
    const h = c(truth, 'rentokil').hourly.unsubmitted;
    expect([h['2026-01-23T02'], h['2026-01-23T03'], h['2026-01-23T04']]).toEqual([[520, 0], [27_580, 27_344], [99, 0]]);
    const bf = c(truth, 'rentokil').events.find((e) => e.kind === 'batch_failure');
    expect(bf?.kind === 'batch_failure' && bf.templates.map((t) => [t.title, t.total])).toEqual([
      ["Sonya's Test - Process Template CSAT", 22_977], ['RTX Customer Care Scorecard 2026', 4_369], ['Pest Control Inbound QA', 234],
    ]);
    const sh = c(truth, 'spirit').hourly.unsubmitted;
    expect(['10', '11', '13', '14', '15', '16', '17'].map((d) => sh[`2026-01-${d}T14`])).toEqual([
      [60_669, 32_432], [41_416, 21_660], [59_862, 30_092], [60_483, 30_910], [60_527, 30_749], [63_469, 33_469], [60_787, 54],
    ]);
    expect(sh['2026-01-12T14']?.[0]).toBeLessThan(5_000); // no batch ran
    for (const d of ['18', '20', '25', '28']) {
      const [t, m] = sh[`2026-01-${d}T14`] ?? [0, 0];
      expect(t).toBeGreaterThan(45_000);
      expect(m).toBeGreaterThan(40);
      expect(m).toBeLessThan(100);
    }
  });

  it('adds ~1-2% excluded scorecards and keeps the whole dataset under 20M', () => {
    for (const customer of CUSTOMERS) {
      const t = c(truth, customer);
      const inScope = Object.values(t.monthly.unsubmitted).reduce((s, v) => s + v[0], 0) + Object.values(t.monthly.submitted).reduce((s, v) => s + v[0], 0);
      const share = (t.excluded.calibration + t.excluded.nonOriginal) / inScope;
      expect(share).toBeGreaterThan(0.01);
      expect(share).toBeLessThan(0.02);
    }
    expect(truth.rows.scorecards).toBeLessThan(20_000_000);
  });
});

describe('buildPlan below scale 1', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    expect(buildPlan({ seed: 42, scale: 0.01 })).toEqual(small);
    const other = buildPlan({ seed: 7, scale: 0.01 });
    expect(other.cohorts.map((x) => x.key)).not.toEqual(small.cohorts.map((x) => x.key));
    expect(groundTruth(other).perCustomer.rentokil?.monthly).toEqual(smallTruth.perCustomer.rentokil?.monthly);
  });

  it('scales every month exactly (round of the bulk, plus the named scorecards) and days within 2', () => {
    for (const customer of CUSTOMERS) {
      for (const pop of ['submitted', 'unsubmitted'] as const) {
        for (const month of MONTHS) {
          const named = full.named.filter((n) => n.customer === customer && n.population === pop && n.cls === 'in_scope' && new Date(n.createdMs).toISOString().startsWith(month));
          const namedMissing = named.filter((n) => n.historicCount === 0).length;
          const [t1, m1] = c(truth, customer).monthly[pop][month] ?? [0, 0];
          const [t, m] = c(smallTruth, customer).monthly[pop][month] ?? [0, 0];
          const label = `${customer} ${pop} ${month}`;
          expect(m - namedMissing, label).toBe(Math.round((m1 - namedMissing) * 0.01));
          expect(t - m - (named.length - namedMissing), label).toBe(Math.round((t1 - m1 - (named.length - namedMissing)) * 0.01));
        }
      }
      for (const [date, [t1]] of Object.entries(c(truth, customer).daily.unsubmitted)) {
        const [t] = c(smallTruth, customer).daily.unsubmitted[date] ?? [0, 0];
        expect(Math.abs(t - t1 * 0.01), `${customer} ${date}`).toBeLessThanOrEqual(3);
      }
    }
    const bf = c(smallTruth, 'rentokil').events.find((e) => e.kind === 'batch_failure');
    expect(bf?.kind === 'batch_failure' && Math.abs(bf.missing - 273)).toBeLessThanOrEqual(2);
  });

  it('plants every named scorecard at every scale', () => {
    expect(small.named.map((n) => n.scorecardId)).toEqual(full.named.map((n) => n.scorecardId));
    for (const k of Object.keys(smallTruth.checkCases) as (keyof GroundTruth['checkCases'])[]) {
      expect(smallTruth.checkCases[k]?.source, k).toBe('named');
    }
  });

  it('cuts subsets out of the full plan: same cohorts, same ids', () => {
    const sub = buildPlan({ seed: 42, scale: 0.01, customers: ['spirit'], from: '2026-01-01', to: '2026-02-01' });
    const inRange = (ms: number) => ms >= dayMs('2026-01-01') && ms < dayMs('2026-02-01');
    const strip = (p: DemoPlan) => p.cohorts.map((x) => ({ ...x, ref: null }));
    expect(strip(sub)).toEqual(strip({ ...small, cohorts: small.cohorts.filter((x) => x.customer === 'spirit' && inRange(x.hourMs)) }));
    expect(sub.named.every((n) => n.customer === 'spirit' && inRange(n.createdMs))).toBe(true);
    const t = groundTruth(sub);
    expect(Object.keys(t.perCustomer)).toEqual(['spirit']);
    expect(t.perCustomer.spirit?.events.some((e) => e.kind === 'recurring_failure')).toBe(true);
    expect(t.checkCases.calibration?.source).toBe('bulk');
  });

  it('rejects bad options', () => {
    expect(() => buildPlan({ seed: 42, scale: 0 })).toThrow(/scale/);
    expect(() => buildPlan({ seed: 42, scale: 0.1, from: '2026-02-01', to: '2026-01-01' })).toThrow(/before/);
    expect(() => buildPlan({ seed: 42, scale: 0.1, from: '2025-01-01' })).toThrow(/covers/);
  });

  it('has a profile for every customer of the report', () => {
    expect(Object.keys(INCIDENT_PROFILE)).toEqual([...CUSTOMERS]);
  });
});
