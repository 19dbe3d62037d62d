import type { App } from '@slack/bolt';
import type { BackfillReconcilerOptions } from './backfill/reconciler.js';
import { wireBackfill } from './backfill/wire-backfill.js';
import { wireCheck } from './check/wire-check.js';
import type { Config } from './config/schema.js';
import type { ReconcilerOptions } from './gap/jobs/reconciler.js';
import type { RunStateOptions } from './gap/jobs/run-state.js';
import { wireGap } from './gap/wire-gap.js';
import { startObservabilityServer, type ObservabilityServer } from './observability/http-server.js';
import { createMetricsSnapshot, type MetricsSnapshot } from './observability/metrics-snapshot.js';
import { queueDepthReader } from './observability/queue-depths.js';
import { readinessChecks } from './observability/readiness-checks.js';
import { hostPortOf } from './observability/plain-cause.js';
import { createPlatform, type Platform } from './platform/platform.js';
import { redisTarget } from './platform/redis-connections.js';
import type { AppContext } from './platform/read-context.js';
import type { Logger } from './shared/logger.js';
import { createSlackApp, startSlackApp } from './slack/slack-app.js';
import { wireWatch } from './watch/wire-watch.js';

// The composition root of serve and worker: the platform (connections, clients, metrics) once, then each
// capability wires itself onto it, and this file only puts the pieces together and takes them apart in order.

export interface ServeOptions {
  /** false for `scorecard-bot worker`: jobs only, no Slack listener. */
  listen: boolean;
  logger?: Logger;
  /** Worker lock settings; short in tests so a killed worker's job moves on quickly. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  workers?: boolean;
  /** Reconciler timing and claim lifetimes; short in tests. */
  reconciler?: Partial<ReconcilerOptions>;
  runState?: RunStateOptions;
  /** First retry delay of a failed backfill chunk; short in tests. */
  backfillChunkBackoffMs?: number;
  /** The backfill reconciler's timing (re-queue, resume, lost plans); short in tests. */
  backfillReconciler?: Partial<BackfillReconcilerOptions>;
  /** The watchdog's clock (audits' lookback ends here); tests pin it inside the demo data. */
  watchNow?: () => Date;
}

export interface ServeContext extends AppContext {
  /** The Redis connections and the key prefix in use (a hash tag added on a cluster). */
  redis: Platform['redis'];
  app: App | null;
  /** The gauges /metrics serves, refreshed at most every 15 s on a connection of their own. */
  gauges: MetricsSnapshot;
  /** The /metrics, /healthz, /readyz server once started (config observability:), else null. */
  observability: ObservabilityServer | null;
  /** Starts listening (HTTP port or Socket Mode); resolves with the HTTP port in HTTP mode. */
  start(): Promise<number | null>;
}

export async function createServeContext(config: Config, opts: ServeOptions): Promise<ServeContext> {
  const p = await createPlatform(config, { listen: opts.listen, logger: opts.logger });
  const timing = { workers: opts.workers, lockDurationMs: opts.lockDurationMs, stalledIntervalMs: opts.stalledIntervalMs };
  const gap = wireGap(p, { ...timing, reconciler: opts.reconciler, runState: opts.runState });
  const check = wireCheck(p);
  const backfill = wireBackfill(p, { ...timing, chunkBackoffMs: opts.backfillChunkBackoffMs, reconciler: opts.backfillReconciler });
  const watch = wireWatch(p, gap.starter, { workers: opts.workers, lockDurationMs: opts.lockDurationMs, now: opts.watchNow });
  const capabilities = [gap, check, backfill, watch];

  const transport = p.transport;
  const app = transport ? createSlackApp({ settings: p.slack, transport, logger: p.logger, surfaces: capabilities.map((c) => c.slack) }) : null;
  const depths = queueDepthReader(p.metrics, p.redis.worker, p.redis.prefix, [...gap.queues, ...watch.queues, ...backfill.queues]);
  // Scrapes never touch the pool that approvals and backfill state use: the gauges read on their own connection.
  // Each half on its own: queue depths stuck on a Redis that is down (read with a deadline) never hold back the
  // ops database's gauges, and the other way round.
  const gauges = createMetricsSnapshot({
    refresh: async () => {
      const failed = (await Promise.allSettled([depths.read(), watch.refreshGauges(p.gaugePool)])).find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    },
    logger: p.logger,
  });

  let closed = false;
  const ctx: ServeContext = {
    ...p,
    app,
    gauges,
    observability: null,
    async start() {
      if (config.observability && !ctx.observability) {
        ctx.observability = await startObservabilityServer(
          {
            registry: p.metrics.registry,
            checks: {
              ...readinessChecks(p.redis.command, p.gaugePool, transport?.connected ?? null, {
                redis: redisTarget(config.redis!),
                opsDatabase: hostPortOf(config.ops?.url, 5432) || 'the ops database',
                redisLastError: p.redis.lastError,
              }),
              ...watch.readiness,
            },
            beforeScrape: () => gauges.beforeScrape(),
            logger: p.logger,
            token: config.observability.token,
          },
          config.observability,
        );
      }
      return app && transport ? startSlackApp(app, transport) : null;
    },
    async close() {
      if (closed) return;
      closed = true;
      // Order matters for a clean drain: stop taking commands, finish running jobs, then drop connections.
      await app?.stop().catch(() => undefined);
      await ctx.observability?.close().catch(() => undefined);
      for (const c of capabilities) await c.close();
      await gauges.close();
      await depths.close().catch(() => undefined);
      await p.close();
    },
  };
  return ctx;
}
