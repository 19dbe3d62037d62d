import { Worker, type ConnectionOptions, type Processor } from 'bullmq';
import type { Logger } from '../shared/logger.js';
import { QUEUES } from '../gap/gap-job-payloads.js';
import { allProcessor, onJobFailedForGood, reportProcessor, windowProcessor, type GapJobDeps } from '../gap/gap-processors.js';

export interface WorkerSettings {
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
  /** How long a job's lock lives; a worker that dies (kill -9) loses its jobs to another after about this long. */
  lockDurationMs: number;
  stalledIntervalMs: number;
}

export interface RunningWorkers {
  workers: Worker[];
  /** Graceful: stop taking jobs, let the running ones finish, so nothing is lost or run twice. */
  close(): Promise<void>;
}

export function startWorkers(deps: GapJobDeps, settings: WorkerSettings, logger: Logger): RunningWorkers {
  const common = {
    connection: settings.connection,
    prefix: settings.prefix,
    lockDuration: settings.lockDurationMs,
    stalledInterval: settings.stalledIntervalMs,
    maxStalledCount: 3,
  };
  const make = (queue: string, processor: Processor, concurrency: number): Worker => {
    const w = new Worker(queue, processor, { ...common, concurrency });
    w.on('failed', (job, err) => {
      if (job) void onJobFailedForGood(deps, job, err).catch((e: unknown) => logger.error({ err: e }, 'failure handler failed'));
    });
    w.on('error', (err) => logger.error({ err, queue }, 'worker error'));
    return w;
  };
  const workers = [
    make(QUEUES.window, windowProcessor(deps), settings.concurrency),
    make(QUEUES.report, reportProcessor(deps), Math.max(1, Math.ceil(settings.concurrency / 2))),
    make(QUEUES.all, allProcessor(deps), 1),
  ];
  return {
    workers,
    async close() {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
