import type { Queue } from 'bullmq';
import type { WatchAudit } from '../config/watch-schema.js';
import type { Logger } from '../shared/logger.js';
import { digestCron } from './digest-blocks.js';

// The daily digests as BullMQ job schedulers on the watch queue, beside the audits': one per audit with
// `digest: "HH:MM"` (id "digest:<name>", a cron in UTC, job name "digest"). Those of audits without a digest any
// more are removed at start. Exactly once per day is the ops database's claim (digest.ts), not the scheduler's.

export const DIGEST_PREFIX = 'digest:';
export const DIGEST_JOB = 'digest';

function upsertDigest(queue: Queue, a: WatchAudit): Promise<unknown> {
  return queue.upsertJobScheduler(`${DIGEST_PREFIX}${a.name}`, { pattern: digestCron(a.digest!), tz: 'UTC' }, {
    name: DIGEST_JOB,
    data: { audit: a.name },
    opts: { attempts: 3, backoff: { type: 'exponential', delay: 30_000 }, removeOnComplete: { age: 7 * 86_400, count: 50 }, removeOnFail: { age: 7 * 86_400, count: 50 } },
  });
}

export async function syncDigestSchedulers(queue: Queue, audits: readonly WatchAudit[], logger: Logger): Promise<string[]> {
  const wanted = audits.filter((a) => a.digest);
  for (const a of wanted) await upsertDigest(queue, a);
  const ids = new Set(wanted.map((a) => `${DIGEST_PREFIX}${a.name}`));
  const removed: string[] = [];
  for (const s of await queue.getJobSchedulers(0, -1)) {
    if (s.key.startsWith(DIGEST_PREFIX) && !ids.has(s.key)) {
      await queue.removeJobScheduler(s.key);
      removed.push(s.key);
    }
  }
  if (removed.length > 0) logger.info({ removed }, 'watch: removed digest schedules no longer configured');
  return removed;
}

/** Puts back a digest scheduler a Redis failover or restart lost (the day's claim keeps a second post out). */
export async function restoreDigestSchedulers(queue: Queue, audits: readonly WatchAudit[], logger: Logger): Promise<string[]> {
  const restored: string[] = [];
  for (const a of audits.filter((x) => x.digest)) {
    if (await queue.getJobScheduler(`${DIGEST_PREFIX}${a.name}`)) continue;
    await upsertDigest(queue, a);
    restored.push(a.name);
  }
  if (restored.length > 0) logger.warn({ restored }, 'watch: restored digest schedules');
  return restored;
}
