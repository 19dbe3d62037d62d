import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observability/metrics.js';
import { createMetricsSnapshot } from '../../src/observability/metrics-snapshot.js';
import { queueDepthReader } from '../../src/observability/queue-depths.js';
import { captureLog, freePort } from '../support/job-helpers.js';

// /metrics never waits on Redis: queue depths read through the workers' connection (which waits for Redis forever)
// give up at their deadline and keep the last values, a stuck read is joined rather than stacked, and a refresh
// that never ends does not freeze the gauges for good.

describe('bounded gauge reads', () => {
  it('queue depths against a Redis that is not there: rejected within the deadline, last values kept', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.queueDepth.set({ queue: 'scorecard-watch', state: 'waiting' }, 7);
    const port = await freePort(); // nothing listens there
    const depths = queueDepthReader(metrics, { host: '127.0.0.1', port, maxRetriesPerRequest: null }, 'sgb-deadline', ['scorecard-watch'], { deadlineMs: 500 });
    try {
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        await expect(depths.read()).rejects.toThrow(/queue depths not read within 500 ms/);
        expect(performance.now() - t0).toBeLessThan(1_500);
      }
      expect((await metrics.queueDepth.get()).values.find((v) => v.labels.state === 'waiting')?.value).toBe(7);
    } finally {
      const t0 = performance.now();
      await depths.close();
      expect(performance.now() - t0).toBeLessThan(3_000);
    }
  }, 30_000);

  it('a refresh that never ends is given up at its deadline; the next scrape starts a new one; one log line', async () => {
    const log = captureLog('info');
    let started = 0;
    const snapshot = createMetricsSnapshot({ refresh: () => (started++, new Promise<void>(() => undefined)), logger: log.logger, maxAgeMs: 0, firstWaitMs: 50, refreshDeadlineMs: 100 });
    await snapshot.beforeScrape();
    await new Promise((r) => setTimeout(r, 200));
    await snapshot.beforeScrape();
    await new Promise((r) => setTimeout(r, 200));
    await snapshot.beforeScrape();
    expect(started).toBe(3);
    // Three failures of the same cause within a minute: one warning.
    await new Promise((r) => setTimeout(r, 200));
    expect(log.lines.filter((l) => String(l.msg).startsWith('metrics: refreshing the gauges failed'))).toHaveLength(1);
  });
});
