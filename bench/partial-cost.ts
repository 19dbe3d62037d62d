// `npm run bench`, part (d): what counting partial scorecards costs. The gap run as the bot runs it (window counts
// with partial and in-flight counting) against the same run whose windows use the query from before partial
// counting (baseline-window-query.ts), in one process, on the same data, alternated so neither arm gets the warmer
// cache. Both arms go through the same plan, read-only pool, concurrency and report building (finishGap); the
// look-back is off in both, since it would scan with the new query either way.
//
// It also checks exactness at scale: the run's partial count per month against a plain reference query (one
// NOT EXISTS per director score, NULL criteria matching NULL), and both arms' missing counts against each other.
import type pg from 'pg';
import { finishGap, planGap, runGap, type GapDeps } from '../src/gap/gap-service.js';
import type { GapReport } from '../src/gap/core/report.js';
import { windowRowSchema, type WindowCounts } from '../src/gap/core/window-counts.js';
import type { Period } from '../src/period/parse-period.js';
import { mapPool } from '../src/shared/map-pool.js';
import { baselineWindowCountsQuery } from './baseline-window-query.js';

/** The gap run with the baseline window query: partial and in flight are not counted (0). */
export async function baselineGapRun(deps: GapDeps, customer: string, period: Period): Promise<GapReport> {
  const startedAt = performance.now();
  const plan = planGap(deps.sources, deps.settings, customer, period, new Date());
  const db = await deps.sources.readOnly(plan.customer);
  const windows = await mapPool(
    plan.windows,
    async (w): Promise<WindowCounts> => {
      const t = performance.now();
      const q = baselineWindowCountsQuery(plan.customer, plan.profile, new Date(w.from), new Date(w.to));
      const rows = (await db.query<Record<string, unknown>>(q.text, q.values)).map((r) => windowRowSchema.parse({ ...r, partial: 0, in_flight: 0 }));
      return { window: w, rows, elapsedMs: Math.round(performance.now() - t) };
    },
    { concurrency: deps.settings.concurrency, attempts: 1 },
  );
  return finishGap(deps, plan, windows, startedAt);
}

export interface PartialCost {
  baselineMs: number[];
  partialMs: number[];
  ratio: number;
  report: GapReport;
  problems: string[];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

export async function measurePartialCost(deps: GapDeps, customer: string, period: Period, rounds: number, log: (line: string) => void): Promise<PartialCost> {
  const d: GapDeps = { ...deps, settings: { ...deps.settings, lookbackMonths: 0 } };
  const baselineMs: number[] = [];
  const partialMs: number[] = [];
  let base: GapReport | null = null;
  let report: GapReport | null = null;
  for (let i = 0; i < rounds; i++) {
    // Alternate which arm goes first, so neither always runs on the other's warm cache.
    const arms = i % 2 === 0 ? (['baseline', 'partial'] as const) : (['partial', 'baseline'] as const);
    for (const arm of arms) {
      const t = performance.now();
      if (arm === 'baseline') base = await baselineGapRun(d, customer, period);
      else report = await runGap(d, customer, period);
      const ms = performance.now() - t;
      (arm === 'baseline' ? baselineMs : partialMs).push(ms);
      log(`(d) round ${i + 1}: ${arm.padEnd(8)} ${(ms / 1000).toFixed(2).padStart(7)} s`);
    }
  }
  const problems: string[] = [];
  if (base && report) {
    for (const m of report.monthly) {
      const b = base.monthly.find((x) => x.month === m.month);
      for (const p of ['submitted', 'unsubmitted'] as const) {
        if (b?.[p].total !== m[p].total || b?.[p].missing !== m[p].missing) {
          problems.push(`${m.month} ${p}: baseline ${b?.[p].total}/${b?.[p].missing}, with partial ${m[p].total}/${m[p].missing}`);
        }
      }
    }
  }
  return { baselineMs, partialMs, ratio: median(partialMs) / median(baselineMs), report: report!, problems };
}

/**
 * Partial scorecards per month and population, the plain way (one NOT EXISTS per director score, criteria compared
 * with IS NOT DISTINCT FROM): what the engine must agree with. Slow, once.
 */
export async function referencePartial(client: pg.Client, customer: string, profile: string, from: string, to: string): Promise<Map<string, number>> {
  const res = await client.query<{ month: string; submitted: boolean; partial: number }>(
    `SELECT to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, d.submitted_at IS NOT NULL AS submitted, count(*)::int AS partial
     FROM director.scorecards d
     WHERE d.customer = $1 AND d.profile = $2 AND d.created_at >= $3 AND d.created_at < $4
       AND d.calibrated_scorecard_id IS NULL AND (d.scorecard_type IS NULL OR d.scorecard_type = 0)
       AND EXISTS (SELECT 1 FROM historic.scorecard_scores h WHERE h.customer_id = $1 AND h.profile_id = $2 AND h.scorecard_id = d.resource_id)
       AND EXISTS (SELECT 1 FROM director.scores s
                   WHERE s.customer = $1 AND s.profile = $2 AND s.scorecard_id = d.resource_id
                     AND NOT EXISTS (SELECT 1 FROM historic.scorecard_scores h
                                     WHERE h.customer_id = $1 AND h.profile_id = $2 AND h.scorecard_id = d.resource_id
                                       AND h.criterion_id IS NOT DISTINCT FROM s.criterion_id))
     GROUP BY 1, 2`,
    [customer, profile, from, to],
  );
  return new Map(res.rows.map((r) => [`${r.month}|${r.submitted ? 'submitted' : 'unsubmitted'}`, r.partial]));
}

/**
 * Plants partial scorecards in the bench data once (the demo loader writes none): 1 in 16 of January's in-scope
 * scorecards present in historic lose their historic row of one criterion. Idempotent: does nothing when January
 * already has partial ones. The missing counts the investigation's queries compare are unchanged.
 */
export async function plantPartials(client: pg.Client, customer: string, profile: string, log: (line: string) => void): Promise<void> {
  const jan = await referencePartial(client, customer, profile, '2026-01-01', '2026-01-02');
  if ([...jan.values()].some((n) => n > 0)) return;
  log('planting partial scorecards in January (once): 1 in 16 present scorecards lose one criterion in historic...');
  const res = await client.query(
    `DELETE FROM historic.scorecard_scores h
     USING director.scorecards d
     WHERE d.customer = $1 AND d.profile = $2 AND d.created_at >= '2026-01-01' AND d.created_at < '2026-02-01'
       AND d.calibrated_scorecard_id IS NULL AND (d.scorecard_type IS NULL OR d.scorecard_type = 0)
       AND right(md5(d.resource_id), 1) = '0'
       AND h.customer_id = $1 AND h.profile_id = $2 AND h.scorecard_id = d.resource_id
       AND h.criterion_id = (SELECT max(x.criterion_id) FROM historic.scorecard_scores x
                             WHERE x.customer_id = $1 AND x.profile_id = $2 AND x.scorecard_id = d.resource_id)
       AND (SELECT count(*) FROM historic.scorecard_scores x
            WHERE x.customer_id = $1 AND x.profile_id = $2 AND x.scorecard_id = d.resource_id) > 1`,
    [customer, profile],
  );
  log(`  ${res.rowCount} historic rows removed; vacuuming so index-only scans stay index-only`);
  await client.query('VACUUM ANALYZE historic.scorecard_scores');
}
