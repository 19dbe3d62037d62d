import type { FlowJob } from 'bullmq';
import type { GapSettings } from '../../config/schema.js';
import type { GapInput } from './gap-input.js';
import { allJobSchema, QUEUES, reportJobSchema, windowJobSchema, type RunMeta } from './gap-job-payloads.js';
import type { GapPlan } from '../gap-service.js';

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

/** The key of the (customer, period) claim; the reconciler rebuilds it from an ops row. */
export function subjectKey(customer: string, fromIso: string, toIso: string): string {
  return `${customer}|${fromIso}|${toIso}`;
}

export function runSubject(input: GapInput): string {
  return subjectKey(input.customer, input.period.from.toISOString(), input.period.to.toISOString());
}

