import type pg from 'pg';
import type { Config } from '../config/schema.js';
import { runGap, type GapDeps } from '../gap/gap-service.js';
import { BotError } from '../shared/errors.js';
import { maskSecrets } from '../shared/mask.js';
import type { ConnectionUrlResolver } from '../sources/connection-url.js';
import { backoffMs, chunkCount, chunkRange, rateDelayMs, remainingChunks } from './chunking.js';
import { openClickhouseWriter, writeClickhouseChunk, type ClickhouseWriter } from './clickhouse-writer.js';
import { openWriterPool, writeHistoricChunk } from './chunk-writer.js';
import { computePlan } from './plan.js';
import type { BackfillStore, Checkpoint } from './store.js';

// The job: chunk by chunk, each one transaction on the customer's writer connection, then ClickHouse, then a
// checkpoint in the ops database. A resumed job (another worker after a kill -9, or a retry) skips checkpointed
// chunks; a chunk done but not yet checkpointed is simply written again, which writes nothing (NOT EXISTS).
// At the end the gap scan runs again and the request ends done or done_with_remainder.

export interface BackfillProgress {
  chunksDone: number;
  chunks: number;
  historicRows: number;
  clickhouseRows: number;
  rowsPerSecond: number;
  etaSeconds: number | null;
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
  error?: string;
  failedChunk?: number;
}

export interface BackfillJobDeps {
  store: BackfillStore;
  config: Pick<Config, 'customers' | 'clickhouse' | 'backfill' | 'gap'>;
  resolver: ConnectionUrlResolver;
  /** Read-only: the verification scan. */
  gap: GapDeps;
  workerId?: string;
  chunkBackoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function errorText(err: unknown): string {
  if (err instanceof BotError) return err.userMessage;
  const e = err as { message?: string; code?: string };
  return maskSecrets(`${e.message ?? String(err)}${e.code ? ` (${e.code})` : ''}`);
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

export async function runBackfillJob(deps: BackfillJobDeps, requestId: string, onProgress?: (p: BackfillProgress) => void): Promise<BackfillResult> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? realSleep;
  const { store } = deps;
  const settings = deps.config.backfill;
  const started = await store.start(requestId, deps.workerId ?? 'worker', settings.chunkSize);
  const empty = { chunks: 0, chunksDone: 0, historicRows: 0, clickhouseRows: 0, alreadyPresent: 0, elapsedMs: 0, rowsPerSecond: 0 };
  if (!started) return { status: 'not_started', ...empty };
  const scope = started.scope;
  const chunkSize = started.chunkSize ?? settings.chunkSize;
  const customer = deps.config.customers.find((c) => c.name === scope.customer);
  if (!customer) {
    await store.fail(requestId, `${scope.customer} is no longer configured`, {});
    return { status: 'failed', ...empty, error: `${scope.customer} is no longer configured` };
  }

  let pool: pg.Pool | null = null;
  let ch: ClickhouseWriter | null = null;
  const t0 = now();
  const done: Checkpoint[] = await store.checkpoints(requestId);
  const items = await store.writeCount(requestId);
  const chunks = chunkCount(items, chunkSize);
  const totals = { historicRows: 0, clickhouseRows: 0, alreadyPresent: 0 };
  let rowsThisRun = 0;
  for (const c of done) {
    totals.historicRows += c.historicRows;
    totals.clickhouseRows += c.clickhouseRows;
    totals.alreadyPresent += c.alreadyPresent;
  }
  const progress = throttleProgress(onProgress, now);
  const snapshot = (chunksDone: number): BackfillProgress => {
    const secs = Math.max(0.001, (now() - t0) / 1000);
    const rate = rowsThisRun / secs;
    const doneThisRun = chunksDone - done.length;
    const perChunk = doneThisRun > 0 ? secs / doneThisRun : null;
    return {
      chunksDone,
      chunks,
      historicRows: totals.historicRows,
      clickhouseRows: totals.clickhouseRows,
      rowsPerSecond: Math.round(rate),
      etaSeconds: perChunk === null ? null : Math.round(perChunk * (chunks - chunksDone)),
    };
  };
  const summary = (chunksDone: number) => {
    const elapsedMs = now() - t0;
    return { chunks, chunksDone, ...totals, elapsedMs, rowsPerSecond: Math.round(rowsThisRun / Math.max(0.001, elapsedMs / 1000)) };
  };

  try {
    try {
      pool = await openWriterPool(customer, deps.resolver, deps.config.gap.statementTimeoutMs);
    } catch (err) {
      const error = `cannot open the writer connection: ${errorText(err)}`;
      await store.fail(requestId, error, {});
      return { status: 'failed', ...summary(done.length), error };
    }
    if (scope.clickhouse && deps.config.clickhouse) ch = openClickhouseWriter(deps.config.clickhouse);
    let chunksDone = done.length;
    for (const k of remainingChunks(items, chunkSize, done.map((c) => c.chunk))) {
      // Cancel is honoured between chunks: the current one always finishes (or rolls back) whole.
      const status = await store.status(requestId);
      if (status !== 'running') {
        const result = { status: 'cancelled' as const, ...summary(chunksDone) };
        await store.stoppedAfterCancel(requestId, result);
        return result;
      }
      const range = chunkRange(k, items, chunkSize);
      const chunkItems = await store.chunkItems(requestId, range.fromSeq, range.toSeq);
      const ids = chunkItems.map((i) => i.scorecardId);
      const historicIds = chunkItems.filter((i) => i.reason !== 'clickhouse_only').map((i) => i.scorecardId);
      let checkpoint: Checkpoint | null = null;
      for (let attempt = 1; ; attempt++) {
        try {
          const h = historicIds.length > 0 ? await writeHistoricChunk(pool, scope.customer, scope.profile, historicIds) : { historicRows: 0, scorecardsWritten: 0 };
          const c = ch ? await writeClickhouseChunk(ch, pool, scope.customer, scope.profile, ids, `${requestId}/${k}`) : 0;
          checkpoint = { chunk: k, scorecards: ids.length, historicRows: h.historicRows, clickhouseRows: c, alreadyPresent: historicIds.length - h.scorecardsWritten };
          break;
        } catch (err) {
          if (attempt >= settings.chunkAttempts) {
            const error = `chunk ${k + 1} of ${chunks} (scorecards ${range.fromSeq + 1}–${range.toSeq} of the plan) failed after ${attempt} attempt(s): ${errorText(err)}`;
            const result = { status: 'failed' as const, ...summary(chunksDone), error, failedChunk: k };
            await store.fail(requestId, error, result);
            return result;
          }
          await sleep(backoffMs(attempt, deps.chunkBackoffMs ?? 1000));
        }
      }
      await store.checkpoint(requestId, checkpoint);
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
    const written = summary(chunksDone);
    const verified = await verify(deps, started);
    const remainder = await store.leftAloneItems(requestId);
    const left = verified.after.historic.submitted + verified.after.historic.unsubmitted + (verified.after.clickhouse ? verified.after.clickhouse.submitted + verified.after.clickhouse.unsubmitted : 0);
    const result: BackfillResult = {
      status: left === 0 ? 'done' : 'done_with_remainder',
      ...written,
      ...verified,
      ...(left === 0 ? {} : { remainder }),
    };
    await store.finish(requestId, result.status as 'done' | 'done_with_remainder', result);
    return result;
  } finally {
    await pool?.end().catch(() => undefined);
    await ch?.client.close().catch(() => undefined);
  }
}

/** Before: from the plan. After: the gap scan of the scope's period (one scorecard: the plan, re-computed). */
async function verify(
  deps: BackfillJobDeps,
  req: { scope: import('./scope.js').BackfillScope; plan: import('./plan.js').BackfillPlan | null },
): Promise<Required<Pick<BackfillResult, 'before' | 'after'>>> {
  const scope = req.scope;
  const chOn = scope.clickhouse && deps.gap.clickhouse !== null;
  const before = {
    historic: req.plan?.before.historic ?? { submitted: 0, unsubmitted: 0 },
    clickhouse: chOn ? (req.plan?.before.clickhouse ?? { submitted: 0, unsubmitted: 0 }) : null,
  };
  if (scope.scorecardId) {
    const db = await deps.gap.sources.readOnly(scope.customer);
    const plan = await computePlan({ db, clickhouse: deps.gap.clickhouse, scope, target: null });
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
