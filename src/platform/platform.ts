import type { ConnectionOptions } from 'bullmq';
import type pg from 'pg';
import { WebClient } from '@slack/web-api';
import type { Config, SlackSettings } from '../config/schema.js';
import { createMetrics, type BotMetrics } from '../observability/metrics.js';
import { createOpsPool, OpsStore } from '../ops/ops-store.js';
import { BotError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { assertChannelPolicy } from '../slack/authorize.js';
import { assertTransportSecrets, createSlackTransport, slackClientOptions, type SlackTransport } from '../slack/receiver.js';
import { SLACK_CLIENT_OPTIONS, webClientPublisher, type ThreadPublisher } from '../slack/thread-publisher.js';
import { createContext, type AppContext } from './read-context.js';
import { createLogLimiter } from '../shared/log-limiter.js';
import { prepareOpsWithRetry } from './ops-start.js';
import { createRedisConnections, type RedisClient, type RedisMode } from './redis-connections.js';

// What serve and worker share, built once from the config: the read tier, the Redis connections, the ops database,
// the Slack clients and the metrics. Each capability's wire*() takes what it needs from here.

export interface Platform extends AppContext {
  redis: {
    /** Workers block on Redis and must wait for it: a connection that retries forever (options for a single
     *  server or Sentinel; on a cluster one shared Cluster instance, closed by close()). */
    worker: ConnectionOptions;
    /** The command path fails fast, so a person hears about it: no offline queue, one retry. */
    command: RedisClient;
    /** Run state written by jobs: a few retries. */
    state: RedisClient;
    /** The key prefix in use: on a cluster it carries a hash tag ({scorecard-bot}). */
    prefix: string;
    mode: RedisMode;
    /** The last connection error of the command path, until it connects again (what /readyz names). */
    lastError(): Error | null;
  };
  ops: OpsStore;
  opsPool: pg.Pool;
  /** The ops database for /metrics gauges and /readyz only (one connection). */
  gaugePool: pg.Pool;
  slack: SlackSettings;
  /** The Web API client the jobs post with (usergroups too). */
  web: WebClient;
  publisher: ThreadPublisher;
  metrics: BotMetrics;
  /** The Slack receiver, when this process listens (serve); null for worker. */
  transport: SlackTransport | null;
}

function requireSection<T>(value: T | undefined, what: string, example: string): T {
  if (value === undefined) throw new BotError('BAD_CONFIG', `serve and worker need ${what} in the config.`, { hint: `For example: ${example}` });
  return value;
}

export async function createPlatform(config: Config, opts: { listen: boolean; logger?: Logger }): Promise<Platform> {
  const redisConfig = requireSection(config.redis, 'redis', 'redis: { url: redis://127.0.0.1:6379 }  (or sentinel: { sentinels, name }, or cluster: { nodes })');
  const opsConfig = requireSection(config.ops, 'ops', 'ops: { url: ${OPS_DATABASE_URL} }');
  const slack = requireSection(config.slack, 'slack', 'slack: { mode: socket }  plus SLACK_BOT_TOKEN and SLACK_APP_TOKEN');
  // Closed by default: refuse to listen before any connection is opened when no channel is allowed.
  if (opts.listen) assertChannelPolicy(slack);
  assertTransportSecrets(slack);
  const base = createContext(config, { logger: opts.logger });
  const { logger } = base;

  // A dependency that is down repeats its error at every reconnect: one log line per cause per minute.
  const limited = createLogLimiter(logger);
  let lastRedisError: Error | null = null;
  // One factory for every Redis connection: a single server, Sentinel or Cluster (src/platform/redis-connections.ts).
  const redis = createRedisConnections(redisConfig, {
    onError: (role, err) => {
      if (role !== 'command') return;
      lastRedisError = err;
      limited.warn(`redis:${(err as { code?: string }).code ?? err.message.slice(0, 40)}`, { err: err.message }, 'redis (command path) error');
    },
  });
  const { command, state } = redis;
  command.on('ready', () => (lastRedisError = null));
  await command.connect().catch((err: unknown) => logger.warn({ err }, 'redis not reachable at start; commands will report it'));

  // Deadlines and error listeners on every ops connection: a stalled ops database fails fast, never crashes.
  const opsPool = createOpsPool(opsConfig.url, { onError: (err) => limited.warn(`ops:${err.message.slice(0, 40)}`, { err: err.message }, 'ops database connection error') });
  const ops = new OpsStore(opsPool);
  // One connection for /metrics gauges and /readyz: a flood of scrapes queues here, never in front of approvals.
  const gaugePool = createOpsPool(opsConfig.url, { max: 1, onError: (err) => limited.warn(`ops-gauges:${err.message.slice(0, 40)}`, { err: err.message }, 'ops database connection error (gauges)') });
  // Migrations run as the schema's owner when ops.migrationUrl names one; everything after runs as ops.url's role.
  // A database still starting is waited for (ops.startRetrySeconds); then start fails with the cause.
  const setting = opsConfig.migrationUrl ? 'ops.migrationUrl' : 'ops.url';
  await prepareOpsWithRetry(() => ops.migrate(opsConfig.migrationUrl), { retryMs: opsConfig.startRetrySeconds * 1000, setting, logger }).catch(async (err: unknown) => {
    // Nothing is left open behind a refused start.
    await Promise.all([base.close(), opsPool.end(), gaugePool.end()]).catch(() => undefined);
    await redis.close();
    throw err;
  });

  const web = new WebClient(slack.botToken, { ...SLACK_CLIENT_OPTIONS, slackApiUrl: slackClientOptions(slack)?.slackApiUrl });
  return {
    ...base,
    redis: { worker: redis.worker, command, state, prefix: redis.prefix, mode: redis.mode, lastError: () => lastRedisError },
    ops,
    opsPool,
    gaugePool,
    slack,
    web,
    publisher: webClientPublisher(web, { tableBlocks: slack.tableBlocks }),
    metrics: createMetrics(),
    transport: opts.listen ? createSlackTransport(slack, logger) : null,
    async close() {
      await Promise.all([base.close(), opsPool.end(), gaugePool.end()]);
      // Last: the capabilities have closed their workers and queues, which share the cluster's worker connection.
      await redis.close();
    },
  };
}
