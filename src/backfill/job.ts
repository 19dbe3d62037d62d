import type pg from 'pg';
import { clickhouseOf } from '../config/clickhouse-of.js';
import type { Config, CustomerConfig } from '../config/schema.js';
import { runGap, type GapDeps } from '../gap/gap-service.js';
import { clickhouseFor } from '../sources/clickhouse-tiers.js';
import type { ConnectionUrlResolver } from '../sources/connection-url.js';
import { chunkCount, chunkRange, rateDelayMs, remainingChunks } from './chunking.js';
import { openClickhouseWriter, writeClickhouseChunk, type ClickhouseWriter } from './clickhouse-writer.js';
import { openWriterPool, writeHistoricChunk, type ChunkOutcome } from './chunk-writer.js';
import { computePlan } from './plan.js';
import type { BackfillRequest, BackfillStore, Checkpoint } from './store.js';
import { errorText, realSleep, step, StepFailed, type RetryPolicy } from './job-retry.js';
import { durationMs } from './transient.js';
import { configuredWriterIdentity, describePostgres, samePostgres, targetChange, type PostgresIdentity } from './writer-identity.js';

// The job: chunk by chunk, each one transaction on the customer's writer connection, then ClickHouse, then a
// checkpoint in the ops database. A resumed job (another worker after a kill -9, or a retry) skips checkpointed
// chunks; a chunk done but not yet checkpointed is simply written again, which writes nothing (NOT EXISTS).
// What runs is what was approved: the writer must be the one the plan was bound to, and each chunk writes only the
// scorecards whose digest still matches the plan's. An outage of the writer or the ops database is waited out
// (backfill.retryBudget); the progress message says what it waits for. At the end the gap scan runs again and the
// request ends done or done_with_remainder.

export interface BackfillProgress {
  chunksDone: number;
  chunks: number;
  historicRows: number;
  clickhouseRows: number;
  rowsPerSecond: number;
  etaSeconds: number | null;
  /** Set while a step waits out an outage: what it waits for, and which retry is next. */
  waiting?: { what: string; retry: number } | null;
}

export interface PopulationCounts {
  submitted: number;
  unsubmitted: number;
}

export interface BackfillResult {
  status: 'done' | 'done_with_remainder' | 'failed' | 'cancelled' | 'not_started';
  chunks: number;
  chunksDone: number;
  historicRows: number;
  clickhouseRows: number;
  alreadyPresent: number;
  elapsedMs: number;
  rowsPerSecond: number;
  before?: { historic: PopulationCounts; clickhouse: PopulationCounts | null };
  after?: { historic: PopulationCounts; clickhouse: PopulationCounts | null };
  remainder?: { scorecardId: string; reason: string }[];
  /** Planned scorecards whose data changed after the approval: left alone (a new request plans them). */
  changedSinceApproval?: { count: number; samples: string[] };
  /** A cancel arrived after the last chunk was written: the job had finished first. */
  finishedBeforeCancelBy?: string;
  error?: string;
  failedChunk?: number;
}

export interface BackfillJobDeps {
  store: BackfillStore;
  config: Pick<Config, 'customers' | 'clusters' | 'clickhouse' | 'backfill' | 'gap'>;
  resolver: ConnectionUrlResolver;
  /** Read-only: the verification scan. */
  gap: GapDeps;
  workerId?: string;
  chunkBackoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Throttles progress to one call a second, plus the last one. */
export function throttleProgress(fn: ((p: BackfillProgress) => void) | undefined, now: () => number): (p: BackfillProgress, final?: boolean) => void {
  let last = -Infinity;
  return (p, final = false) => {
    if (!fn) return;
    const t = now();
    if (!final && t - last < 1000) return;
    last = t;
    fn(p);
  };
}

/**
 * Opens the writer connection (waiting out an outage) and holds it to the approval: a credential command names no
 * host at approval, so the host of its first run is pinned, and a resumed job that resolves elsewhere stops.
 */
async function openBoundWriter(
  deps: BackfillJobDeps,
  req: BackfillRequest,
  customer: CustomerConfig,
  policy: RetryPolicy,
  ops: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<{ pool: pg.Pool } | { error: string; cause?: unknown }> {
  let opened: { pool: pg.Pool; identity: PostgresIdentity };
  try {
    opened = await step(`${req.scope.customer}'s database`, policy, () => openWriterPool(customer, deps.resolver, deps.config.gap.statementTimeoutMs));
  } catch (err) {
    return { error: `cannot open the writer connection: ${err instanceof StepFailed ? err.message : errorText(err, `${req.scope.customer}'s database`)}`, cause: err };
  }
  const pinned = req.writerPinned;
  if (pinned && !samePostgres(pinned, opened.identity)) {
    await opened.pool.end().catch(() => undefined);
    return { error: `target changed since the job started: it wrote ${describePostgres(pinned)}, the writer now resolves to ${describePostgres(opened.identity)}; request again` };
  }
  if (!pinned) await ops(() => deps.store.pinWriter(req.id, opened.identity));
  return { pool: opened.pool };
}

/** One chunk: historic (digests checked in the statement that writes), then ClickHouse for the scorecards that matched. */
async function writeChunk(
  w: { pool: pg.Pool; ch: ClickhouseWriter | null; policy: RetryPolicy; scope: BackfillRequest['scope']; dbName: string; dedupToken: string },
  planned: { scorecardId: string; digest: string; historic: boolean }[],
): Promise<{ h: ChunkOutcome; c: number }> {
  const h = await step(w.dbName, w.policy, () => writeHistoricChunk(w.pool, w.scope.customer, w.scope.profile, planned));
  const ch = w.ch;
  const c = ch ? await step('ClickHouse', w.policy, () => writeClickhouseChunk(ch, w.pool, w.scope.customer, w.scope.profile, h.matched, w.dedupToken)) : 0;
  return { h, c };
}

/** The approval bound a writer: a config that now points elsewhere writes nothing (null: the same writer). */
function targetChangeSinceApproval(deps: BackfillJobDeps, req: BackfillRequest, customer: CustomerConfig): string | null {
  const approved = req.plan?.writerIdentity;
  // A plan from before writers were bound has none: nothing to compare.
  if (approved === undefined) return null;
  return targetChange(approved, configuredWriterIdentity(customer, clickhouseOf(deps.config, customer.name), req.scope.clickhouse));
}

export async function runBackfillJob(deps: BackfillJobDeps, requestId: string, onProgress?: (p: BackfillProgress) => void): Promise<BackfillResult> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? realSleep;
  const { store } = deps;
  const settings = deps.config.backfill;
  const empty = { chunks: 0, chunksDone: 0, historicRows: 0, clickhouseRows: 0, alreadyPresent: 0, elapsedMs: 0, rowsPerSecond: 0 };
  const started = await store.start(requestId, deps.workerId ?? 'worker', settings.chunkSize);
  if (!started) {
    // Cancelled while its job waited in the queue, or while no worker held it: it ends here, nothing written.
    const stopped = await store.stop(requestId, { ...empty, status: 'cancelled' });
    return { status: stopped ? 'cancelled' : 'not_started', ...empty };
  }
  const scope = started.scope;
  const chunkSize = started.chunkSize ?? settings.chunkSize;
  const customer = deps.config.customers.find((c) => c.name === scope.customer);
  if (!customer) {
    await store.fail(requestId, `${scope.customer} is no longer configured`, {});
    return { status: 'failed', ...empty, error: `${scope.customer} is no longer configured` };
  }
  const unbound = targetChangeSinceApproval(deps, started, customer);
  if (unbound) {
    await store.fail(requestId, unbound, {});
    return { status: 'failed', ...empty, error: unbound };
  }

  let pool: pg.Pool | null = null;
  let ch: ClickhouseWriter | null = null;
  const t0 = now();
  let waiting: BackfillProgress['waiting'] = null;
  // Until the progress figures exist (the first ops-database calls), a wait is only recorded.
  let notifyWait = (): void => undefined;
  const policy: RetryPolicy = {
    budgetMs: durationMs(settings.retryBudget ?? '2m'),
    attempts: settings.chunkAttempts,
    baseMs: deps.chunkBackoffMs ?? 1000,
    sleep,
    now,
    onWait: (what, retry) => {
      waiting = { what, retry };
      notifyWait();
    },
  };
  const ops = <T>(fn: () => Promise<T>) => step('the ops database', policy, fn);
  const done: Checkpoint[] = await ops(() => store.checkpoints(requestId));
  const items = await ops(() => store.writeCount(requestId));
  const chunks = chunkCount(items, chunkSize);
  const totals = { historicRows: 0, clickhouseRows: 0, alreadyPresent: 0 };
  let rowsThisRun = 0;
  let chunksDone = done.length;
  for (const c of done) {
    totals.historicRows += c.historicRows;
    totals.clickhouseRows += c.clickhouseRows;
    totals.alreadyPresent += c.alreadyPresent;
  }
  const progress = throttleProgress(onProgress, now);
  const snapshot = (n: number): BackfillProgress => {
    const secs = Math.max(0.001, (now() - t0) / 1000);
    const rate = rowsThisRun / secs;
    const doneThisRun = n - done.length;
    const perChunk = doneThisRun > 0 ? secs / doneThisRun : null;
    return {
      chunksDone: n,
      chunks,
      historicRows: totals.historicRows,
      clickhouseRows: totals.clickhouseRows,
      rowsPerSecond: Math.round(rate),
      etaSeconds: perChunk === null ? null : Math.round(perChunk * (chunks - n)),
      waiting,
    };
  };
  notifyWait = () => progress(snapshot(chunksDone), true);
  const summary = (n: number) => {
    const elapsedMs = now() - t0;
    return { chunks, chunksDone: n, ...totals, elapsedMs, rowsPerSecond: Math.round(rowsThisRun / Math.max(0.001, elapsedMs / 1000)) };
  };
  const failWith = async (error: string, failedChunk?: number, cause?: unknown): Promise<BackfillResult> => {
    // The person reads `error` (the cause's sentence); the log gets the driver's own words.
    deps.gap.logger.error({ err: cause instanceof StepFailed ? cause.original : cause, requestId, step: cause instanceof StepFailed ? cause.step : undefined }, `backfill failed: ${error}`);
    const result = { status: 'failed' as const, ...summary(chunksDone), error, ...(failedChunk === undefined ? {} : { failedChunk }) };
    await ops(() => store.fail(requestId, error, result)).catch(() => undefined);
    return result;
  };

  try {
    const opened = await openBoundWriter(deps, started, customer, policy, ops);
    if ('error' in opened) return await failWith(opened.error, undefined, opened.cause);
    pool = opened.pool;
    // The customer's own ClickHouse (its own, its cluster's or the top-level one), as that ClickHouse's writer.
    const chConfig = clickhouseOf(deps.config, scope.customer);
    if (scope.clickhouse && chConfig) ch = openClickhouseWriter(chConfig);
    const dbName = `${scope.customer}'s database`;
    for (const k of remainingChunks(items, chunkSize, done.map((c) => c.chunk))) {
      // Cancel is honoured between chunks: the current one always finishes (or rolls back) whole.
      const status = await ops(() => store.status(requestId));
      if (status !== 'running') {
        const result = { status: 'cancelled' as const, ...summary(chunksDone) };
        await ops(() => store.stop(requestId, result));
        return result;
      }
      const range = chunkRange(k, items, chunkSize);
      const chunkItems = await ops(() => store.chunkItems(requestId, range.fromSeq, range.toSeq));
      const planned = chunkItems.map((i) => ({ scorecardId: i.scorecardId, digest: i.digest, historic: i.reason !== 'clickhouse_only' }));
      let h: ChunkOutcome;
      let c: number;
      try {
        ({ h, c } = await writeChunk({ pool, ch, policy, scope, dbName, dedupToken: `${requestId}/${k}` }, planned));
      } catch (err) {
        if (!(err instanceof StepFailed)) throw err;
        const waited = err.waitedMs >= 1000 ? ` over ${Math.round(err.waitedMs / 1000)} s` : '';
        return await failWith(`chunk ${k + 1} of ${chunks} (scorecards ${range.fromSeq + 1}–${range.toSeq} of the plan) failed after ${err.attempts} attempt(s)${waited}: ${err.step === dbName || err.step === 'ClickHouse' ? '' : `${err.step}: `}${err.message}`, k, err);
      }
      waiting = null;
      const historicPlanned = planned.filter((i) => i.historic && h.matched.includes(i.scorecardId)).length;
      const checkpoint: Checkpoint = { chunk: k, scorecards: planned.length, historicRows: h.historicRows, clickhouseRows: c, alreadyPresent: historicPlanned - h.scorecardsWritten };
      await ops(() => store.markChanged(requestId, h.changed));
      await ops(() => store.checkpoint(requestId, checkpoint));
      chunksDone++;
      totals.historicRows += checkpoint.historicRows;
      totals.clickhouseRows += checkpoint.clickhouseRows;
      totals.alreadyPresent += checkpoint.alreadyPresent;
      rowsThisRun += checkpoint.historicRows;
      progress(snapshot(chunksDone), chunksDone === chunks);
      const wait = rateDelayMs(rowsThisRun, now() - t0, settings.maxRowsPerSecond);
      if (wait > 0) await sleep(wait);
    }
    if (chunksDone === done.length) progress(snapshot(chunksDone), true); // nothing was left: say so once

    // The write rate and elapsed time are the job's writing; the verification scan comes after.
    return await finishJob(deps, started, summary(chunksDone), ops);
  } catch (err) {
    if (err instanceof StepFailed) return failWith(`${err.step} did not answer for ${Math.round(err.waitedMs / 1000)} s: ${err.message}`, undefined, err);
    throw err;
  } finally {
    await pool?.end().catch(() => undefined);
    await ch?.client.close().catch(() => undefined);
  }
}

/** Verifies the scope with the gap scan, lists what is left and what changed since approval, and ends the request. */
async function finishJob(
  deps: BackfillJobDeps,
  started: BackfillRequest,
  written: Omit<BackfillResult, 'status'>,
  ops: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<BackfillResult> {
  const { store } = deps;
  const requestId = started.id;
  const verified = await verify(deps, started);
  const remainder = await ops(() => store.leftAloneItems(requestId));
  const changed = await ops(() => store.changedItems(requestId));
  const left = verified.after.historic.submitted + verified.after.historic.unsubmitted + (verified.after.clickhouse ? verified.after.clickhouse.submitted + verified.after.clickhouse.unsubmitted : 0);
  const complete = left === 0 && changed.count === 0;
  const result: BackfillResult = {
    status: complete ? 'done' : 'done_with_remainder',
    ...written,
    ...verified,
    ...(left === 0 ? {} : { remainder: [...changed.samples.map((id) => ({ scorecardId: id, reason: 'changed_since_approval' })), ...remainder] }),
    ...(changed.count > 0 ? { changedSinceApproval: changed } : {}),
  };
  const finished = await ops(() => store.finish(requestId, result.status as 'done' | 'done_with_remainder', result));
  // A cancel that came while the last chunk or the verification ran did not stop anything: say so.
  if (finished?.cancelledBy) return { ...result, finishedBeforeCancelBy: finished.cancelledBy };
  return result;
}

/** Before: from the plan. After: the gap scan of the scope's period (one scorecard: the plan, re-computed). */
async function verify(
  deps: BackfillJobDeps,
  req: Pick<BackfillRequest, 'scope' | 'plan'>,
): Promise<Required<Pick<BackfillResult, 'before' | 'after'>>> {
  const scope = req.scope;
  const chOn = scope.clickhouse && clickhouseFor(deps.gap.clickhouse, scope.customer) !== null;
  const before = {
    historic: req.plan?.before.historic ?? { submitted: 0, unsubmitted: 0 },
    clickhouse: chOn ? (req.plan?.before.clickhouse ?? { submitted: 0, unsubmitted: 0 }) : null,
  };
  if (scope.scorecardId) {
    const db = await deps.gap.sources.readOnly(scope.customer);
    const plan = await computePlan({ db, clickhouse: clickhouseFor(deps.gap.clickhouse, scope.customer), scope, target: null });
    return { before, after: { historic: plan.before.historic, clickhouse: chOn ? plan.before.clickhouse : null } };
  }
  const period = { from: new Date(scope.from), to: new Date(scope.to), label: scope.label, grain: 'day' as const };
  // historyMonths 1: the verification scans the scope itself, not the months of context a report shows.
  const report = await runGap({ ...deps.gap, settings: { ...deps.gap.settings, historyMonths: 1 } }, scope.customer, period);
  const p = report.populations;
  return {
    before,
    after: {
      historic: { submitted: p.submitted.missing, unsubmitted: p.unsubmitted.missing },
      clickhouse: chOn ? { submitted: p.submitted.clickhouseMissing ?? 0, unsubmitted: p.unsubmitted.clickhouseMissing ?? 0 } : null,
    },
  };
}
