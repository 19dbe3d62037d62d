import { FlowProducer } from 'bullmq';
import type { Platform } from '../platform/platform.js';
import type { SlackSurface } from '../slack/routes.js';
import type { GapJobDeps } from './gap-job-deps.js';
import { gapSlashCommand } from './gap-slack.js';
import { QUEUES } from './core/gap-job-payloads.js';
import type { ReconcilerOptions } from './jobs/reconciler.js';
import { RunState, type RunStateOptions } from './jobs/run-state.js';
import { UserRuns } from './jobs/user-runs.js';
import { startWorkers } from './jobs/workers.js';
import type { StartGapDeps } from './start-gap-run.js';
import { chartSpec, renderChartPng } from './views/chart.js';

// The gap investigation in serve and worker: /scorecard-gap, the flow producer that starts runs, and the window,
// report and `all` workers with their reconciler.

export interface GapWiringOptions {
  /** false: this process starts runs but works on none. */
  workers?: boolean;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  reconciler?: Partial<ReconcilerOptions>;
  runState?: RunStateOptions;
}

export interface WiredGap {
  slack: SlackSurface;
  /** What starts a run from elsewhere (the watchdog's Full report button). */
  starter: StartGapDeps;
  queues: string[];
  close(): Promise<void>;
}

export function wireGap(p: Platform, opts: GapWiringOptions = {}): WiredGap {
  const { config, logger } = p;
  const flow = new FlowProducer({ connection: p.redis.command, prefix: p.redis.prefix });
  // The command path's run state fails fast with its Redis; the jobs' waits for theirs.
  const commandRunState = new RunState(p.redis.command, p.redis.prefix, opts.runState);
  const starter: StartGapDeps = { sources: p.sources, settings: config.gap, flow, runState: commandRunState, publisher: p.publisher, ops: p.ops };
  const jobDeps: GapJobDeps = {
    sources: p.sources,
    clickhouse: p.clickhouse,
    settings: config.gap,
    logger,
    publisher: p.publisher,
    runState: new RunState(p.redis.state, p.redis.prefix, opts.runState),
    ops: p.ops,
    renderChart: (report) => renderChartPng(chartSpec(report)),
    changes: p.changes,
    csvMaxRows: p.slack.csvMaxRows,
  };
  const running =
    opts.workers === false
      ? null
      : startWorkers(
          jobDeps,
          {
            connection: p.redis.worker,
            prefix: p.redis.prefix,
            concurrency: config.gap.concurrency,
            lockDurationMs: opts.lockDurationMs ?? 30_000,
            stalledIntervalMs: opts.stalledIntervalMs ?? 30_000,
            reconciler: opts.reconciler,
          },
          logger,
        );
  // Each failed attempt of a job, by queue (/metrics).
  for (const w of running?.workers ?? []) w.on('failed', () => p.metrics.jobFailures.inc({ queue: w.name }));
  const userRuns = new UserRuns(p.redis.command, p.redis.prefix, commandRunState);
  return {
    slack: { commands: [gapSlashCommand({ ...starter, logger, userRuns, maxRunsPerUser: p.slack.maxRunsPerUser })] },
    starter,
    queues: [QUEUES.window, QUEUES.report, QUEUES.all],
    async close() {
      await running?.close();
      await flow.close().catch(() => undefined);
    },
  };
}
