import { UnrecoverableError, type Job } from 'bullmq';
import type { GapSettings } from '../config/schema.js';
import { customersDone, windowsDone, type FlowQueues } from './jobs/flow-progress.js';
import { logDetail, toJobError } from './jobs/job-error.js';
import type { ProgressReporter } from './jobs/progress-reporter.js';
import type { RunState } from './jobs/run-state.js';
import type { OpsStore } from '../ops/ops-store.js';
import type { CustomerSources } from '../sources/customer-sources.js';
import { BotError, isPermanent } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { ThreadPublisher } from '../slack/thread-publisher.js';
import { rootMessage } from './views/gap-blocks.js';
import { allJobSchema, reportJobSchema, windowJobSchema, type RunMeta } from './core/gap-job-payloads.js';
import { finishGap, scanPlanWindow } from './gap-service.js';
import type { LookbackProgress } from './lookback.js';
import { gapReportSchema, type GapReport } from './core/report.js';
import { windowCountsSchema, type WindowCounts } from './core/window-counts.js';
import { publishAllSummary, publishReport } from './publish-report.js';
import type { GapJobDeps, WorkerDeps } from './gap-job-deps.js';

function parsePayload<T>(schema: { safeParse(x: unknown): { success: true; data: T } | { success: false; error: unknown } }, job: Job): T {
  const parsed = schema.safeParse(job.data);
  // A payload we cannot read will not improve on retry.
  if (!parsed.success) throw new UnrecoverableError(`job ${job.id} has an unreadable payload`);
  return parsed.data;
}

function lookbackNote(p: LookbackProgress): string {
  return `looking back before the months scanned: ${p.month}, ${p.windowsDone}/${p.windowsTotal} windows`;
}

/** Asks for a progress edit of the root message; never waits for Slack. */
export function requestProgress(deps: WorkerDeps, meta: RunMeta, lookback?: LookbackProgress): void {
  deps.progress.request(meta.runId, {
    render: async () => {
      if (await deps.runState.isEnded(meta.runId)) return null;
      const [done, customers, resumed, waiting] = await Promise.all([
        windowsDone(deps.queues, meta),
        customersDone(deps.queues, meta),
        deps.runState.isResumed(meta.runId),
        deps.runState.waiting(meta.runId),
      ]);
      // The run's jobs are gone (the queue was reset): the reconciler says so; a progress edit must not.
      if (done === null) return null;
      const msg = rootMessage({
        status: 'running',
        customer: meta.display,
        periodLabel: meta.periodLabel,
        windowsDone: Math.min(done, meta.totalWindows),
        windowsTotal: meta.totalWindows,
        ...(customers ? { customers } : {}),
        requestedBy: meta.requestedBy,
        resumed,
        ...(waiting ? { waiting } : {}),
        ...(lookback ? { lookback: lookbackNote(lookback) } : {}),
      });
      return { send: () => deps.publisher.updateRoot(meta.channel, meta.rootTs, msg) };
    },
  });
}

/** A job moved back to the queue by stall detection belongs to a run that a dead worker was running. */
async function noteResumed(deps: WorkerDeps, job: Job, meta: RunMeta): Promise<void> {
  if (job.stalledCounter > 0 && (await deps.runState.once(meta.runId, 'resumed'))) {
    await deps.runState.markResumed(meta.runId);
    deps.logger.info({ runId: meta.runId, jobId: job.id }, 'run resumed after a worker restart');
  }
}

export function windowProcessor(deps: WorkerDeps) {
  return async (job: Job): Promise<WindowCounts | null> => {
    const { meta, plan, window } = parsePayload(windowJobSchema, job);
    // The run (or this customer of an `all` run) has failed already: skip quietly instead of scanning.
    if (await deps.runState.isCancelled(meta.runId, ['run', plan.customer])) return null;
    await noteResumed(deps, job, meta);
    let counts: WindowCounts;
    try {
      counts = await scanPlanWindow(deps, plan, window);
    } catch (err) {
      const attempt = job.attemptsMade + 1;
      const attempts = job.opts.attempts ?? 1;
      if (!isPermanent(err) && attempt < attempts) {
        // Retries are routine during an outage: debug only; a window's final failure gets one line elsewhere.
        deps.logger.debug({ jobId: job.id, runId: meta.runId, customer: plan.customer, window: window.from, attempt, ...logDetail(err) }, 'window failed; will retry');
        if (err instanceof BotError && err.code === 'SOURCE_UNAVAILABLE') {
          await deps.runState.setWaiting(meta.runId, `the database of ${plan.customer}, retry ${attempt} of ${attempts - 1}`).catch(() => undefined);
          requestProgress(deps, meta);
        }
      }
      throw toJobError(err, isPermanent(err) || attempt >= attempts ? attempt : undefined);
    }
    await deps.runState.setWaiting(meta.runId, null).catch(() => undefined);
    requestProgress(deps, meta);
    return counts;
  };
}

async function childWindows(job: Job): Promise<WindowCounts[]> {
  const values = await job.getChildrenValues();
  return Object.values(values).map((v) => windowCountsSchema.parse(v));
}

/** Sends the last progress edit (all windows in), then stops them, so a late one cannot overwrite the result. */
async function endProgress(deps: WorkerDeps, meta: RunMeta): Promise<void> {
  await deps.progress.flush(meta.runId);
  await deps.runState.markEnded(meta.runId).catch(() => undefined);
  await deps.progress.forget(meta.runId);
}

/** A retried or re-run job may have posted part of the thread already; a first attempt has not. */
const mayHavePosted = (job: Job): boolean => job.attemptsMade > 0 || job.stalledCounter > 0;

function logAttemptFailure(deps: WorkerDeps, job: Job, what: string, extra: Record<string, unknown>, err: unknown): void {
  const final = isPermanent(err) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  // The final failure is logged once by the failure handler; earlier attempts at debug.
  if (!final) deps.logger.debug({ jobId: job.id, attempt: job.attemptsMade + 1, ...extra, ...logDetail(err) }, `${what} failed; will retry`);
}

export function reportProcessor(deps: WorkerDeps) {
  return async (job: Job): Promise<GapReport> => {
    const { meta, plan, standalone } = parsePayload(reportJobSchema, job);
    await noteResumed(deps, job, meta);
    // Every window is in: the last progress edit shows them all while the report is built.
    if (standalone) requestProgress(deps, meta);
    try {
      const windows = await childWindows(job);
      // One retry layer: this job is retried by BullMQ, so the ClickHouse day look-ups inside are tried once.
      const once = { ...deps, settings: { ...deps.settings, windowAttempts: 1 } };
      const report = await finishGap(once, plan, windows, performance.now() - (Date.now() - meta.startedAt), {
        // The look-back scans months before the period; the root message says so instead of sitting at 100%.
        onLookbackProgress: standalone ? (p) => requestProgress(deps, meta, p) : undefined,
      });
      if (standalone) {
        await endProgress(deps, meta);
        await publishReport(deps, meta, plan, report, mayHavePosted(job));
        await finishRun(deps, meta, { status: 'done', verdict: report.verdict, summary: report.populations });
      }
      return report;
    } catch (err) {
      logAttemptFailure(deps, job, 'report', { runId: meta.runId, customer: plan.customer }, err);
      throw toJobError(err);
    }
  };
}

export function allProcessor(deps: WorkerDeps) {
  return async (job: Job): Promise<{ customers: number }> => {
    const { meta, customers } = parsePayload(allJobSchema, job);
    await noteResumed(deps, job, meta);
    try {
      // Children finish in any order; the thread lists customers in the order of the config.
      const reports = Object.values(await job.getChildrenValues())
        .map((v) => gapReportSchema.parse(v))
        .sort((x, y) => customers.indexOf(x.customer) - customers.indexOf(y.customer));
      const failed = customers.filter((c) => !reports.some((r) => r.customer === c));
      await endProgress(deps, meta);
      await publishAllSummary(deps, meta, reports, failed, mayHavePosted(job));
      // Partial scorecards are a gap in historic too: an `all` run with any is recorded as one.
      await finishRun(deps, meta, { status: 'done', verdict: reports.some((r) => r.verdict === 'gap' || r.verdict === 'partial_only') ? 'gap' : 'no_gap' });
      return { customers: reports.length };
    } catch (err) {
      logAttemptFailure(deps, job, 'all', { runId: meta.runId }, err);
      throw toJobError(err);
    }
  };
}

export interface RunOutcome {
  status: 'done' | 'failed';
  verdict?: string;
  summary?: unknown;
  error?: string;
}

/**
 * A run's end: record it, free the (customer, period) claim, one info line. Best-effort: the report is already
 * in Slack, so a failure to record it is logged and never turns a delivered report into a failed run.
 */
export async function finishRun(deps: GapJobDeps, meta: RunMeta, outcome: RunOutcome): Promise<void> {
  await deps.runState.markEnded(meta.runId).catch(() => undefined);
  try {
    await deps.ops?.finishRun(meta.runId, outcome);
  } catch (err) {
    deps.logger.warn({ runId: meta.runId, ...logDetail(err) }, 'could not record the end of the run in the ops database');
  }
  await deps.runState.release(meta.subject, meta.runId).catch((err: unknown) => deps.logger.warn({ runId: meta.runId, ...logDetail(err) }, 'could not release the run claim'));
  deps.logger.info(
    { runId: meta.runId, requestedBy: meta.requestedBy, customer: meta.display, period: meta.periodLabel, durationMs: Date.now() - meta.startedAt, status: outcome.status, verdict: outcome.verdict ?? null },
    'run ended',
  );
}
