import { Queue, type ConnectionOptions } from 'bullmq';
import type { BotMetrics } from './metrics.js';

/** Queue depth gauges, read at scrape time (a few Redis calls). */
export function queueDepthReader(metrics: BotMetrics, connection: ConnectionOptions, prefix: string, names: string[]): { read(): Promise<void>; close(): Promise<void> } {
  // Opened at the first scrape: a process nobody scrapes holds no extra connections.
  let queues: Queue[] = [];
  return {
    async read() {
      if (queues.length === 0) queues = names.map((n) => new Queue(n, { connection, prefix }));
      await Promise.all(
        queues.map(async (q) => {
          const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'waiting-children', 'prioritized');
          for (const [state, n] of Object.entries(counts)) metrics.queueDepth.set({ queue: q.name, state }, n);
        }),
      );
    },
    close: async () => void (await Promise.all(queues.map((q) => q.close()))),
  };
}
