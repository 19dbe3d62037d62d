import { randomUUID } from 'node:crypto';
import type { FlowJob, FlowProducer } from 'bullmq';
import type { GapSettings } from '../config/schema.js';
import type { RunState, ActiveRun } from './jobs/run-state.js';
import type { OpsStore } from '../ops/ops-store.js';
import type { CustomerSources } from '../sources/customer-sources.js';
import type { ThreadPublisher } from '../slack/thread-publisher.js';
import { rootMessage } from './views/gap-blocks.js';
import type { GapInput } from './gap-input.js';
import { allJobSchema, QUEUES, reportJobSchema, windowJobSchema, type RunMeta } from './gap-job-payloads.js';
import { planGap, type GapPlan } from './gap-service.js';

export interface JobRetryOptions {
  attempts: number;
  backoffMs: number;
}

/** The retry policy of windows and reports, from the config. */
export function retryOptions(settings: Pick<GapSettings, 'windowAttempts' | 'retryBackoffMs'>): JobRetryOptions {
  return { attempts: settings.windowAttempts, backoffMs: settings.retryBackoffMs };
}

/** How long a failing job keeps being retried: the sum of its exponential backoffs (base, 2 base, 4 base...). */
export function retryBudgetMs(retry: JobRetryOptions): number {
  let total = 0;
  for (let i = 0; i < retry.attempts - 1; i++) total += retry.backoffMs * 2 ** i;
  return total;
}

/** Finished reports (and `all` summaries) stay a week or the last 200, whichever is fewer: Redis stays bounded. */
export const KEEP_FINISHED = { age: 7 * 86_400, count: 200 } as const;
/** Failed windows stay a day (for a look at why); successful ones go at once: their result lives on in the parent. */
export const KEEP_FAILED_WINDOWS = { age: 86_400, count: 1000 } as const;

/**
 * Pure: the BullMQ flow of a run. Windows are children of a customer's report; customers are children of `all`.
 * BullMQ is the only retry layer for windows: `attempts` tries with exponential backoff from `backoffMs`.
 */
export function buildGapFlow(meta: RunMeta, plans: GapPlan[], all: boolean, retry: JobRetryOptions): FlowJob {
  const backoff = { type: 'exponential', delay: retry.backoffMs };
  const windowOpts = { attempts: retry.attempts, backoff, failParentOnFailure: true, removeOnComplete: true, removeOnFail: KEEP_FAILED_WINDOWS };
  const keep = { removeOnComplete: KEEP_FINISHED, removeOnFail: KEEP_FINISHED };
  const reportFlow = (plan: GapPlan, standalone: boolean): FlowJob => ({
    name: 'report',
    queueName: QUEUES.report,
    data: reportJobSchema.parse({ meta, plan, standalone }),
    opts: {
      jobId: standalone ? meta.runId : `${meta.runId}-${plan.customer}`,
      attempts: retry.attempts,
      backoff,
      ...keep,
      // In an `all` run one customer's failure must not sink the others.
      ...(standalone ? {} : { ignoreDependencyOnFailure: true }),
    },
    children: plan.windows.map((window, i) => ({
      name: 'window',
      queueName: QUEUES.window,
      data: windowJobSchema.parse({ meta, plan: { ...plan, windows: [] }, window }),
      opts: { ...windowOpts, jobId: `${meta.runId}-${plan.customer}-w${i}` },
    })),
  });
  if (!all) {
    const [plan] = plans;
    if (!plan) throw new Error('a single-customer run needs one plan');
    return reportFlow(plan, true);
  }
  return {
    name: 'all',
    queueName: QUEUES.all,
    data: allJobSchema.parse({ meta, customers: plans.map((p) => p.customer) }),
    opts: { jobId: meta.runId, attempts: retry.attempts, backoff, ...keep },
    children: plans.map((p) => reportFlow(p, false)),
  };
}

export interface StartGapDeps {
  sources: CustomerSources;
  settings: GapSettings;
  flow: FlowProducer;
  runState: RunState;
  publisher: ThreadPublisher;
  ops: OpsStore | null;
  retry: JobRetryOptions;
  newRunId?: () => string;
}

export type StartOutcome = { status: 'started'; runId: string; rootTs: string } | { status: 'joined'; run: ActiveRun };

/** The key of the (customer, period) claim; the reconciler rebuilds it from an ops row. */
export function subjectKey(customer: string, fromIso: string, toIso: string): string {
  return `${customer}|${fromIso}|${toIso}`;
}

export function runSubject(input: GapInput): string {
  return subjectKey(input.customer, input.period.from.toISOString(), input.period.to.toISOString());
}

/**
 * Starts a run: claim (customer, period) so a second request joins instead of duplicating, post the root
 * message (slash commands cannot post into threads), record the run, enqueue the flow.
 */
export async function startGapRun(deps: StartGapDeps, input: GapInput, who: { channel: string; user: string; threadTs?: string }): Promise<StartOutcome> {
  const runId = (deps.newRunId ?? randomUUID)();
  const subject = runSubject(input);
  const held = await deps.runState.claim(subject, { runId, channel: '', rootTs: '' });
  if (held) return { status: 'joined', run: held };
  let posted: { channel: string; ts: string; display: string } | null = null;
  let recorded = false;
  try {
    const customers = input.customer === 'all' ? deps.sources.customers.map((c) => c.name) : [input.customer];
    const plans = customers.map((c) => planGap(deps.sources, deps.settings, c, input.period));
    const display = input.customer === 'all' ? `all ${customers.length} customers` : input.customer;
    const rootTs = await deps.publisher.postRoot(
      who.channel,
      rootMessage({ status: 'queued', customer: display, periodLabel: input.period.label, requestedBy: who.user }),
      who.threadTs,
    );
    posted = { channel: who.channel, ts: rootTs, display };
    await deps.runState.update(subject, { runId, channel: who.channel, rootTs });
    const meta: RunMeta = {
      runId,
      subject,
      display,
      channel: who.channel,
      rootTs,
      ...(who.threadTs ? { threadTs: who.threadTs } : {}),
      requestedBy: who.user,
      periodLabel: input.period.label,
      totalWindows: plans.reduce((n, p) => n + p.windows.length, 0),
      startedAt: Date.now(),
    };
    await deps.ops?.recordRun({
      runId,
      customer: input.customer,
      periodLabel: input.period.label,
      periodFrom: input.period.from.toISOString(),
      periodTo: input.period.to.toISOString(),
      requestedBy: who.user,
      channel: who.channel,
      rootTs,
    });
    recorded = true;
    await deps.flow.add(buildGapFlow(meta, plans, input.customer === 'all', deps.retry));
    return { status: 'started', runId, rootTs };
  } catch (err) {
    await deps.runState.release(subject, runId).catch(() => undefined);
    if (recorded) await deps.ops?.finishRun(runId, { status: 'failed', error: 'could not be queued' }).catch(() => undefined);
    // The root message must not say "queued" forever when nothing was queued.
    if (posted) {
      await deps.publisher
        .updateRoot(posted.channel, posted.ts, rootMessage({ status: 'failed', customer: posted.display, periodLabel: input.period.label, message: 'The run could not be queued; nothing was started.', requestedBy: who.user }))
        .catch(() => undefined);
    }
    throw err;
  }
}
