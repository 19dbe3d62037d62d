import { Queue, type ConnectionOptions } from 'bullmq';
import type { BotMetrics } from './metrics.js';

// Queue depth gauges, read before a scrape (a few Redis calls). The queues use the workers' connection, which waits
// for Redis as long as it takes: a read while Redis is down would never end. So a read has a deadline, at most one
// is in flight (a stuck one is joined, never stacked), and the gauges keep their last values meanwhile.

export const QUEUE_DEPTH_DEADLINE_MS = 2_000;

export function queueDepthReader(
  metrics: BotMetrics,
  connection: ConnectionOptions,
  prefix: string,
  names: string[],
  opts: { deadlineMs?: number } = {},
): { read(): Promise<void>; close(): Promise<void> } {
  // Opened at the first scrape: a process nobody scrapes holds no extra connections.
  let queues: Queue[] = [];
  let inFlight: Promise<void> | null = null;
  const readAll = async (): Promise<void> => {
    if (queues.length === 0) {
      queues = names.map((n) => new Queue(n, { connection, prefix }));
      for (const q of queues) q.on('error', () => undefined);
    }
    await Promise.all(
      queues.map(async (q) => {
        const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'waiting-children', 'prioritized');
        for (const [state, n] of Object.entries(counts)) metrics.queueDepth.set({ queue: q.name, state }, n);
      }),
    );
  };
  return {
    async read() {
      inFlight ??= readAll().finally(() => (inFlight = null));
      const deadlineMs = opts.deadlineMs ?? QUEUE_DEPTH_DEADLINE_MS;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`redis: queue depths not read within ${deadlineMs} ms; serving the last values`)), deadlineMs);
      });
      await Promise.race([inFlight, deadline]).finally(() => clearTimeout(timer));
    },
    close: async () => {
      // A read stuck on a Redis that is gone must not hold up the drain.
      await Promise.race([Promise.all(queues.map((q) => q.close().catch(() => undefined))), new Promise((r) => setTimeout(r, 2_000).unref())]);
    },
  };
}
