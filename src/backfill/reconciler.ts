import type { Queue } from 'bullmq';
import type { Logger } from '../shared/logger.js';
import { startPeriodic } from '../shared/periodic.js';
import type { BackfillRequest, BackfillStore } from './store.js';

// No request is ever stranded. Every transition is committed before its side effect (queueing a job, posting), so
// after any crash the ops database says what should be happening; the reconciler makes the job queue agree. It runs
// at start and every minute in every worker process; enqueueing is idempotent (jobId = request ID) and each state
// change is a conditional UPDATE, so two reconcilers never act twice.

export interface BackfillReconcilerOptions {
  intervalMs: number;
  /** A planning request whose planner has not been heard of for this long is lost. */
  planStaleMs: number;
  /** A request younger than this may be between its commit and its enqueue: left alone. */
  graceMs: number;
}

export const DEFAULT_BACKFILL_RECONCILER: BackfillReconcilerOptions = { intervalMs: 60_000, planStaleMs: 120_000, graceMs: 30_000 };

export type JobState = 'missing' | 'live' | 'completed' | 'failed';

export type Repair = { action: 'none' } | { action: 'lose' } | { action: 'enqueue'; reason: string } | { action: 'stop' } | { action: 'fail'; reason: string };

/** Pure: what one open request needs, given its job's state and how long ago it last changed. */
export function repairFor(req: Pick<BackfillRequest, 'status' | 'heartbeatAt' | 'createdAt' | 'decidedAt' | 'startedAt'>, job: JobState, now: number, opts: BackfillReconcilerOptions): Repair {
  const since = (d: Date | null) => now - (d ?? req.createdAt).getTime();
  switch (req.status) {
    case 'planning':
      return since(req.heartbeatAt) > opts.planStaleMs ? { action: 'lose' } : { action: 'none' };
    case 'approved':
      if (job === 'live') return { action: 'none' };
      if (job === 'failed') return { action: 'fail', reason: 'its job failed before it could start' };
      return since(req.decidedAt) > opts.graceMs ? { action: 'enqueue', reason: 'approved, but its job was never queued (or the queue was reset)' } : { action: 'none' };
    case 'running':
      if (job === 'live') return { action: 'none' };
      if (job === 'failed') return { action: 'fail', reason: 'its job failed while its end could not be recorded' };
      return { action: 'enqueue', reason: 'running, but its job is gone (the queue was reset): resumed from its last checkpoint' };
    case 'cancelling':
      return job === 'live' ? { action: 'none' } : { action: 'stop' };
    default:
      return { action: 'none' };
  }
}

export interface BackfillReconcilerDeps {
  store: BackfillStore;
  queue: Queue;
  enqueue(requestId: string): Promise<void>;
  logger: Logger;
  /** Tells the thread (lost plans, stops, failures). */
  onRepaired?: (req: BackfillRequest, repair: Repair) => void;
  now?: () => number;
}

async function jobState(queue: Queue, id: string): Promise<JobState> {
  const job = await queue.getJob(id);
  if (!job) return 'missing';
  const state = await job.getState();
  if (state === 'completed') return 'completed';
  if (state === 'failed') return 'failed';
  return state === 'unknown' ? 'missing' : 'live';
}

export class BackfillReconciler {
  private schedule: { stop(): Promise<void> } | null = null;

  constructor(
    private readonly deps: BackfillReconcilerDeps,
    private readonly opts: BackfillReconcilerOptions = DEFAULT_BACKFILL_RECONCILER,
  ) {}

  start(): void {
    this.schedule = startPeriodic(() => this.once(), this.opts.intervalMs, (err) => this.deps.logger.warn({ err }, 'backfill reconciler: a pass failed; the next one follows'));
  }

  async stop(): Promise<void> {
    await this.schedule?.stop();
    this.schedule = null;
  }

  /** One pass over every open request; returns what it did (tests, logs). */
  async once(): Promise<{ id: string; repair: Repair }[]> {
    const { store } = this.deps;
    const now = this.deps.now?.() ?? Date.now();
    const done: { id: string; repair: Repair }[] = [];
    for (const req of await store.inStatus(['planning', 'approved', 'running', 'cancelling'])) {
      const job = req.status === 'planning' ? 'missing' : await jobState(this.deps.queue, req.id);
      const repair = repairFor(req, job, now, this.opts);
      if (repair.action === 'none') continue;
      let acted = true;
      if (repair.action === 'lose') acted = (await store.lose(req.id, this.opts.planStaleMs)) !== null;
      if (repair.action === 'stop') acted = (await store.stop(req.id, { status: 'cancelled', note: 'its job was gone; nothing more was written' })) !== null;
      if (repair.action === 'fail') acted = (await store.fail(req.id, repair.reason, {})) !== null;
      if (repair.action === 'enqueue') {
        // A finished job with this ID would make the add a no-op: it goes first (its request is still open).
        if (job === 'completed') await (await this.deps.queue.getJob(req.id))?.remove();
        await this.deps.enqueue(req.id);
        await store.appendAudit({ requestId: req.id, actor: 'reconciler', action: 'requeued', channel: req.channel, planHash: req.planHash, detail: { reason: repair.reason } });
      }
      if (!acted) continue;
      this.deps.logger.info({ requestId: req.id, status: req.status, action: repair.action }, 'backfill reconciler repaired a request');
      this.deps.onRepaired?.(req, repair);
      done.push({ id: req.id, repair });
    }
    return done;
  }
}
