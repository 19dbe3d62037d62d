import type { GapSettings } from '../config/schema.js';
import type { Period } from '../period/parse-period.js';
import { CLICKHOUSE_SETTLE_MINUTES, type ClickhouseTier } from '../sources/clickhouse.js';
import { clickhouseFor, type ClickhouseTiers } from '../sources/clickhouse-tiers.js';
import type { CustomerSources } from '../sources/customer-sources.js';
import type { ReadOnlyDb } from '../sources/read-only-db.js';
import { afterRetries, BotError, userFacing } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { ItemFailedError, mapPool } from '../shared/map-pool.js';
import { analyze, hoursThatMatter, verdictOf } from './core/analyze/index.js';
import { buildReport } from './core/build-report.js';
import type { EarlierScan } from './core/analyze/index.js';
import { lookbackNeeded, runLookback, type LookbackProgress } from './lookback.js';
import { attachChanges } from './what-changed/attach.js';
import type { ChangesLoader } from '../changes/loader.js';
import { clickhouseMissingDays as compareClickhouse } from './clickhouse-compare.js';
import { clickhouseUnavailableReason } from './clickhouse-unavailable.js';
import { mergeWindows, type MergedCounts } from './core/merge-windows.js';
import { anyScorecardsQuery, firstMissingQuery, missingTemplatesQuery } from './core/queries.js';
import type { Finding, GapReport, Population } from './core/report.js';
import type { GapSeries } from './core/series.js';
import { scanWindow } from './scan-window.js';
import type { WindowCounts } from './core/window-counts.js';
import { dayWindows, scanRange, type TimeWindow } from './core/windows.js';

export interface GapDeps {
  sources: CustomerSources;
  /** Each customer's ClickHouse; a run compares only against its own customer's (null: none configured). */
  clickhouse: ClickhouseTiers | null;
  settings: GapSettings;
  logger: Logger;
  now?: () => Date;
  /** Scorecards a day above which ClickHouse is compared per hour (default CLICKHOUSE_HOURLY_ABOVE). */
  clickhouseHourlyAbove?: number;
  /** Reads the configured change sources (config `changes:`); absent: the report has no "what changed" section. */
  changes?: ChangesLoader;
}

/** What a gap run will do: which customer, which windows. The unit a job flow fans out. */
export interface GapPlan {
  customer: string;
  profile: string;
  period: { from: string; to: string; label: string; grain: 'day' | 'hour' };
  scanned: { from: string; to: string };
  windows: TimeWindow[];
  /**
   * The run's settle rule, decided once when it is planned (from the injected clock) and carried in every job:
   * scorecards created or submitted at or after `cutoff` (plannedAt minus gap.settleMinutes) are in flight.
   */
  settle: { plannedAt: string; minutes: number; cutoff: string };
  /** A probe found no scorecard in the scanned range (see withProbe): no windows to scan. */
  empty?: boolean;
}

const MINUTE_MS = 60_000;

export function planGap(sources: CustomerSources, settings: GapSettings, customerName: string, period: Period, now: Date): GapPlan {
  const customer = sources.customer(customerName);
  const scanned = scanRange(period, settings.historyMonths);
  return {
    customer: customer.name,
    profile: customer.profile,
    period: { from: period.from.toISOString(), to: period.to.toISOString(), label: period.label, grain: period.grain },
    scanned: { from: scanned.from.toISOString(), to: scanned.to.toISOString() },
    windows: dayWindows(scanned.from, scanned.to),
    settle: { plannedAt: now.toISOString(), minutes: settings.settleMinutes, cutoff: new Date(now.getTime() - settings.settleMinutes * MINUTE_MS).toISOString() },
  };
}

const settledBefore = (plan: GapPlan): Date => new Date(plan.settle.cutoff);

/** ClickHouse's own cutoff: the same instant the run was planned at, minus clickhouse.settleMinutes. */
function clickhouseSettle(plan: GapPlan, ch: ClickhouseTier): { minutes: number; cutoff: Date } {
  const minutes = ch.settleMinutes ?? CLICKHOUSE_SETTLE_MINUTES;
  return { minutes, cutoff: new Date(Date.parse(plan.settle.plannedAt) - minutes * MINUTE_MS) };
}

export async function scanPlanWindow(deps: Pick<GapDeps, 'sources'>, plan: GapPlan, window: TimeWindow): Promise<WindowCounts> {
  const db = await deps.sources.readOnly(plan.customer);
  return scanWindow(db, plan.customer, plan.profile, window, settledBefore(plan));
}

const periodOf = (plan: GapPlan): Period => ({
  from: new Date(plan.period.from),
  to: new Date(plan.period.to),
  label: plan.period.label,
  grain: plan.period.grain,
});

async function firstMissing(db: ReadOnlyDb, plan: GapPlan, merged: Pick<MergedCounts, 'firstMissingHour'>): Promise<GapSeries['firstMissing']> {
  const one = async (population: Population): Promise<GapSeries['firstMissing'][Population]> => {
    const hour = merged.firstMissingHour[population];
    if (hour === null) return null;
    const q = firstMissingQuery(plan.customer, plan.profile, new Date(hour), population === 'submitted', settledBefore(plan));
    const [row] = await db.query<{ scorecard_id: string; created_at: Date; submitted_at: Date | null }>(q.text, q.values);
    if (!row) return null;
    return { scorecardId: row.scorecard_id, createdAt: row.created_at.toISOString(), submittedAt: row.submitted_at?.toISOString() ?? null };
  };
  const [submitted, unsubmitted] = await Promise.all([one('submitted'), one('unsubmitted')]);
  return { submitted, unsubmitted };
}

/**
 * The ClickHouse tier, compared per day (per hour on large days, see clickhouse-compare.ts). ClickHouse failing
 * degrades the report instead of sinking it: historic is still reported, the tier marked unavailable and why.
 */
async function clickhouseMissingDays(
  deps: GapDeps,
  db: ReadOnlyDb,
  plan: GapPlan,
  merged: MergedCounts,
): Promise<{ days: GapSeries['clickhouseMissingDays']; inFlight: Record<Population, number> | null; error: string | null }> {
  const ch = clickhouseFor(deps.clickhouse, plan.customer);
  if (!ch) return { days: [], inFlight: null, error: null };
  const presentByHour = new Map<string, number>();
  for (const p of ['submitted', 'unsubmitted'] as const) {
    for (const c of merged.hourly[p]) presentByHour.set(c.hour, (presentByHour.get(c.hour) ?? 0) + c.total - c.missing);
  }
  try {
    const { days, inFlight } = await compareClickhouse(ch, db, {
      customer: plan.customer,
      profile: plan.profile,
      period: plan.period,
      settledBefore: settledBefore(plan),
      clickhouseSettledBefore: clickhouseSettle(plan, ch).cutoff,
      presentByHour,
      concurrency: deps.settings.concurrency,
      attempts: deps.settings.windowAttempts,
      hourlyAbove: deps.clickhouseHourlyAbove,
    });
    return { days, inFlight, error: null };
  } catch (err) {
    const cause = err instanceof ItemFailedError ? err.cause : err;
    // A BotError comes from historic's side (PostgreSQL), which the whole report depends on: that one is fatal.
    if (cause instanceof BotError) throw cause;
    deps.logger.warn({ err: cause, customer: plan.customer }, 'gap: ClickHouse comparison failed; reporting historic only');
    return { days: [], inFlight: null, error: clickhouseUnavailableReason(cause) };
  }
}

async function withTemplates(db: ReadOnlyDb, plan: GapPlan, findings: Finding[]): Promise<Finding[]> {
  return Promise.all(
    findings.map(async (f) => {
      if (f.kind !== 'batch_failure') return f;
      const q = missingTemplatesQuery(plan.customer, plan.profile, new Date(f.at), f.population === 'submitted', settledBefore(plan));
      const rows = await db.query<{ template_id: string | null; title: string | null; count: number }>(q.text, q.values);
      return { ...f, templates: rows.map((r) => ({ templateId: r.template_id ?? '', title: r.title, count: r.count })) };
    }),
  );
}

/**
 * The look-back (./lookback.ts), only when a loss was already there on the first day scanned: the months before,
 * with the real first missing scorecard of each population it reached back for.
 */
async function lookBack(
  deps: GapDeps,
  db: ReadOnlyDb,
  plan: GapPlan,
  series: GapSeries,
  onProgress?: (p: LookbackProgress) => void,
): Promise<{ series: GapSeries; earlier?: EarlierScan; windows: number; queries: number }> {
  const need = lookbackNeeded(analyze(series));
  const months = deps.settings.lookbackMonths;
  if (need.length === 0 || months <= 0) return { series, windows: 0, queries: 0 };
  const scan = (w: TimeWindow): Promise<WindowCounts> => scanWindow(db, plan.customer, plan.profile, w, settledBefore(plan));
  const opts = { scan, concurrency: deps.settings.concurrency, attempts: deps.settings.windowAttempts, onProgress };
  let result: Awaited<ReturnType<typeof runLookback>>;
  try {
    result = await runLookback(opts, plan.scanned.from, months, need);
  } catch (err) {
    // The look-back only dates a loss the report already shows: failing, it leaves "it began earlier" standing.
    deps.logger.warn({ err: err instanceof ItemFailedError ? err.cause : err, customer: plan.customer }, 'gap: look-back failed; reporting without it');
    return { series, windows: 0, queries: 0 };
  }
  const hours = { submitted: need.includes('submitted') ? result.firstMissingHour.submitted : null, unsubmitted: need.includes('unsubmitted') ? result.firstMissingHour.unsubmitted : null };
  const earliest = await firstMissing(db, plan, { firstMissingHour: hours });
  const found = (['submitted', 'unsubmitted'] as const).filter((p) => earliest[p] !== null);
  const firstOf = { submitted: earliest.submitted ?? series.firstMissing.submitted, unsubmitted: earliest.unsubmitted ?? series.firstMissing.unsubmitted };
  deps.logger.info({ customer: plan.customer, need, stoppedBy: result.stoppedBy, windows: result.windows }, 'gap: look-back done');
  return { series: { ...series, firstMissing: firstOf }, earlier: result.earlier, windows: result.windows, queries: result.windows + found.length };
}

/**
 * One query before any window: when the customer has no scorecard in the scanned range (its period and history),
 * the plan becomes empty, with no windows. In a fleet most customers of a period have none.
 */
export async function withProbe(deps: Pick<GapDeps, 'sources'>, plan: GapPlan): Promise<GapPlan> {
  const db = await deps.sources.readOnly(plan.customer);
  const q = anyScorecardsQuery(plan.customer, plan.profile, new Date(plan.scanned.from), new Date(plan.scanned.to));
  const [row] = await db.query<{ any: boolean }>(q.text, q.values);
  return row?.any ? plan : { ...plan, windows: [], empty: true };
}

/** The settle rules a report states: the run's own cutoff, and ClickHouse's when it is configured. */
function settleOf(deps: GapDeps, plan: GapPlan): GapReport['settle'] {
  const tier = clickhouseFor(deps.clickhouse, plan.customer);
  const ch = tier ? clickhouseSettle(plan, tier) : null;
  return { minutes: plan.settle.minutes, cutoff: plan.settle.cutoff, clickhouseMinutes: ch?.minutes ?? null, clickhouseCutoff: ch?.cutoff.toISOString() ?? null };
}

/** The report of an empty plan: no scorecards, verdict no_data, built from nothing but the plan (no query). */
export function emptyReport(deps: GapDeps, plan: GapPlan, startedAt: number): GapReport {
  const series: GapSeries = {
    period: { from: plan.period.from, to: plan.period.to },
    scanned: plan.scanned,
    hourly: { submitted: [], unsubmitted: [] },
    bySubmitDate: [],
    missingSubmittedPairs: [],
    firstMissing: { submitted: null, unsubmitted: null },
    clickhouseMissingDays: [],
  };
  return buildReport({
    customer: plan.customer,
    profile: plan.profile,
    period: periodOf(plan),
    series,
    excluded: { calibration: 0, nonOriginal: 0 },
    clickhouseConfigured: clickhouseFor(deps.clickhouse, plan.customer) !== null,
    clickhouseError: null,
    findings: [],
    verdict: 'no_data',
    hoursThatMatter: [],
    historyMonths: deps.settings.historyMonths,
    stats: { windows: 0, queries: 1, elapsedMs: Math.round(performance.now() - startedAt), lookbackWindows: 0 },
    generatedAt: (deps.now ?? (() => new Date()))(),
    settle: settleOf(deps, plan),
    clickhouseInFlight: clickhouseFor(deps.clickhouse, plan.customer) ? { submitted: 0, unsubmitted: 0 } : null,
  });
}

/** After the windows: merge, look up the few rows worth naming, compare ClickHouse, analyse, shape the report. */
export async function finishGap(
  deps: GapDeps,
  plan: GapPlan,
  windows: WindowCounts[],
  startedAt: number,
  hooks: { onLookbackProgress?: (p: LookbackProgress) => void } = {},
): Promise<GapReport> {
  if (plan.empty) return emptyReport(deps, plan, startedAt);
  const db = await deps.sources.readOnly(plan.customer);
  const merged = mergeWindows(windows, plan.period);
  const [first, ch] = await Promise.all([firstMissing(db, plan, merged), clickhouseMissingDays(deps, db, plan, merged)]);
  const chDays = ch.days;
  const series: GapSeries = {
    period: { from: plan.period.from, to: plan.period.to },
    scanned: plan.scanned,
    hourly: merged.hourly,
    bySubmitDate: merged.bySubmitDate,
    missingSubmittedPairs: merged.missingSubmittedPairs,
    firstMissing: first,
    clickhouseMissingDays: chDays,
  };
  const look = await lookBack(deps, db, plan, series, hooks.onLookbackProgress);
  const findings = await withTemplates(db, plan, analyze(look.series, look.earlier));
  const chConfigured = clickhouseFor(deps.clickhouse, plan.customer) !== null;
  const queries = windows.length + look.queries + 2 + (chConfigured ? 1 + chDays.length : 0) + findings.filter((f) => f.kind === 'batch_failure').length;
  const report = buildReport({
    customer: plan.customer,
    profile: plan.profile,
    period: periodOf(plan),
    series: look.series,
    excluded: merged.excluded,
    clickhouseConfigured: chConfigured,
    clickhouseError: ch.error,
    findings,
    verdict: verdictOf(series, findings),
    hoursThatMatter: hoursThatMatter(series, findings),
    historyMonths: deps.settings.historyMonths,
    stats: { windows: windows.length, queries, elapsedMs: Math.round(performance.now() - startedAt), lookbackWindows: look.windows },
    generatedAt: (deps.now ?? (() => new Date()))(),
    settle: settleOf(deps, plan),
    clickhouseInFlight: ch.inFlight,
  });
  return attachChanges(report, deps.changes);
}

/** The whole run in-process (CLI, tests, bench): windows concurrently up to the limit, each retried alone. */
export async function runGap(
  deps: GapDeps,
  customerName: string,
  period: Period,
  hooks: { onProgress?: (done: number, total: number) => void; onLookbackProgress?: (p: LookbackProgress) => void } = {},
): Promise<GapReport> {
  const startedAt = performance.now();
  const full = planGap(deps.sources, deps.settings, customerName, period, (deps.now ?? (() => new Date()))());
  // A probe that fails (the server busy, a failover) leaves the plan whole: the windows retry with backoff.
  const plan = await withProbe(deps, full).catch(() => full);
  if (plan.empty) return emptyReport(deps, plan, startedAt);
  let windows: WindowCounts[];
  try {
    windows = await mapPool(plan.windows, (w) => scanPlanWindow(deps, plan, w), {
      concurrency: deps.settings.concurrency,
      attempts: deps.settings.windowAttempts,
      // The same retry budget as the job path (gap.retryBackoffMs), so a 30 s failover does not fail a CLI run.
      backoffMs: deps.settings.retryBackoffMs,
      onItemDone: hooks.onProgress,
    });
  } catch (err) {
    if (err instanceof ItemFailedError) {
      const w = plan.windows[err.index];
      const inner = err.cause instanceof BotError ? err.cause : null;
      const shown = afterRetries(inner, err.attemptsMade) ?? userFacing(err.cause);
      throw new BotError(inner?.code ?? 'INTERNAL', `${plan.customer}: the window ${w?.from.slice(0, 10)} failed. ${shown.message}`, {
        cause: err.cause,
        hint: shown.hint,
        kind: inner?.kind ?? 'internal',
      });
    }
    throw err;
  }
  return finishGap(deps, plan, windows, startedAt, { onLookbackProgress: hooks.onLookbackProgress });
}

/** `all`: every configured customer, a few at a time; a customer that fails is reported, not fatal. */
export async function runGapAll(
  deps: GapDeps,
  period: Period,
): Promise<{ reports: GapReport[]; failures: { customer: string; error: unknown }[] }> {
  const customers = deps.sources.customers.map((c) => c.name);
  const outcomes = await mapPool(
    customers,
    async (name) => {
      try {
        return { name, report: await runGap(deps, name, period) };
      } catch (error) {
        deps.logger.warn({ customer: name, err: error }, 'gap run failed for one customer');
        return { name, error };
      }
    },
    { concurrency: Math.max(1, Math.min(4, customers.length)), attempts: 1 },
  );
  return {
    reports: outcomes.flatMap((o) => ('report' in o && o.report ? [o.report] : [])),
    failures: outcomes.flatMap((o) => ('error' in o ? [{ customer: o.name, error: o.error }] : [])),
  };
}
