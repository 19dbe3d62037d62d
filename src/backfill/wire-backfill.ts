import { hostname } from 'node:os';
import type { Platform } from '../platform/platform.js';
import { ConnectionUrlResolver } from '../sources/connection-url.js';
import type { SlackSurface } from '../slack/routes.js';
import { backfillRoutes } from './backfill-slack.js';
import { backfillSlackReporter, type BackfillSlackReporter } from './backfill-slack-progress.js';
import { BACKFILL_QUEUE, backfillQueue, enqueueBackfill, startBackfillWorker } from './processor.js';
import { BackfillService } from './service.js';
import { BackfillStore } from './store.js';
import { createUsergroupResolver } from './usergroups.js';

// The backfill in serve and worker: the buttons (request, approve, deny, cancel) and the job. The read path plans;
// only the job opens the customer's writer connection.

export interface BackfillWiringOptions {
  workers?: boolean;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** First retry delay of a failed chunk; short in tests. */
  chunkBackoffMs?: number;
}

export interface WiredBackfill {
  slack: SlackSurface;
  queues: string[];
  close(): Promise<void>;
}

export function wireBackfill(p: Platform, opts: BackfillWiringOptions = {}): WiredBackfill {
  const { config, logger } = p;
  const store = new BackfillStore(p.opsPool);
  const service = new BackfillService({
    store,
    config,
    gap: { sources: p.sources, clickhouse: p.clickhouse, settings: config.gap, logger },
    resolver: new ConnectionUrlResolver(),
    chunkBackoffMs: opts.chunkBackoffMs,
    // Names this process in the audit log, so a job resumed by another worker shows who ran which part.
    workerId: `${hostname()}:${process.pid}`,
  });
  const queueSettings = { connection: p.redis.worker, prefix: p.redis.prefix, lockDurationMs: opts.lockDurationMs, stalledIntervalMs: opts.stalledIntervalMs };
  const reporter = withRowMetrics(p, store, backfillSlackReporter({ store, publisher: p.publisher, logger }));
  const worker = opts.workers === false ? null : startBackfillWorker(service, queueSettings, logger, reporter);
  worker?.on('failed', () => p.metrics.jobFailures.inc({ queue: BACKFILL_QUEUE }));
  const jobs = backfillQueue({ connection: p.redis.command, prefix: p.redis.prefix });
  const routes = backfillRoutes({
    service,
    store,
    ops: p.ops,
    publisher: p.publisher,
    enqueue: (id) => enqueueBackfill(jobs, id),
    usergroups: createUsergroupResolver(p.web),
    slack: p.slack,
    logger,
  });
  return {
    slack: { actions: routes },
    queues: [BACKFILL_QUEUE],
    async close() {
      await worker?.close().catch(() => undefined);
      await reporter.idle().catch(() => undefined);
      await jobs.close().catch(() => undefined);
    },
  };
}

/** Rows written by this process's run of a job reach /metrics (a resumed job counts only what it wrote itself). */
function withRowMetrics(p: Platform, store: BackfillStore, reporter: BackfillSlackReporter): BackfillSlackReporter {
  return {
    ...reporter,
    onFinished(id, result) {
      reporter.onFinished(id, result);
      void store
        .get(id)
        .then((req) => {
          if (!req) return;
          p.metrics.backfillRows.inc({ customer: req.customer, tier: 'historic' }, result.historicRows);
          p.metrics.backfillRows.inc({ customer: req.customer, tier: 'clickhouse' }, result.clickhouseRows);
        })
        .catch((err: unknown) => p.logger.warn({ err }, 'backfill metrics not updated'));
    },
  };
}
