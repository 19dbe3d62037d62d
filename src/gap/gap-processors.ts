import { UnrecoverableError, type Job } from 'bullmq';
import type { GapSettings } from '../config/schema.js';
import type { RunState } from '../jobs/run-state.js';
import type { OpsStore } from '../ops/ops-store.js';
import type { ClickhouseTier } from '../sources/clickhouse.js';
import type { CustomerSources } from '../sources/customer-sources.js';
import { isPermanent, userFacing } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { ThreadPublisher } from '../slack/thread-publisher.js';
import { errorMessage, rootMessage } from '../slack/blocks/gap-blocks.js';
import { allJobSchema, reportJobSchema, windowJobSchema, type RunMeta } from './gap-job-payloads.js';
import { finishGap, scanPlanWindow } from './gap-service.js';
import { gapReportSchema, type GapReport } from './report.js';
import { windowCountsSchema, type WindowCounts } from './window-counts.js';
import { publishAllSummary, publishReport } from './publish-report.js';

export interface GapJobDeps {
  sources: CustomerSources;
  clickhouse: ClickhouseTier | null;
  settings: GapSettings;
  logger: Logger;
  publisher: ThreadPublisher;
  runState: RunState;
  ops: OpsStore | null;
  renderChart: ((report: GapReport) => Promise<Buffer>) | null;
}

function parsePayload<T>(schema: { safeParse(x: unknown): { success: true; data: T } | { success: false; error: unknown } }, job: Job): T {
  const parsed = schema.safeParse(job.data);
  // A payload we cannot read will not improve on retry.
  if (!parsed.success) throw new UnrecoverableError(`job ${job.id} has an unreadable payload`);
  return parsed.data;
}

/** Error types decide retries: permanent errors become UnrecoverableError; the rest are retried with backoff. */
export function toJobError(err: unknown): Error {
  const { message, hint } = userFacing(err);
  const text = hint ? `${message} ${hint}` : message;
  return isPermanent(err) ? new UnrecoverableError(text) : new Error(text);
}

export function windowProcessor(deps: GapJobDeps) {
  return async (job: Job): Promise<WindowCounts> => {
    const { meta, plan, window } = parsePayload(windowJobSchema, job);
    let counts: WindowCounts;
    try {
      counts = await scanPlanWindow(deps, plan, window);
    } catch (err) {
      deps.logger.warn({ jobId: job.id, runId: meta.runId, customer: plan.customer, window: window.from, attempt: job.attemptsMade + 1, err }, 'window failed');
      throw toJobError(err);
    }
    const { done, mayUpdate } = await deps.runState.windowDone(meta.runId, `${plan.customer}-${window.from}`);
    if (mayUpdate && done < meta.totalWindows) {
      await deps.publisher
        .updateRoot(meta.channel, meta.rootTs, rootMessage({ status: 'running', customer: meta.display, periodLabel: meta.periodLabel, windowsDone: done, windowsTotal: meta.totalWindows, requestedBy: meta.requestedBy }))
        .catch((err: unknown) => deps.logger.warn({ err, runId: meta.runId }, 'progress update failed'));
    }
    return counts;
  };
}

async function childWindows(job: Job): Promise<WindowCounts[]> {
  const values = await job.getChildrenValues();
  return Object.values(values).map((v) => windowCountsSchema.parse(v));
}

export function reportProcessor(deps: GapJobDeps) {
  return async (job: Job): Promise<GapReport> => {
    const { meta, plan, standalone } = parsePayload(reportJobSchema, job);
    try {
      const windows = await childWindows(job);
      const report = await finishGap(deps, plan, windows, performance.now() - (Date.now() - meta.startedAt));
      if (standalone) {
        await publishReport(deps, meta, plan, report);
        await finishRun(deps, meta, { status: 'done', verdict: report.verdict, summary: report.populations });
      }
      return report;
    } catch (err) {
      deps.logger.error({ jobId: job.id, runId: meta.runId, customer: plan.customer, err }, 'report failed');
      throw toJobError(err);
    }
  };
}

export function allProcessor(deps: GapJobDeps) {
  return async (job: Job): Promise<{ customers: number }> => {
    const { meta, customers } = parsePayload(allJobSchema, job);
    // Children finish in any order; the thread lists customers in the order of the config.
    const reports = Object.values(await job.getChildrenValues())
      .map((v) => gapReportSchema.parse(v))
      .sort((x, y) => customers.indexOf(x.customer) - customers.indexOf(y.customer));
    const failed = customers.filter((c) => !reports.some((r) => r.customer === c));
    await publishAllSummary(deps, meta, reports, failed);
    await finishRun(deps, meta, { status: 'done', verdict: reports.some((r) => r.verdict === 'gap') ? 'gap' : 'no_gap' });
    return { customers: reports.length };
  };
}

async function finishRun(deps: GapJobDeps, meta: RunMeta, outcome: { status: 'done' | 'failed'; verdict?: string; summary?: unknown; error?: string }): Promise<void> {
  await deps.ops?.finishRun(meta.runId, outcome);
  await deps.runState.release(meta.subject, meta.runId);
}

/**
 * The worker's failure path (single destination for job errors): once a job has failed for good, say so in the
 * thread: which customer and window, what to do. Failures of one customer inside an `all` run are posted but
 * do not end the run.
 */
export async function onJobFailedForGood(deps: GapJobDeps, job: Job, err: Error): Promise<void> {
  const final = err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
  if (!final) return;
  const data = job.data as { meta?: RunMeta; plan?: { customer: string }; window?: { from: string; to: string } };
  const meta = data.meta;
  if (!meta) return;
  const customer = data.plan?.customer;
  const partOfAll = meta.subject.startsWith('all|');
  deps.logger.error({ jobId: job.id, runId: meta.runId, customer, window: data.window?.from, err }, 'job failed for good');
  if (!(await deps.runState.once(meta.runId, `failed-${partOfAll ? (customer ?? 'all') : 'run'}`))) return;
  const hint = /timeout/i.test(err.message)
    ? 'Narrow the period, or raise gap.statementTimeoutMs; then run the command again.'
    : 'Check the bot log for this job id, fix the cause, then run the command again.';
  const window = data.window ? data.window.from.slice(0, 10) : undefined;
  const message = `${err.message} (job ${job.id})`;
  await deps.publisher
    .postInThread(meta.channel, meta.rootTs, errorMessage({ customer, window, message, hint }))
    .catch((e: unknown) => deps.logger.error({ err: e, runId: meta.runId }, 'could not post the failure'));
  if (!partOfAll) {
    await deps.publisher
      .updateRoot(meta.channel, meta.rootTs, rootMessage({ status: 'failed', customer: meta.display, periodLabel: meta.periodLabel, message: err.message, hint, window, requestedBy: meta.requestedBy }))
      .catch(() => undefined);
    await finishRun(deps, meta, { status: 'failed', error: err.message });
  }
}

