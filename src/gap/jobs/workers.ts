import { Worker, type ConnectionOptions, type Processor, type Queue } from 'bullmq';
import type { Logger } from '../../shared/logger.js';
import { QUEUES } from '../core/gap-job-payloads.js';
import { onJobFailedForGood } from '../gap-failure.js';
import { allProcessor, reportProcessor, windowProcessor } from '../gap-processors.js';
import type { GapJobDeps, WorkerDeps } from '../gap-job-deps.js';
import { dropChildResults, openFlowQueues } from './flow-progress.js';
import { logDetail } from './job-error.js';
import { ProgressReporter } from './progress-reporter.js';
import { DEFAULT_RECONCILER, Reconciler, type ReconcilerOptions } from './reconciler.js';
import { createLogLimiter } from '../../shared/log-limiter.js';

export interface WorkerSettings {
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
  /** How long a job's lock lives; a worker that dies (kill -9) loses its jobs to another after about this long. */
  lockDurationMs: number;
  stalledIntervalMs: number;
  reconciler?: Partial<ReconcilerOptions>;
}

export interface RunningWorkers {
  workers: Worker[];
  reconciler: Reconciler | null;
  /** Graceful: stop taking jobs, let the running ones finish, so nothing is lost or run twice. */
  close(): Promise<void>;
}

export function startWorkers(base: GapJobDeps, settings: WorkerSettings, logger: Logger): RunningWorkers {
  const queues = openFlowQueues(settings.connection, settings.prefix);
  const progress = new ProgressReporter(logger);
  const deps: WorkerDeps = { ...base, queues, progress };
  const common = {
    connection: settings.connection,
    prefix: settings.prefix,
    lockDuration: settings.lockDurationMs,
    stalledInterval: settings.stalledIntervalMs,
    maxStalledCount: 3,
  };
  // Redis away: every worker repeats its error at each reconnect; one line per queue and cause per minute.
  const limited = createLogLimiter(logger);
  const make = (queue: string, processor: Processor, concurrency: number): Worker => {
    const w = new Worker(queue, processor, { ...common, concurrency });
    w.on('failed', (job, err) => {
      if (job) void onJobFailedForGood(deps, job, err).catch((e: unknown) => logger.error(logDetail(e), 'failure handler failed'));
    });
    w.on('error', (err) => limited.error(`${queue}:${err.message.slice(0, 40)}`, { queue, ...logDetail(err) }, 'worker error'));
    return w;
  };
  const parent = (worker: Worker, queue: Queue): Worker => {
    // Redis stays bounded: a finished window job is removed at once, and its result (kept in the report's
    // `processed` hash until the report has read it) goes when the report completes; likewise for `all`.
    worker.on('completed', (job) => {
      if (job.id) void dropChildResults(queue, job.id).catch((e: unknown) => logger.warn(logDetail(e), 'could not drop child results'));
    });
    return worker;
  };
  const workers = [
    make(QUEUES.window, windowProcessor(deps), settings.concurrency),
    parent(make(QUEUES.report, reportProcessor(deps), Math.max(1, Math.ceil(settings.concurrency / 2))), queues.report),
    parent(make(QUEUES.all, allProcessor(deps), 1), queues.all),
  ];
  const reconciler = base.ops
    ? new Reconciler({ ops: base.ops, runState: base.runState, publisher: base.publisher, queues, logger }, { ...DEFAULT_RECONCILER, ...settings.reconciler })
    : null;
  reconciler?.start();
  return {
    workers,
    reconciler,
    async close() {
      await reconciler?.stop();
      await Promise.all(workers.map((w) => w.close()));
      progress.close();
      await queues.close();
    },
  };
}
