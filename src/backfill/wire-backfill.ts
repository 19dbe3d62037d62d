import { hostname } from 'node:os';
import type { Platform } from '../platform/platform.js';
import { ConnectionUrlResolver } from '../sources/connection-url.js';
import type { SlackSurface } from '../slack/routes.js';
import { backfillRoutes } from './backfill-slack.js';
import { backfillSlackReporter, type BackfillSlackReporter } from './backfill-slack-progress.js';
import { planSlackReporter } from './plan-slack-reporter.js';
import { BACKFILL_PLAN_QUEUE, BACKFILL_QUEUE, backfillQueue, enqueueBackfill, enqueuePlan, planQueue, startBackfillWorker, startPlanWorker } from './processor.js';
import { BackfillReconciler, DEFAULT_BACKFILL_RECONCILER, type BackfillReconcilerOptions } from './reconciler.js';
import { BackfillService } from './service.js';
import { BackfillStore } from './store.js';
import { createUsergroupResolver } from '../slack/usergroups.js';

// The backfill in serve and worker: the buttons (request, approve, deny, cancel) and the job. The read path plans;
// only the job opens the customer's writer connection.

export interface BackfillWiringOptions {
  workers?: boolean;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** First retry delay of a failed chunk; short in tests. */
  chunkBackoffMs?: number;
  /** Reconciler timing (re-queue, resume, lost plans); short in tests. */
  reconciler?: Partial<BackfillReconcilerOptions>;
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
  const reporter = withRowMetrics(p, store, backfillSlackReporter({ store, publisher: p.publisher, logger, runs: p.ops }));
  const planReporter = planSlackReporter({ store, publisher: p.publisher, logger });
  const workers = opts.workers !== false;
  const worker = workers ? startBackfillWorker(service, queueSettings, logger, reporter) : null;
  const planWorker = workers ? startPlanWorker(service, queueSettings, logger, planReporter) : null;
  worker?.on('failed', () => p.metrics.jobFailures.inc({ queue: BACKFILL_QUEUE }));
  planWorker?.on('failed', () => p.metrics.jobFailures.inc({ queue: BACKFILL_PLAN_QUEUE }));
  const jobs = backfillQueue({ connection: p.redis.command, prefix: p.redis.prefix });
  const plans = planQueue({ connection: p.redis.command, prefix: p.redis.prefix });
  // Where this process runs jobs it also makes sure no request is stranded (the ops database against the queue).
  const reconcilerQueue = workers ? backfillQueue(queueSettings) : null;
  const reconciler = reconcilerQueue
    ? new BackfillReconciler(
        {
          store,
          queue: reconcilerQueue,
          enqueue: (id) => enqueueBackfill(reconcilerQueue, id),
          logger,
          onRepaired: (req, repair) => {
            if (repair.action === 'lose') planReporter.onFailed(req.id, 'lost');
            else if (repair.action === 'fail') reporter.onFailed(req.id, repair.reason);
            else if (repair.action === 'stop') reporter.onFinished(req.id, { status: 'cancelled', chunks: 0, chunksDone: 0, historicRows: 0, clickhouseRows: 0, alreadyPresent: 0, elapsedMs: 0, rowsPerSecond: 0 });
          },
        },
        { ...DEFAULT_BACKFILL_RECONCILER, ...opts.reconciler },
      )
    : null;
  reconciler?.start();
  const routes = backfillRoutes({
    service,
    store,
    ops: p.ops,
    publisher: p.publisher,
    enqueue: (id) => enqueueBackfill(jobs, id),
    enqueuePlan: (id) => enqueuePlan(plans, id),
    usergroups: createUsergroupResolver(p.web),
    slack: p.slack,
    logger,
  });
  return {
    slack: { actions: routes },
    queues: [BACKFILL_QUEUE, BACKFILL_PLAN_QUEUE],
    async close() {
      await reconciler?.stop();
      await Promise.all([worker?.close(), planWorker?.close()].map((c) => c?.catch(() => undefined)));
      await Promise.all([reporter.idle(), planReporter.idle()].map((c) => c.catch(() => undefined)));
      await Promise.all([jobs, plans, reconcilerQueue].map((q) => q?.close().catch(() => undefined)));
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
