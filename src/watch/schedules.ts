import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { createLogLimiter } from '../shared/log-limiter.js';
import type { Logger } from '../shared/logger.js';
import type { BotMetrics } from '../observability/metrics.js';
import { runAudit, type AuditDeps } from './audit.js';
import { everyMs, type WatchAudit } from '../config/watch-schema.js';

// The audits as BullMQ job schedulers: one scheduler per configured audit (id "watch:<name>"), so a schedule runs
// once however many workers listen, and survives restarts. Schedulers of audits no longer in the config are removed
// at start. The job carries only the audit's name; its settings are read from the running config.

export const WATCH_QUEUE = 'scorecard-watch';
const SCHEDULER_PREFIX = 'watch:';

export interface WatchQueueSettings {
  connection: ConnectionOptions;
  prefix: string;
}

/** Pure: the repeat options of an audit (cron in UTC, or a fixed interval). */
export function repeatOf(audit: WatchAudit): { pattern: string; tz: string } | { every: number } {
  return audit.cron ? { pattern: audit.cron, tz: 'UTC' } : { every: everyMs(audit.every ?? '1h') };
}

function upsertScheduler(queue: Queue, a: WatchAudit): Promise<unknown> {
  return queue.upsertJobScheduler(`${SCHEDULER_PREFIX}${a.name}`, repeatOf(a), {
    name: 'audit',
    data: { audit: a.name },
    opts: { removeOnComplete: { age: 7 * 86_400, count: 200 }, removeOnFail: { age: 7 * 86_400, count: 200 } },
  });
}

/** Makes the queue's schedulers match the config; returns the ids removed. */
export async function syncSchedulers(queue: Queue, audits: readonly WatchAudit[], logger: Logger): Promise<string[]> {
  const wanted = new Set(audits.map((a) => `${SCHEDULER_PREFIX}${a.name}`));
  for (const a of audits) await upsertScheduler(queue, a);
  const removed: string[] = [];
  const existing = await queue.getJobSchedulers(0, -1);
  for (const s of existing) {
    const id = s.key;
    if (id.startsWith(SCHEDULER_PREFIX) && !wanted.has(id)) {
      await queue.removeJobScheduler(id);
      removed.push(id);
    }
  }
  if (removed.length > 0) logger.info({ removed }, 'watch: removed schedules of audits no longer configured');
  return removed;
}

/**
 * Puts back what a Redis failover or restart lost: a scheduler that is gone (a Redis that came back empty), and the
 * scheduler of an audit the watchdog found stale (its next job lost with the old primary: the scheduler makes the
 * next job only when one completes, so it would never run again). Upserting keeps the schedule's timing and adds
 * the missing next job. Returns the names restored.
 */
export async function restoreSchedulers(queue: Queue, audits: readonly WatchAudit[], stale: ReadonlySet<string>, logger: Logger): Promise<string[]> {
  const restored: string[] = [];
  for (const a of audits) {
    const present = await queue.getJobScheduler(`${SCHEDULER_PREFIX}${a.name}`);
    if (present && !stale.has(a.name)) continue;
    await upsertScheduler(queue, a);
    restored.push(a.name);
  }
  if (restored.length > 0) logger.warn({ restored }, 'watch: restored audit schedules (lost, or their audit stopped running)');
  return restored;
}

export interface WatchWorker {
  worker: Worker;
  close(): Promise<void>;
}

export interface WatchWorkerOptions {
  metrics?: BotMetrics | null;
  lockDurationMs?: number;
  /** Runs an audit's daily digest (a "digest" job, digest-schedules.ts); absent: such jobs are skipped. */
  digest?: (audit: WatchAudit) => Promise<unknown>;
}

export function startWatchWorker(deps: AuditDeps, audits: readonly WatchAudit[], settings: WatchQueueSettings, opts: WatchWorkerOptions = {}): WatchWorker {
  const logger = deps.gap.logger;
  // A spread audit sleeps between customers for up to half its interval: closing must not wait that out.
  const stopping = new AbortController();
  const worker = new Worker(
    WATCH_QUEUE,
    async (job) => {
      const name = String((job.data as { audit?: unknown }).audit ?? '');
      const audit = audits.find((a) => a.name === name);
      // A schedule left by an older config (removed at the next start) must not fail forever.
      if (!audit) {
        logger.warn({ audit: name }, 'watch: no such audit in the config; skipped');
        return { skipped: true };
      }
      if (job.name === 'digest') return opts.digest ? ((await opts.digest(audit)) as object) : { skipped: true };
      logger.info({ audit: name, jobId: job.id }, 'watch: audit job started');
      const outcome = await runAudit(deps, audit, { signal: stopping.signal });
      // The watchdog's watchdog reads this (real time, not the audit's clock): any worker's run counts.
      await deps.health?.completed(audit.name, new Date()).catch((err: unknown) => logger.warn({ err, audit: name }, 'watch: could not record the audit as completed'));
      return { announced: outcome.announced, summarised: outcome.summarised, durationMs: outcome.durationMs };
    },
    // One job per audit at a time is what the schedulers produce; a spread audit of 300 customers runs for half its
    // interval, so the worker takes every configured audit at once rather than queueing a 5-minute one behind it.
    { connection: settings.connection, prefix: settings.prefix, concurrency: Math.max(1, audits.length), lockDuration: opts.lockDurationMs ?? 60_000 },
  );
  worker.on('failed', (_job, err) => {
    opts.metrics?.jobFailures.inc({ queue: WATCH_QUEUE });
    logger.error({ err }, 'watch: audit job failed');
  });
  // Redis away: the same error at every reconnect; one line per cause per minute.
  const limited = createLogLimiter(logger);
  worker.on('error', (err) => limited.error(`watch-worker:${err.message.slice(0, 40)}`, { err: err.message }, 'watch: worker error'));
  return {
    worker,
    close: () => {
      stopping.abort();
      return worker.close();
    },
  };
}
