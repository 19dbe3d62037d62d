import { hostname } from 'node:os';
import { FlowProducer } from 'bullmq';
import { Redis } from 'ioredis';
import { WebClient } from '@slack/web-api';
import type { App } from '@slack/bolt';
import type { Config } from './config/schema.js';
import { retryOptions } from './gap/gap-flow.js';
import type { GapJobDeps } from './gap/gap-processors.js';
import type { ReconcilerOptions } from './gap/jobs/reconciler.js';
import { RunState, type RunStateOptions } from './gap/jobs/run-state.js';
import { UserRuns } from './gap/jobs/user-runs.js';
import { startWorkers, type RunningWorkers } from './gap/jobs/workers.js';
import { createOpsPool, OpsStore } from './ops/ops-store.js';
import { registerBackfillActions } from './backfill/backfill-actions.js';
import { backfillSlackReporter } from './backfill/backfill-slack-progress.js';
import { backfillQueue, enqueueBackfill, startBackfillWorker } from './backfill/processor.js';
import { BackfillService } from './backfill/service.js';
import { BackfillStore } from './backfill/store.js';
import { createUsergroupResolver } from './backfill/usergroups.js';
import { BACKFILL_ACTION_ID as CHECK_BACKFILL_ACTION_ID } from './check/check-blocks.js';
import { BACKFILL_ACTION_ID as GAP_BACKFILL_ACTION_ID } from './gap/views/gap-blocks.js';
import { chartSpec, renderChartPng } from './gap/views/chart.js';
import { BotError } from './shared/errors.js';
import { createLogger, type Logger } from './shared/logger.js';
import { createSlackApp, slackTransportOptions } from './slack/slack-app.js';
import { createMetrics } from './observability/metrics.js';
import { registerWatchSlack } from './watch/watch-slack.js';
import { queueDepthReader, readinessChecks, refreshAuditGauges, startObservabilityServer, startWatch, type ObservabilityServer } from './watch/watch-runtime.js';
import { assertChannelPolicy } from './slack/authorize.js';
import { registerCheckCommand } from './check/check-slash-command.js';
import { DEFAULT_CHECK_TIMEOUT_MS } from './check/check-service.js';
import { SLACK_CLIENT_OPTIONS, webClientPublisher } from './slack/thread-publisher.js';
import { createClickhouseTier, type ClickhouseTier } from './sources/clickhouse.js';
import { ConnectionUrlResolver } from './sources/connection-url.js';
import { CustomerSources } from './sources/customer-sources.js';
import { createChangesLoader, type ChangesLoader } from './changes/loader.js';

// The one place that turns config into live clients. Everything else receives what it needs as arguments.

export interface AppContext {
  config: Config;
  logger: Logger;
  sources: CustomerSources;
  clickhouse: ClickhouseTier | null;
  /** The configured change sources (config `changes:`), or undefined when there are none. */
  changes?: ChangesLoader;
  close(): Promise<void>;
}

export function createContext(config: Config, opts: { logger?: Logger } = {}): AppContext {
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  const sources = new CustomerSources(config, new ConnectionUrlResolver());
  const clickhouse = config.clickhouse ? createClickhouseTier(config.clickhouse) : null;
  const changes = config.changes?.length ? createChangesLoader(config.changes, { logger }) : undefined;
  return {
    config,
    logger,
    sources,
    clickhouse,
    changes,
    async close() {
      await Promise.all([sources.close(), clickhouse?.client.close()]);
    },
  };
}

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
  /** The watchdog's clock (audits' lookback ends here); tests pin it inside the demo data. */
  watchNow?: () => Date;
}

export interface ServeContext extends AppContext {
  app: App | null;
  workers: RunningWorkers | null;
  /** The /metrics, /healthz, /readyz server once started (config observability:), else null. */
  observability: ObservabilityServer | null;
  /** Starts listening (HTTP port or Socket Mode); resolves with the HTTP port in HTTP mode. */
  start(): Promise<number | null>;
}

function requireSection<T>(value: T | undefined, what: string, example: string): T {
  if (value === undefined) throw new BotError('BAD_CONFIG', `serve and worker need ${what} in the config.`, { hint: `For example: ${example}` });
  return value;
}

export async function createServeContext(config: Config, opts: ServeOptions): Promise<ServeContext> {
  const base = createContext(config, { logger: opts.logger });
  const { logger } = base;
  const redisConfig = requireSection(config.redis, 'redis', 'redis: { url: redis://127.0.0.1:6379 }');
  const opsConfig = requireSection(config.ops, 'ops', 'ops: { url: ${OPS_DATABASE_URL} }');
  const slack = requireSection(config.slack, 'slack', 'slack: { mode: socket }  plus SLACK_BOT_TOKEN and SLACK_APP_TOKEN');
  // Closed by default: refuse to listen before any connection is opened when no channel is allowed.
  if (opts.listen) assertChannelPolicy(slack);
  const transport = slackTransportOptions(slack);

  // Workers block on Redis and must wait for it; the command path must fail fast so a person hears about it.
  const workerRedis = { url: redisConfig.url, maxRetriesPerRequest: null };
  const commandRedis = new Redis(redisConfig.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
  commandRedis.on('error', (err) => logger.warn({ err: err.message }, 'redis (command path) error'));
  await commandRedis.connect().catch((err: unknown) => logger.warn({ err }, 'redis not reachable at start; commands will report it'));
  const stateRedis = new Redis(redisConfig.url, { maxRetriesPerRequest: 3 });
  stateRedis.on('error', () => undefined);
  const prefix = redisConfig.prefix;
  const runState = new RunState(stateRedis, prefix, opts.runState);
  const commandRunState = new RunState(commandRedis, prefix, opts.runState);
  const userRuns = new UserRuns(commandRedis, prefix, commandRunState);
  const flow = new FlowProducer({ connection: commandRedis, prefix });

  // Deadlines and error listeners on every ops connection: a stalled ops database fails fast, never crashes.
  const opsPool = createOpsPool(opsConfig.url, { onError: (err) => logger.warn({ err: err.message }, 'ops database connection error') });
  const ops = new OpsStore(opsPool);
  await ops.migrate().catch((cause: unknown) => {
    throw new BotError('BAD_CONFIG', 'Cannot prepare the ops database (ops.url).', {
      cause,
      hint: 'Create it first: scorecard-bot ops:init --database-url URL --create-database',
    });
  });

  const web = new WebClient(transport.token, { ...SLACK_CLIENT_OPTIONS, slackApiUrl: (transport.clientOptions as { slackApiUrl?: string } | undefined)?.slackApiUrl });
  const publisher = webClientPublisher(web, { tableBlocks: config.slack?.tableBlocks });
  const jobDeps: GapJobDeps = {
    sources: base.sources,
    clickhouse: base.clickhouse,
    settings: config.gap,
    logger,
    publisher,
    runState,
    ops,
    renderChart: (report) => renderChartPng(chartSpec(report)),
    changes: base.changes,
  };
  const workers =
    opts.workers === false
      ? null
      : startWorkers(
          jobDeps,
          {
            connection: workerRedis,
            prefix,
            concurrency: config.gap.concurrency,
            lockDurationMs: opts.lockDurationMs ?? 30_000,
            stalledIntervalMs: opts.stalledIntervalMs ?? 30_000,
            reconciler: opts.reconciler,
          },
          logger,
        );
  // Backfill: the read path plans, the job alone opens the customer's writer connection.
  const backfillStore = new BackfillStore(opsPool);
  const backfill = new BackfillService({
    store: backfillStore,
    config,
    gap: { sources: base.sources, clickhouse: base.clickhouse, settings: config.gap, logger },
    resolver: new ConnectionUrlResolver(),
    chunkBackoffMs: opts.backfillChunkBackoffMs,
    // Names this process in the audit log, so a job resumed by another worker shows who ran which part.
    workerId: `${hostname()}:${process.pid}`,
  });
  const backfillQueueSettings = { connection: workerRedis, prefix, lockDurationMs: opts.lockDurationMs, stalledIntervalMs: opts.stalledIntervalMs };
  const metrics = createMetrics();
  const slackReporter = backfillSlackReporter({ store: backfillStore, publisher, logger });
  const reporter: typeof slackReporter = {
    ...slackReporter,
    onFinished(id, result) {
      slackReporter.onFinished(id, result);
      // Rows written by this process's run of the job (a resumed job counts only what it wrote itself).
      void backfillStore
        .get(id)
        .then((req) => {
          if (!req) return;
          metrics.backfillRows.inc({ customer: req.customer, tier: 'historic' }, result.historicRows);
          metrics.backfillRows.inc({ customer: req.customer, tier: 'clickhouse' }, result.clickhouseRows);
        })
        .catch((err: unknown) => logger.warn({ err }, 'backfill metrics not updated'));
    },
  };
  const backfillWorker = opts.workers === false ? null : startBackfillWorker(backfill, backfillQueueSettings, logger, reporter);
  const backfillJobs = backfillQueue({ connection: commandRedis, prefix });
  // Watchdog: schedules synced with the config at start, audits run by the workers, metrics for /metrics.
  const watch = startWatch({
    config,
    gap: { sources: base.sources, clickhouse: base.clickhouse, settings: config.gap, logger },
    publisher,
    ops,
    opsPool,
    connection: workerRedis,
    prefix,
    metrics,
    workers: opts.workers !== false,
    now: opts.watchNow,
    lockDurationMs: opts.lockDurationMs,
  });
  const depths = queueDepthReader(metrics, workerRedis, prefix, ['scorecard-backfill']);
  // Job failures (each failed attempt) of every worker this process runs, by queue.
  for (const w of [...(workers?.workers ?? []), ...(backfillWorker ? [backfillWorker] : [])]) w.on('failed', () => metrics.jobFailures.inc({ queue: w.name }));
  const app = opts.listen
    ? createSlackApp({
        settings: slack,
        logger,
        gap: {
          sources: base.sources,
          settings: config.gap,
          flow,
          runState: commandRunState,
          userRuns,
          publisher,
          ops,
          retry: retryOptions(config.gap),
          slack,
          logger,
        },
        backfill: registerBackfillActions(
          {
            service: backfill,
            store: backfillStore,
            ops,
            publisher,
            enqueue: (id) => enqueueBackfill(backfillJobs, id),
            usergroups: createUsergroupResolver(web),
            slack,
            logger,
          },
          { gapRequest: GAP_BACKFILL_ACTION_ID, checkRequest: CHECK_BACKFILL_ACTION_ID },
        ),
        extraCommands: [
          registerCheckCommand({ sources: base.sources, clickhouse: base.clickhouse, timeoutMs: DEFAULT_CHECK_TIMEOUT_MS, logger, slack }),
          registerWatchSlack({
            opsPool,
            gap: { sources: base.sources, settings: config.gap, flow, runState: commandRunState, publisher, ops, retry: retryOptions(config.gap) },
            slack,
            logger,
            now: opts.watchNow,
          }),
        ],
      })
    : null;

  let closed = false;
  // Socket Mode readiness: the receiver's client says when it is connected (Bolt keeps the receiver private).
  let socketConnected = false;
  if (app && slack.mode === 'socket') {
    const client = (app as unknown as { receiver?: { client?: { on(e: string, f: () => void): void } } }).receiver?.client;
    client?.on('connected', () => void (socketConnected = true));
    client?.on('disconnected', () => void (socketConnected = false));
  }
  const ctx: ServeContext = {
    ...base,
    app,
    workers,
    observability: null,
    async start() {
      if (config.observability && !ctx.observability) {
        ctx.observability = await startObservabilityServer(
          {
            registry: metrics.registry,
            checks: readinessChecks(commandRedis, opsPool, app && slack.mode === 'socket' ? () => socketConnected : null),
            beforeScrape: async () => {
              await Promise.all([depths.read(), refreshAuditGauges(metrics, watch.store)]);
            },
            logger,
          },
          config.observability,
        );
      }
      if (!app) return null;
      if (slack.mode === 'socket') {
        await app.start();
        return null;
      }
      const server = (await app.start(slack.port)) as { address(): { port: number } | string | null };
      const addr = server.address();
      return typeof addr === 'object' && addr ? addr.port : slack.port;
    },
    async close() {
      if (closed) return;
      closed = true;
      // Order matters for a clean drain: stop taking commands, finish running jobs, then drop connections.
      await app?.stop().catch(() => undefined);
      await ctx.observability?.close().catch(() => undefined);
      await workers?.close();
      await watch.close().catch(() => undefined);
      await depths.close().catch(() => undefined);
      await backfillWorker?.close().catch(() => undefined);
      await reporter.idle().catch(() => undefined);
      await flow.close().catch(() => undefined);
      await backfillJobs.close().catch(() => undefined);
      await Promise.all([base.close(), opsPool.end()]);
      commandRedis.disconnect();
      stateRedis.disconnect();
    },
  };
  return ctx;
}

