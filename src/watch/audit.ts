import { emptyReport, finishGap, planGap, runGap, scanPlanWindow, withProbe, type GapDeps } from '../gap/gap-service.js';
import { dayWindows } from '../gap/core/windows.js';
import type { Period } from '../period/parse-period.js';
import { ItemFailedError, mapPool } from '../shared/map-pool.js';
import type { GapReport } from '../gap/core/report.js';
import type { OpsStore } from '../ops/ops-store.js';
import type { BotMetrics } from '../observability/metrics.js';
import { userFacing } from '../shared/errors.js';
import type { ThreadPublisher } from '../slack/thread-publisher.js';
import { alertConditions, inQuietHours, rateLevel, splitByAllowance } from './alert-rules.js';
import { alertMessage, escalationMessage, followUpMessage, hourlyMissing, resolutionMessage, summaryMessage, type AlertView } from './alert-blocks.js';
import { escalationDue, snoozedUntil } from './oncall-blocks.js';
import { mentionsOf, ownersOf } from './owners.js';
import { everyMs, type WatchAudit } from '../config/watch-schema.js';
import { permalink } from '../slack/authorize.js';
import { confirmed, groupProblems, kindsOf, newsSince, type AlertProblem } from './problems.js';
import type { AlertStore, StoredAlert } from './alert-store.js';
import { lookbackPeriod } from './lookback.js';
import { spreadOffsets, spreadWindowMs } from './spread.js';
import { announcementAfterSilence, holdForSilence, sayStillOpen, summaryAfterSilence } from './silence-audit.js';
import type { SilenceStore } from './silence-store.js';
import { coveringSilence, type ActiveSilence } from './silences.js';
import { noticeCustomerFailure, noticeCustomerRecovery } from './failure-notices.js';
import type { WatchHealthStore } from './health-store.js';

// One scheduled audit: a normal gap run per customer (the same windows, retries and read-only path as
// /scorecard-gap, in-process), then the alert decisions, one alert per problem (customer and population, its
// findings inside; problems.ts). It posts nothing unless there is something to say: a new problem once it is
// confirmed (announced once), a worse one or one with a new finding (in its thread), or a closed one (a
// resolution in its thread). A problem that goes away before it is confirmed is forgotten without a word.

export interface AuditDeps {
  gap: GapDeps;
  store: AlertStore;
  publisher: ThreadPublisher;
  /** Records a gap run per announced alert so its Request backfill button works like the gap report's. */
  ops: Pick<OpsStore, 'recordRun' | 'finishRun'> | null;
  metrics: BotMetrics | null;
  now: () => Date;
  /** Silences for planned work (silence-audit.ts); absent: none. */
  silences?: SilenceStore | null;
  /** The watchdog's own state: completions and failing customers (null: nothing posted about failures). */
  health?: WatchHealthStore | null;
}

export interface CustomerOutcome {
  customer: string;
  /** When this customer's gap run started, in ms after the audit started (spread audits start them apart). */
  startedAfterMs: number;
  durationMs: number;
  opened: number;
  followUps: number;
  resolved: number;
  escalated: number;
  error: string | null;
}

export interface AuditOutcome {
  audit: string;
  durationMs: number;
  customers: CustomerOutcome[];
  announced: number;
  summarised: number;
}

export function reportValue(customer: string, lookback: string): string {
  return JSON.stringify({ customer, lookback });
}

function viewOf(a: StoredAlert | AlertProblem, audit: string, periodLabel: string): AlertView {
  return { customer: a.customer, population: a.population, kind: a.kind, start: a.start, missing: a.missing, total: a.total, sentence: a.sentence, findings: a.findings, audit, periodLabel };
}

function setGauges(metrics: BotMetrics | null, report: GapReport): void {
  if (!metrics) return;
  for (const population of ['submitted', 'unsubmitted'] as const) {
    const p = report.populations[population];
    const labels = { customer: report.customer, profile: report.profile, population };
    metrics.missing.set({ ...labels, tier: 'historic' }, p.missing);
    metrics.total.set({ ...labels, tier: 'historic' }, p.total);
    if (p.clickhouseMissing !== null) metrics.missing.set({ ...labels, tier: 'clickhouse' }, p.clickhouseMissing);
  }
}

interface Pending {
  alert: StoredAlert;
  chart: number[];
  periodLabel: string;
  period: { from: string; to: string; label: string };
}

/**
 * The silence covering a customer, read when its gap run is done rather than at the audit's start: a silence
 * confirmed in the channel while an audit runs (a spread audit runs for half its interval) holds what that audit
 * would still post about the customer.
 */
async function silenceOf(deps: AuditDeps, customer: string): Promise<ActiveSilence | null> {
  if (!deps.silences) return null;
  const at = deps.now();
  return coveringSilence(await deps.silences.active(at), customer, at);
}

async function auditCustomer(
  deps: AuditDeps,
  audit: WatchAudit,
  customer: string,
  quiet: boolean,
  pending: Pending[],
  auditStarted: number,
): Promise<CustomerOutcome> {
  const started = performance.now();
  const period = lookbackPeriod(audit.lookback, deps.now());
  const log = deps.gap.logger;
  const outcome: CustomerOutcome = { customer, startedAfterMs: Math.round(started - auditStarted), durationMs: 0, opened: 0, followUps: 0, resolved: 0, escalated: 0, error: null };
  let report: GapReport;
  try {
    // The audit's own clock for the gap run too: its settle cutoff (in-flight scorecards) is read from it.
    report = await auditReport({ ...deps.gap, now: deps.now }, audit, customer, period);
  } catch (err) {
    outcome.durationMs = Math.round(performance.now() - started);
    outcome.error = userFacing(err).message;
    log.warn({ err, audit: audit.name, customer }, 'watch: audit of a customer failed');
    const silence = await silenceOf(deps, customer);
    deps.metrics?.auditFailures.inc({ audit: audit.name, customer });
    const profile = deps.gap.sources.customers.find((c) => c.name === customer)?.profile ?? '';
    await deps.store
      .recordAudit({ audit: audit.name, customer, profile, finishedAt: deps.now(), durationMs: outcome.durationMs, periodLabel: period.label, verdict: null, populations: null, error: outcome.error })
      .catch(() => undefined);
    // silences: a failing audit during planned work is recorded and counted, not posted (said after, if it persists).
    if (!(silence && deps.silences)) await noticeCustomerFailure(deps, audit, customer, outcome.error);
    return outcome;
  }
  setGauges(deps.metrics, report);
  const silence = await silenceOf(deps, customer);
  const problems = groupProblems(alertConditions(report, audit.thresholds));
  const live = await deps.store.liveAlerts(audit.name, customer);
  const byPrint = new Map(live.map((a) => [a.fingerprint, a]));
  const seen = new Set<string>();
  const stillOpen: { alert: StoredAlert; view: AlertView }[] = [];
  for (const p of problems) {
    seen.add(p.fingerprint);
    const known = byPrint.get(p.fingerprint);
    let row = known ? await deps.store.seen(known.id, p) : await deps.store.open(audit.name, audit.channel, p);
    if (!row) continue; // another process has it
    if (row.status === 'pending') {
      if (!confirmed(p, row.seenCount, audit)) continue;
      row = await deps.store.confirm(row.id);
      if (!row) continue;
      outcome.opened++;
    }
    // --- silences: recorded and counted as usual, nothing posted while one covers the customer.
    if (silence && deps.silences) {
      await holdForSilence(deps.silences, row);
      continue;
    }
    // ---
    // Not announced yet (new, held by quiet hours, or its post failed): announced with this audit's numbers.
    if (row.announcedAt === null) {
      pending.push({ alert: row, chart: hourlyMissing(report, p.population), periodLabel: report.period.label, period: report.period });
      continue;
    }
    if (quiet || !row.threadTs) continue;
    stillOpen.push({ alert: row, view: viewOf(p, audit.name, report.period.label) });
    // --- silences: a silence that held this alert is over; one message says it is still open.
    if (deps.silences && (await sayStillOpen({ silences: deps.silences, store: deps.store, publisher: deps.publisher }, row, p))) {
      outcome.followUps++;
      continue;
    }
    // ---
    // Snoozed: the news waits (not recorded as told), so the first audit after the snooze posts it.
    if (snoozedUntil(row, deps.now())) continue;
    const told = { missing: row.toldMissing, level: row.toldLevel, kinds: row.toldKinds };
    const news = newsSince(p, told);
    if (!news.worse && news.fresh.length === 0) continue;
    const now = { missing: news.worse ? p.missing : told.missing, level: news.worse ? rateLevel(p.rate) : told.level, kinds: [...new Set([...told.kinds, ...kindsOf(p.findings)])] };
    if (await deps.store.told(row.id, now, told)) {
      await deps.publisher.postInThread(audit.channel, row.threadTs, followUpMessage(viewOf(p, audit.name, report.period.label), { missing: told.missing }, news));
      outcome.followUps++;
    }
  }
  for (const { alert, view } of stillOpen) if (await escalate(deps, audit, alert, view)) outcome.escalated++;
  for (const a of live) {
    if (seen.has(a.fingerprint)) continue;
    if (a.status === 'pending') {
      await deps.store.drop(a.id);
      continue;
    }
    if (!(await deps.store.resolve(a.id))) continue;
    outcome.resolved++;
    if (silence && deps.silences) continue; // silences: resolved in the ops database, not posted
    // Never told (held, or its post failed): it closes as quietly as it came.
    if (a.announcedAt && a.threadTs) {
      const left = report.populations[a.population];
      await deps.publisher.postInThread(a.channel, a.threadTs, resolutionMessage({ ...a, periodLabel: report.period.label }, a.lastSeenAt, left));
    }
  }
  outcome.durationMs = Math.round(performance.now() - started);
  deps.metrics?.customerAuditDuration.observe({ audit: audit.name }, outcome.durationMs / 1000);
  deps.metrics?.lastAudit.set({ customer, audit: audit.name }, deps.now().getTime() / 1000);
  deps.metrics?.openAlerts.set({ customer }, (await deps.store.openAlerts(audit.name, customer)).length);
  await deps.store.recordAudit({
    audit: audit.name,
    customer,
    profile: report.profile,
    finishedAt: deps.now(),
    durationMs: outcome.durationMs,
    periodLabel: report.period.label,
    verdict: report.verdict,
    populations: report.populations,
    error: null,
  });
  if (!(silence && deps.silences)) await noticeCustomerRecovery(deps, audit, customer); // silences: as for failures
  return outcome;
}

/**
 * The audit's gap report. historyMonths 0 (the default): only the lookback's day windows are scanned, so an hourly
 * 48-hour audit reads two or three days, not months; the windows, retries, read-only path and analysis are the gap
 * run's own (planGap, scanPlanWindow, finishGap). historyMonths N: the normal run with N months of history.
 */
async function auditReport(deps: GapDeps, audit: WatchAudit, customer: string, period: Period): Promise<GapReport> {
  // No look-back before the scan: a steady loss would make every hourly audit re-read months to find when it began
  // (measured: 10.3 s of database time for spirit at scale 1 instead of ~1 s). An alert says "since" its first day
  // seen; its Full report button runs the normal report, which finds the real start.
  const gap = { ...deps, settings: { ...deps.settings, lookbackMonths: 0 } };
  if (audit.historyMonths) return runGap({ ...gap, settings: { ...gap.settings, historyMonths: audit.historyMonths } }, customer, period);
  const started = performance.now();
  const full = planGap(gap.sources, gap.settings, customer, period, (gap.now ?? (() => new Date()))());
  const whole = { ...full, scanned: { from: period.from.toISOString(), to: period.to.toISOString() }, windows: dayWindows(period.from, period.to) };
  const plan = await withProbe(gap, whole).catch(() => whole);
  if (plan.empty) return emptyReport(gap, plan, started);
  try {
    const windows = await mapPool(plan.windows, (w) => scanPlanWindow(gap, plan, w), { concurrency: gap.settings.concurrency, attempts: gap.settings.windowAttempts });
    return await finishGap(gap, plan, windows, started);
  } catch (err) {
    throw err instanceof ItemFailedError ? err.cause : err;
  }
}

/** The owners' mentions for an alert about `customer` (its own, its cluster's, else the audit's). */
function mentionsFor(deps: AuditDeps, audit: WatchAudit, customer: string): string {
  return mentionsOf(ownersOf(deps.gap.sources.customers.find((c) => c.name === customer), audit));
}

export const DEFAULT_ESCALATE_AFTER = '2h';

/**
 * An alert nobody reacted to (oncall-blocks.ts's escalationDue): the owners are mentioned again, once, in its thread or in the
 * audit's escalationChannel with a link to it. Recorded before it is posted, so two processes never both post it.
 */
async function escalate(deps: AuditDeps, audit: WatchAudit, alert: StoredAlert, view: AlertView): Promise<boolean> {
  const afterMs = everyMs(audit.escalateAfter ?? DEFAULT_ESCALATE_AFTER);
  const now = deps.now();
  if (!escalationDue(alert, now, { afterMs }) || !alert.threadTs) return false;
  if (!(await deps.store.escalate(alert.id, now))) return false;
  const mentions = mentionsFor(deps, audit, alert.customer);
  try {
    if (audit.escalationChannel) await deps.publisher.postRoot(audit.escalationChannel, escalationMessage(view, mentions, afterMs, permalink(alert.channel, alert.threadTs)));
    else await deps.publisher.postInThread(alert.channel, alert.threadTs, escalationMessage(view, mentions, afterMs, null));
  } catch (err) {
    // Not posted, so not escalated: the next audit tries again.
    await deps.store.unescalate(alert.id).catch(() => undefined);
    throw err;
  }
  return true;
}

/** Posts one alert alone: the message, then the gap run record its Request backfill button names. */
async function announce(deps: AuditDeps, audit: WatchAudit, p: Pending): Promise<void> {
  const claimed = await deps.store.claimAnnouncement(p.alert.id, deps.now());
  if (!claimed) return;
  const runId = deps.ops ? `watch-${p.alert.id}` : null;
  // What the claim recorded as told is what is posted.
  const view = viewOf(claimed, audit.name, p.periodLabel);
  const buttons = { runId, reportValue: reportValue(p.alert.customer, audit.lookback), alertId: p.alert.id };
  // silences: a first post after a silence says so.
  const after = await announcementAfterSilence(deps.silences, claimed, alertMessage(view, buttons, p.chart, mentionsFor(deps, audit, p.alert.customer)));
  let ts: string;
  try {
    ts = await deps.publisher.postRoot(audit.channel, after.message);
  } catch (err) {
    // Not posted, so not announced: the next audit tries again.
    await deps.store.unclaimAnnouncement(p.alert.id).catch(() => undefined);
    await after.undo().catch(() => undefined);
    throw err;
  }
  await deps.store.setThread(p.alert.id, ts);
  if (deps.ops && runId) {
    await deps.ops.recordRun({ runId, customer: p.alert.customer, periodLabel: p.period.label, periodFrom: p.period.from, periodTo: p.period.to, requestedBy: 'watchdog', channel: audit.channel, rootTs: ts });
    await deps.ops.finishRun(runId, { status: 'done', verdict: 'gap' });
  }
}

export interface RunAuditOptions {
  /** Aborted when the worker shuts down: the audit starts no further customer and ends with what it has. */
  signal?: AbortSignal;
  /** Waits between spread starts (tests pass a recording one); resolves early when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const abortableSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

export async function runAudit(deps: AuditDeps, audit: WatchAudit, opts: RunAuditOptions = {}): Promise<AuditOutcome> {
  const started = performance.now();
  const now = deps.now();
  const quiet = inQuietHours(now, audit.quietHours);
  const customers = audit.customers.length > 0 ? audit.customers : deps.gap.sources.customers.map((c) => c.name);
  const results: CustomerOutcome[] = [];
  const overflow: Pending[] = [];
  const tally = { announced: 0 };
  const sleep = opts.sleep ?? abortableSleep;
  // Alerts found while alerts were allowed are posted as each customer finishes (a spread audit does not hold the
  // first customer's alert until the last one is done); those over the hourly allowance wait for one summary.
  const post = async (found: Pending[]): Promise<void> => {
    if (quiet || found.length === 0) return;
    const postedThisHour = await deps.store.announcedSince(audit.channel, new Date(now.getTime() - 3_600_000));
    const { alone, summarised } = splitByAllowance(found, postedThisHour, audit.maxAlertsPerHour);
    for (const p of alone) {
      await announce(deps, audit, p);
      tally.announced++;
    }
    overflow.push(...summarised);
  };
  // One customer at a time (each gap run already uses gap.concurrency windows at once), their starts spread over the
  // schedule when the audit is large (spread.ts); a customer slower than its slot delays the next, never a burst.
  const offsets = spreadOffsets(spreadWindowMs(audit, customers.length), customers.length);
  let skipped = 0;
  for (const [i, customer] of customers.entries()) {
    if (opts.signal?.aborted) {
      skipped = customers.length - i;
      break;
    }
    // A Node timer may fire up to a millisecond early (its clock counts whole milliseconds): one more keeps a
    // customer from starting before its slot.
    const wait = offsets[i]! - (performance.now() - started);
    if (wait > 0) await sleep(Math.ceil(wait) + 1, opts.signal);
    if (opts.signal?.aborted) {
      skipped = customers.length - i;
      break;
    }
    const pending: Pending[] = [];
    results.push(await auditCustomer(deps, audit, customer, quiet, pending, started));
    await post(pending);
  }
  if (skipped > 0) deps.gap.logger.warn({ audit: audit.name, skipped }, 'watch: shutting down; the rest of this audit\'s customers wait for its next run');
  let summarised = 0;
  const claimed: { alert: StoredAlert; periodLabel: string }[] = [];
  for (const p of overflow) {
    const alert = await deps.store.claimAnnouncement(p.alert.id, now);
    if (alert) claimed.push({ alert, periodLabel: p.periodLabel });
  }
  if (claimed.length > 0) {
    // silences: a summary whose alerts a silence held says the silence ended.
    const summary = summaryMessage(
      claimed.map((p) => ({ ...viewOf(p.alert, audit.name, p.periodLabel), alertId: p.alert.id })),
      audit.maxAlertsPerHour,
      [...new Set(claimed.map((p) => mentionsFor(deps, audit, p.alert.customer)).filter(Boolean))].join(' '),
    );
    const after = await summaryAfterSilence(deps.silences, claimed.map((p) => p.alert), summary);
    let ts: string;
    try {
      ts = await deps.publisher.postRoot(audit.channel, after.message);
    } catch (err) {
      for (const p of claimed) await deps.store.unclaimAnnouncement(p.alert.id).catch(() => undefined);
      await after.undo().catch(() => undefined);
      throw err;
    }
    // The summary's thread is each summarised alert's thread: its follow-ups and resolution go there.
    for (const p of claimed) await deps.store.setSummary(p.alert.id, ts);
    summarised = claimed.length;
  }
  const durationMs = Math.round(performance.now() - started);
  deps.metrics?.auditDuration.observe({ audit: audit.name }, durationMs / 1000);
  deps.gap.logger.info({ audit: audit.name, durationMs, announced: tally.announced, summarised, customers: results.length, failed: results.filter((r) => r.error).length }, 'watch: audit done');
  return { audit: audit.name, durationMs, customers: results, announced: tally.announced, summarised };
}
