import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { computePlan } from '../../src/backfill/plan.js';
import { periodScope } from '../../src/backfill/scope.js';
import { checkScorecard } from '../../src/check/check-service.js';
import { scorecardFactsQuery } from '../../src/check/check-queries.js';
import { planGap, runGap, type GapDeps } from '../../src/gap/gap-service.js';
import { missingIds } from '../../src/gap/missing-ids.js';
import { missingIdsQuery, uuidV7Prefix } from '../../src/gap/core/queries.js';
import { gapReportSchema, type GapReport, type Population } from '../../src/gap/core/report.js';
import { backfillMessage, rootMessage } from '../../src/gap/views/gap-blocks.js';
import { renderTerminalReport } from '../../src/gap/views/terminal-report.js';
import { parsePeriod } from '../../src/period/parse-period.js';
import { CustomerSources } from '../../src/sources/customer-sources.js';
import { createLogger } from '../../src/shared/logger.js';
import { createEmptyDatabase } from '../support/demo-database.js';
import { createContract, dataset, EXPECTED, insertScorecards, scorecard, type SyntheticScorecard } from '../support/partial-scorecards.js';

// Partial scorecards: in historic, but with a director score whose criterion has no historic row (criteria compared
// as sets, NULL matching NULL). Every expected number comes from how the synthetic data was built (partial-
// scorecards.ts), at full volume (2,000 submitted, 500 unsubmitted) and at 1/100, on both presence paths (UUIDv7 IDs
// decided by the window's range read, other IDs by probes).

const PROFILE = 'eu-1';
const NOW = new Date('2026-04-01T00:00:00Z');
const PERIOD = '2026-03-02..2026-03-06';
const FROM = new Date('2026-03-02T00:00:00Z');
const DAYS = ['2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06'];

type State = 'present' | 'partial' | 'missing';

/** IDs that are not UUIDv7 (the probe path), and an excluded one: the same for both volumes. */
function extras(customer: string): SyntheticScorecard[] {
  const at = (h: number) => new Date(Date.UTC(2026, 2, 3, h));
  return [
    scorecard({ id: '3f1c2b9e-8d7a-4c6b-9a5e-1f2d3c4b5a69', customer, createdAt: at(9), submittedAt: at(11), kind: 'half' }),
    scorecard({ id: '4a2d3c0f-9e8b-4d7c-8b6f-2e3f4d5c6b7a', customer, createdAt: at(9), submittedAt: at(11), kind: 'different' }),
    scorecard({ id: '5b3e4d1a-0f9c-4e8d-9c7a-3f4a5e6d7c8b', customer, createdAt: at(10), submittedAt: at(12), kind: 'null_both' }),
    scorecard({ id: 'e2b7c1d4-5a6f-4e8d-b9c0-a1b2c3d4e5f6', customer, createdAt: at(10), kind: 'missing' }),
    scorecard({ id: '6c4f5e2b-1a0d-4f9e-8d8b-4a5b6f7e8d9c', customer, createdAt: at(10), kind: 'null_director_only' }),
    // A calibration scorecard lacking criteria is excluded by design, never partial.
    scorecard({ id: '7d5a6f3c-2b1e-4a0f-9e9c-5b6c7a8f9e0d', customer, createdAt: at(11), kind: 'half', calibration: true }),
  ];
}

const stateOf = (s: SyntheticScorecard): State | 'excluded' => (s.calibration ? 'excluded' : EXPECTED[s.kind]);
const populationOf = (s: SyntheticScorecard): Population => (s.submittedAt ? 'submitted' : 'unsubmitted');
const count = (cards: SyntheticScorecard[], p: Population, state: State, day?: string): number =>
  cards.filter((s) => populationOf(s) === p && stateOf(s) === state && (day === undefined || s.createdAt.toISOString().startsWith(day))).length;
const judged = (cards: SyntheticScorecard[], p: Population, day?: string): number =>
  cards.filter((s) => !s.calibration && populationOf(s) === p && (day === undefined || s.createdAt.toISOString().startsWith(day))).length;

describe.each([
  { volume: 'full', submitted: 2000, unsubmitted: 500 },
  { volume: '1/100', submitted: 20, unsubmitted: 5 },
])('partial scorecards at $volume volume', ({ submitted, unsubmitted }) => {
  let db: Awaited<ReturnType<typeof createEmptyDatabase>>;
  let sources: CustomerSources;
  let deps: GapDeps;
  let acme: SyntheticScorecard[];
  let beta: SyntheticScorecard[];
  let report: GapReport;
  const config = (url: string) =>
    parseConfig(JSON.stringify({ customers: ['acme', 'beta'].map((name) => ({ name, profile: PROFILE, postgres: { url } })), logLevel: 'silent' }), {});

  beforeAll(async () => {
    db = await createEmptyDatabase('sgb_partial');
    await createContract(db.url);
    acme = [...dataset({ customer: 'acme', submitted, unsubmitted, from: FROM, days: DAYS.length, idBase: 0 }), ...extras('acme')];
    // beta: every scorecard in historic, 1 in 20 of them with half its criteria.
    beta = dataset({ customer: 'beta', submitted: 40, unsubmitted: 0, from: FROM, days: DAYS.length, idBase: 1_000_000 }).map((s, i) =>
      scorecard({ ...s, kind: i % 20 === 0 ? 'half' : 'complete' }),
    );
    await insertScorecards(db.url, PROFILE, [...acme, ...beta]);
    const cfg = config(db.url);
    sources = new CustomerSources(cfg);
    deps = { sources, clickhouse: null, settings: cfg.gap, logger: createLogger({ level: 'silent' }), now: () => NOW };
    report = await runGap(deps, 'acme', parsePeriod(PERIOD, NOW));
  }, 120_000);

  afterAll(async () => {
    await sources?.close();
    await db?.drop();
  });

  it('counts partial scorecards per population, disjoint from missing, which keeps its meaning', () => {
    for (const p of ['submitted', 'unsubmitted'] as const) {
      expect(report.populations[p]).toMatchObject({
        total: judged(acme, p),
        missing: count(acme, p, 'missing'),
        partial: count(acme, p, 'partial'),
        inFlight: 0,
      });
    }
    // The generator's own numbers: 1 in 20 half, and the swapped, NULL-only and probe-path ones on top.
    const half = Math.ceil(submitted / 20);
    const different = Math.ceil((submitted - 7) / 200);
    expect(report.populations.submitted.partial).toBe(half + different + 1 /* null_director_only */ + 2 /* probe path: half, different */);
    expect(report.excluded.calibration).toBe(1);
  });

  it('counts them per day, month and hour', () => {
    for (const date of DAYS) {
      const day = report.daily.find((d) => d.date === date);
      for (const p of ['submitted', 'unsubmitted'] as const) {
        expect({ date, p, ...day?.[p] }).toEqual({ date, p, total: judged(acme, p, date), missing: count(acme, p, 'missing', date), partial: count(acme, p, 'partial', date) });
      }
    }
    const march = report.monthly.find((m) => m.month === '2026-03');
    expect(march?.submitted.partial).toBe(count(acme, 'submitted', 'partial'));
    const hourlyPartial = report.hourly.reduce((n, h) => n + h.submitted.partial + h.unsubmitted.partial, 0);
    // One-day hours only for the hours that matter; the whole period's partial cells are in the daily sums above.
    expect(hourlyPartial).toBeLessThanOrEqual(count(acme, 'submitted', 'partial') + count(acme, 'unsubmitted', 'partial'));
  });

  it('the verdict is a gap while some are missing, and partial_only when none is', async () => {
    expect(report.verdict).toBe('gap');
    const b = await runGap(deps, 'beta', parsePeriod(PERIOD, NOW));
    expect(b.populations.submitted).toMatchObject({ total: 40, missing: 0, partial: 2 });
    expect(b.verdict).toBe('partial_only');
    // Not "no gap" anywhere a person reads it, and the backfill is offered although nothing is missing.
    const text = renderTerminalReport(b);
    expect(text).not.toContain('no gap');
    expect(text).toContain('every scorecard has rows in historic, but 2 of 40 submitted (5.0%) scorecards lack criteria');
    expect(rootMessage({ status: 'done', report: b }).text).toContain('lack criteria that director.scores has');
    const button = backfillMessage(b, 'run-1');
    expect(button?.text).toContain('2 scorecards partial in historic');
  });

  it('the JSON carries partial per population and bucket, and parses with the published schema', () => {
    const json = gapReportSchema.parse(JSON.parse(JSON.stringify(report)));
    expect(json.populations.submitted.partial).toBe(count(acme, 'submitted', 'partial'));
    expect(json.daily.map((d) => d.submitted.partial)).toEqual(DAYS.map((date) => count(acme, 'submitted', 'partial', date)));
    expect(json.settle).toEqual({ minutes: 30, cutoff: '2026-03-31T23:30:00.000Z', clickhouseMinutes: null, clickhouseCutoff: null });
  });

  it('the terminal shows the partial line and column', () => {
    const text = renderTerminalReport(report);
    const n = count(acme, 'submitted', 'partial');
    expect(text).toContain(`Partial: ${n.toLocaleString('en-US')} of ${judged(acme, 'submitted').toLocaleString('en-US')} submitted`);
    expect(text).toMatch(/\| Partial \|/);
  });

  it('the CSV lists missing and partial scorecards with their state, and nothing else', async () => {
    const plan = planGap(sources, deps.settings, 'acme', parsePeriod(PERIOD, NOW), NOW);
    const rows: { id: string; state: string }[] = [];
    for await (const r of missingIds(sources, plan)) rows.push({ id: r.scorecardId, state: r.state });
    const want = acme
      .filter((s) => stateOf(s) === 'missing' || stateOf(s) === 'partial')
      .map((s) => ({ id: s.id, state: stateOf(s) }))
      .sort((x, y) => x.id.localeCompare(y.id));
    expect([...rows].sort((x, y) => x.id.localeCompare(y.id))).toEqual(want);
  });

  it('/scorecard-check agrees on every kind of scorecard, on both paths', async () => {
    const checkDeps = { sources, clickhouse: null, timeoutMs: 15_000, logger: createLogger({ level: 'silent' }) };
    const one = (kind: SyntheticScorecard['kind'], v7: boolean) => acme.find((s) => s.kind === kind && !s.calibration && s.id.charAt(14) === (v7 ? '7' : '4'))!;
    const cases: [SyntheticScorecard, string][] = [
      [one('half', true), 'partial_historic'],
      [one('different', true), 'partial_historic'],
      [one('null_director_only', true), 'partial_historic'],
      [one('null_both', true), 'healthy'],
      [one('superset', true), 'healthy'],
      [one('half', false), 'partial_historic'],
      [one('null_both', false), 'healthy'],
      [one('missing', true), 'missing_historic'],
    ];
    for (const [s, verdict] of cases) {
      const r = await checkScorecard(checkDeps, { id: s.id, customer: 'acme' });
      expect({ kind: s.kind, verdict: r.verdict }).toEqual({ kind: s.kind, verdict });
    }
  });

  it('the backfill plan repairs exactly the partial scorecards (it compares per score)', async () => {
    const db2 = await sources.readOnly('acme');
    const plan = await computePlan({ db: db2, clickhouse: null, scope: periodScope(sources.customer('acme'), parsePeriod(PERIOD, NOW), false), target: null });
    const partial = count(acme, 'submitted', 'partial') + count(acme, 'unsubmitted', 'partial');
    const missing = count(acme, 'submitted', 'missing') + count(acme, 'unsubmitted', 'missing');
    expect(plan.toWrite.byReason).toEqual({ missing, partial, clickhouse_only: 0 });
  });
});

describe('the window definition and the per-score definition agree on every edge of "criteria as sets"', () => {
  // [director criteria, historic criteria, partial?]: NULL matches NULL, never the empty string; duplicates and
  // extra historic criteria do not make a scorecard partial; a scorecard without scores lacks nothing.
  const CASES: [(string | null)[], (string | null)[], boolean][] = [
    [['a', 'b'], ['a', 'b'], false],
    [['a', 'b'], ['a'], true],
    [['a', null], ['a', null], false],
    [['a', null], ['a'], true],
    [['a'], ['a', null], false],
    [['', 'a'], [null, 'a'], true],
    [[null, 'a'], ['', 'a'], true],
    [['a', 'a'], ['a'], false],
    [['a'], ['a', 'a', 'b'], false],
    [['c'], ['a', 'b'], true],
    [[], ['a'], false],
    [[null], [null], false],
  ];
  let db: Awaited<ReturnType<typeof createEmptyDatabase>>;
  let sources: CustomerSources;
  const at = new Date('2026-03-03T10:00:00Z');
  // Each case twice: a UUIDv7 minted at creation (the range path) and a v4 ID (the probe path).
  const ids = CASES.flatMap((_, i) => [
    { i, id: `${uuidV7Prefix(at)}-7000-8000-${String(i).padStart(12, '0')}` },
    { i, id: `0000${String(i).padStart(4, '0')}-0000-4000-8000-000000000000` },
  ]);

  beforeAll(async () => {
    db = await createEmptyDatabase('sgb_sets');
    await createContract(db.url);
    const cards: SyntheticScorecard[] = ids.map(({ i, id }) => ({
      id,
      customer: 'acme',
      createdAt: new Date(at.getTime() + i * 60_000),
      submittedAt: null,
      calibration: false,
      kind: 'complete',
      director: CASES[i]![0],
      historic: CASES[i]![1],
    }));
    await insertScorecards(db.url, PROFILE, cards);
    const cfg = parseConfig(JSON.stringify({ customers: [{ name: 'acme', profile: PROFILE, postgres: { url: db.url } }], logLevel: 'silent' }), {});
    sources = new CustomerSources(cfg);
  }, 60_000);

  afterAll(async () => {
    await sources?.close();
    await db?.drop();
  });

  it('on the range path and the probe path, as /scorecard-check counts scores without their row', async () => {
    const day = new Date('2026-03-03T00:00:00Z');
    const q = missingIdsQuery('acme', PROFILE, day, new Date(day.getTime() + 86_400_000), NOW);
    const ro = await sources.readOnly('acme');
    const got = new Set((await ro.query<{ scorecard_id: string; state: string }>(q.text, q.values)).filter((r) => r.state === 'partial').map((r) => r.scorecard_id));
    const want = new Set(ids.filter(({ i }) => CASES[i]![2]).map(({ id }) => id));
    expect([...got].sort()).toEqual([...want].sort());
    // The check's own statement on each: scores_without_historic > 0 exactly for the partial ones.
    for (const { i, id } of ids) {
      const f = scorecardFactsQuery('acme', PROFILE, id, null);
      const [row] = await ro.query<{ scores_without_historic: number; historic_rows: number }>(f.text, f.values);
      expect({ case: i, id, partial: row!.historic_rows > 0 && row!.scores_without_historic > 0 }).toEqual({ case: i, id, partial: CASES[i]![2] });
    }
  });
});
