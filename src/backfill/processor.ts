import { Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { z } from 'zod';
import { isPermanent, userFacing } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { BackfillProgress, BackfillResult } from './job.js';
import type { PlanProgress } from './plan.js';
import type { BackfillService } from './service.js';
import type { BackfillRequest } from './store.js';
import { createLogLimiter } from '../shared/log-limiter.js';

// The backfill queue: one job per approved request, jobId = request ID, so a double enqueue is one job. The job
// itself is resumable (checkpoints in the ops database): a worker killed with kill -9 loses its lock, BullMQ
// hands the stalled job to another worker, and that worker continues after the last committed chunk.

export const BACKFILL_QUEUE = 'scorecard-backfill';
const JOB_ATTEMPTS = 3;

const payloadSchema = z.object({ requestId: z.string().min(1).max(100) });

export interface BackfillQueueSettings {
  connection: ConnectionOptions;
  prefix: string;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

export function backfillQueue(settings: BackfillQueueSettings): Queue {
  return new Queue(BACKFILL_QUEUE, { connection: settings.connection, prefix: settings.prefix });
}

/** Enqueues an approved request; safe to call twice (same jobId). */
export async function enqueueBackfill(queue: Queue, requestId: string): Promise<void> {
  // Attempts: an error outside a chunk (the ops database away for a moment) retries the job, which resumes
  // after its last checkpoint; chunk failures are retried inside the job and end the request as failed.
  await queue.add('run', { requestId }, { jobId: requestId, attempts: JOB_ATTEMPTS, backoff: { type: 'exponential', delay: 5_000 }, removeOnComplete: 1000, removeOnFail: 1000 });
}

export function startBackfillWorker(
  service: BackfillService,
  settings: BackfillQueueSettings,
  logger: Logger,
  hooks: {
    onProgress?: (requestId: string, p: BackfillProgress) => void;
    onFinished?: (requestId: string, r: BackfillResult) => void;
    /** The job failed for good outside its chunks (the request is then marked failed with the reason). */
    onFailed?: (requestId: string, error: string) => void;
  } = {},
): Worker {
  const worker = new Worker(
    BACKFILL_QUEUE,
    async (job: Job) => {
      const parsed = payloadSchema.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`backfill job ${job.id} has an unreadable payload`);
      const { requestId } = parsed.data;
      const result = await service.run(requestId, (p) => hooks.onProgress?.(requestId, p));
      hooks.onFinished?.(requestId, result);
      return result;
    },
    {
      connection: settings.connection,
      prefix: settings.prefix,
      // One backfill at a time per worker: they are throttled writers on production databases.
      concurrency: 1,
      lockDuration: settings.lockDurationMs ?? 30_000,
      stalledInterval: settings.stalledIntervalMs ?? 30_000,
      maxStalledCount: 5,
    },
  );
  // Redis away: the same error at every reconnect; one line per cause per minute.
  const limited = createLogLimiter(logger);
  worker.on('error', (err) => limited.error(`backfill:${err.message.slice(0, 40)}`, { err: err.message, queue: BACKFILL_QUEUE }, 'backfill worker error'));
  worker.on('failed', (job, err) => {
    if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
    const parsed = payloadSchema.safeParse(job.data);
    if (!parsed.success) return;
    logger.error({ err, requestId: parsed.data.requestId }, 'backfill job failed for good');
    void service
      .failUnexpectedly(parsed.data.requestId, err)
      .then((error) => hooks.onFailed?.(parsed.data.requestId, error))
      .catch((e: unknown) => logger.error({ err: e }, 'could not mark the backfill failed'));
  });
  return worker;
}

// Planning is a job too: a click is acknowledged at once and never holds the Slack listener, and a plan of
// thirteen months runs on a worker, heart-beating as it goes (a planner that dies is noticed by the reconciler).
export const BACKFILL_PLAN_QUEUE = 'scorecard-backfill-plan';

export function planQueue(settings: BackfillQueueSettings): Queue {
  return new Queue(BACKFILL_PLAN_QUEUE, { connection: settings.connection, prefix: settings.prefix });
}

/** Enqueues the plan of a request in `planning`; safe to call twice (same jobId). */
export async function enqueuePlan(queue: Queue, requestId: string): Promise<void> {
  // One attempt: a failed plan is recorded with its reason; a worker that dies mid-plan is covered by stall detection.
  await queue.add('plan', { requestId }, { jobId: requestId, attempts: 1, removeOnComplete: 1000, removeOnFail: 1000 });
}

export function startPlanWorker(
  service: BackfillService,
  settings: BackfillQueueSettings,
  logger: Logger,
  hooks: {
    onProgress?: (requestId: string, p: PlanProgress) => void;
    /** The plan is stored (pending, or done when there is nothing to write), or the request ended meanwhile. */
    onPlanned?: (requestId: string, req: BackfillRequest | null) => void;
    onFailed?: (requestId: string, error: string) => void;
  } = {},
): Worker {
  const worker = new Worker(
    BACKFILL_PLAN_QUEUE,
    async (job: Job) => {
      const parsed = payloadSchema.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`plan job ${job.id} has an unreadable payload`);
      const { requestId } = parsed.data;
      try {
        const req = await service.plan(requestId, (p) => hooks.onProgress?.(requestId, p));
        hooks.onPlanned?.(requestId, req);
      } catch (err) {
        // The request is already marked failed with the reason (service.plan): nothing a retry would change.
        hooks.onFailed?.(requestId, userFacing(err).message);
        if (isPermanent(err)) throw new UnrecoverableError(userFacing(err).message);
        throw err;
      }
    },
    { connection: settings.connection, prefix: settings.prefix, concurrency: 2, lockDuration: settings.lockDurationMs ?? 30_000, stalledInterval: settings.stalledIntervalMs ?? 30_000 },
  );
  const limited = createLogLimiter(logger);
  worker.on('error', (err) => limited.error(`backfill-plan:${err.message.slice(0, 40)}`, { err: err.message, queue: BACKFILL_PLAN_QUEUE }, 'backfill plan worker error'));
  return worker;
}
