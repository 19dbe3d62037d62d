import { Job } from 'bullmq';
import { subjectKey } from '../core/gap-flow.js';
import type { OpsStore } from '../../ops/ops-store.js';
import type { Logger } from '../../shared/logger.js';
import { startPeriodic } from '../../shared/periodic.js';
import { rootMessage } from '../views/gap-blocks.js';
import type { ThreadPublisher } from '../../slack/thread-publisher.js';
import type { FlowQueues } from './flow-progress.js';
import { logDetail } from './job-error.js';
import type { RunState } from './run-state.js';

// The ops database says which runs are open; the job queue says which of them still have jobs. A run whose jobs
// are gone (Redis restarted empty, a flow that never got queued) or that has run far too long would otherwise
// say "running" forever and hold its (customer, period) claim: the reconciler ends it. For live runs it is also
// the claim heartbeat. Runs at start and every `intervalMs` in every worker process; the ops update decides
// which process acts, so each run is ended once.

export interface ReconcilerOptions {
  intervalMs: number;
  /** A run younger than this may be between its ops row and its flow being queued: left alone. */
  graceMs: number;
  /** A run whose jobs still exist after this long is stuck: ended as failed. */
  maxRunMs: number;
}

export const DEFAULT_RECONCILER: ReconcilerOptions = { intervalMs: 60_000, graceMs: 60_000, maxRunMs: 6 * 3600_000 };

export type JobPresence = { state: 'missing' } | { state: 'completed'; verdict: string | null } | { state: 'failed' } | { state: 'live' };

export type Decision = { action: 'none' } | { action: 'heartbeat' } | { action: 'record-done'; verdict: string | null } | { action: 'end'; reason: string; showLost: boolean };

/** Pure: what to do with one open run, given its job and its age. */
export function decide(job: JobPresence, ageMs: number, opts: Pick<ReconcilerOptions, 'graceMs' | 'maxRunMs'>): Decision {
  switch (job.state) {
    case 'missing':
      return ageMs < opts.graceMs ? { action: 'none' } : { action: 'end', reason: 'the job queue was reset', showLost: true };
    case 'completed':
      // Delivered, but its bookkeeping did not land (the ops database was away): record it quietly.
      return { action: 'record-done', verdict: job.verdict };
    case 'failed':
      return { action: 'end', reason: 'it failed while its end could not be recorded', showLost: false };
    case 'live':
      return ageMs > opts.maxRunMs ? { action: 'end', reason: `it ran longer than ${Math.round(opts.maxRunMs / 60_000)} minutes`, showLost: true } : { action: 'heartbeat' };
  }
}

export interface ReconcilerDeps {
  ops: OpsStore;
  runState: RunState;
  publisher: ThreadPublisher;
  queues: FlowQueues;
  logger: Logger;
  now?: () => number;
}

async function presence(queues: FlowQueues, customer: string, runId: string): Promise<JobPresence> {
  const job = await Job.fromId(customer === 'all' ? queues.all : queues.report, runId);
  if (!job) return { state: 'missing' };
  const state = await job.getState();
  if (state === 'completed') return { state: 'completed', verdict: (job.returnvalue as { verdict?: string } | null)?.verdict ?? null };
  if (state === 'failed') return { state: 'failed' };
  return state === 'unknown' ? { state: 'missing' } : { state: 'live' };
}

export class Reconciler {
  private schedule: { stop(): Promise<void> } | null = null;

  constructor(
    private readonly deps: ReconcilerDeps,
    private readonly opts: ReconcilerOptions = DEFAULT_RECONCILER,
  ) {}

  start(): void {
    this.schedule = startPeriodic(() => this.tick(), this.opts.intervalMs, (err) => this.deps.logger.warn(logDetail(err), 'reconciler pass failed'));
  }

  async stop(): Promise<void> {
    await this.schedule?.stop();
    this.schedule = null;
  }

  /** One pass over the open runs. */
  async tick(): Promise<void> {
    const { ops, runState, publisher, queues, logger } = this.deps;
    const now = (this.deps.now ?? Date.now)();
    for (const run of await ops.unfinishedRuns()) {
      const subject = subjectKey(run.customer, run.periodFrom, run.periodTo);
      const decision = decide(await presence(queues, run.customer, run.runId), now - Date.parse(run.createdAt), this.opts);
      if (decision.action === 'heartbeat') await runState.extendClaim(subject, run.runId);
      if (decision.action === 'record-done') await ops.finishRun(run.runId, { status: 'done', ...(decision.verdict ? { verdict: decision.verdict } : {}) });
      if (decision.action !== 'end') continue;
      if (!(await ops.failIfUnfinished(run.runId, `lost: ${decision.reason}`))) continue;
      await runState.release(subject, run.runId);
      logger.warn({ runId: run.runId, customer: run.customer, period: run.periodLabel, requestedBy: run.requestedBy, reason: decision.reason }, 'run lost; marked failed');
      if (!decision.showLost) continue;
      const customer = run.customer === 'all' ? 'all customers' : run.customer;
      await publisher
        .updateRoot(run.channel, run.rootTs, rootMessage({ status: 'lost', customer, periodLabel: run.periodLabel, reason: decision.reason, requestedBy: run.requestedBy }))
        .catch((err: unknown) => logger.warn({ runId: run.runId, ...logDetail(err) }, 'could not mark the root message lost'));
    }
  }
}
