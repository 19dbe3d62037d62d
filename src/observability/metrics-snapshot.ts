import { createLogLimiter } from '../shared/log-limiter.js';
import type { Logger } from '../shared/logger.js';

// The gauges a scrape reports (queue depths from Redis, audit numbers from the ops database) are refreshed at most
// every `maxAgeMs`, in the background, one refresh at a time. A scrape never waits on Redis or the database (a
// flood of scrapes costs one read per interval, and a down Redis cannot hang /metrics): it gets the last snapshot.
// Only the very first scrape waits, briefly, so a fresh process does not report empty gauges.

export interface MetricsSnapshotOptions {
  refresh: () => Promise<void>;
  logger: Logger;
  /** Default 15 s. */
  maxAgeMs?: number;
  /** How long the first scrape waits for the first refresh (default 2 s). */
  firstWaitMs?: number;
  /** A refresh that takes longer is given up (the next one may start): a stuck read never freezes the gauges. */
  refreshDeadlineMs?: number;
  now?: () => number;
}

export interface MetricsSnapshot {
  /** Before a scrape: starts a refresh when the snapshot is older than maxAgeMs; waits only for the first one. */
  beforeScrape(): Promise<void>;
  /** Refreshes started so far (what a flood of scrapes costs). */
  readonly refreshes: number;
  /** Waits for a refresh in flight. */
  close(): Promise<void>;
}

export function createMetricsSnapshot(opts: MetricsSnapshotOptions): MetricsSnapshot {
  const maxAgeMs = opts.maxAgeMs ?? 15_000;
  const now = opts.now ?? Date.now;
  let refreshedAt = -Infinity;
  let inFlight: Promise<void> | null = null;
  let refreshes = 0;
  let everRefreshed = false;
  const limited = createLogLimiter(opts.logger);
  const deadlineMs = opts.refreshDeadlineMs ?? 10_000;

  const start = (): Promise<void> => {
    refreshes += 1;
    refreshedAt = now();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the gauges were not read within ${deadlineMs} ms`)), deadlineMs);
      timer.unref();
    });
    inFlight = Promise.race([opts.refresh(), deadline])
      .then(() => void (everRefreshed = true))
      .catch((err: unknown) => {
        const message = String((err as Error)?.message ?? err);
        limited.warn(`metrics:${message.slice(0, 40)}`, { err: message }, 'metrics: refreshing the gauges failed; serving the last values');
      })
      .finally(() => {
        clearTimeout(timer);
        inFlight = null;
      });
    return inFlight;
  };

  return {
    async beforeScrape() {
      const first = !everRefreshed && refreshes === 0;
      const due = inFlight === null && now() - refreshedAt >= maxAgeMs;
      const running = due ? start() : inFlight;
      if (first && running) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([running, new Promise<void>((r) => (timer = setTimeout(r, opts.firstWaitMs ?? 2_000)))]).finally(() => clearTimeout(timer));
      }
    },
    get refreshes() {
      return refreshes;
    },
    async close() {
      await inFlight;
    },
  };
}
