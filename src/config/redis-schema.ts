import { z } from 'zod';

// `redis:` — where the job queues and the run state live: one server (url), a Sentinel-monitored primary with its
// replicas (sentinel), or a Redis Cluster (cluster). Exactly one of the three, plus the key prefix.

const EXAMPLES = {
  url: 'redis: { url: redis://127.0.0.1:6379 }',
  sentinel: 'redis: { sentinel: { sentinels: [{ host: sentinel-1, port: 26379 }, { host: sentinel-2, port: 26379 }], name: mymaster } }',
  cluster: 'redis: { cluster: { nodes: [redis://10.0.0.1:7000, redis://10.0.0.2:7000, redis://10.0.0.3:7000] } }',
};
const MODES = ['url', 'sentinel', 'cluster'] as const;

const hostPort = (example: string) =>
  z
    .object({
      host: z.string().min(1, `must not be empty, e.g. ${example}`),
      port: z.number({ error: 'must be a port number, e.g. 26379' }).int().min(1).max(65535),
    })
    .strict();

/** A cluster seed node as a URL: redis://host:port (host:port alone is accepted too); no user or password in it. */
const NODE_URL = /^(redis:\/\/)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9._-]+):(\d{1,5})\/?$/;

const sentinelSchema = z
  .object({
    sentinels: z
      .array(hostPort('sentinel-1'))
      .min(1, 'list at least one sentinel, e.g. [{ host: sentinel-1, port: 26379 }]')
      .describe('The Sentinel processes to ask where the primary is (any one answering is enough)'),
    name: z.string().min(1, 'the master group name the sentinels monitor, e.g. mymaster').describe('The master group name the sentinels monitor (sentinel monitor <name> ...)'),
    password: z.string().optional().describe('Password of the Redis primary and replicas (requirepass)'),
    sentinelPassword: z.string().optional().describe('Password of the Sentinel processes themselves, when they require one'),
    db: z.number().int().min(0).max(15).optional().describe('Database number (default 0)'),
  })
  .strict();

const clusterSchema = z
  .object({
    nodes: z
      .array(
        z.union([hostPort('10.0.0.1'), z.string().regex(NODE_URL, 'a seed node as redis://host:port, e.g. redis://10.0.0.1:7000 (the password goes in cluster.password)')], {
          error: 'a seed node: redis://host:port or { host, port }, e.g. redis://10.0.0.1:7000',
        }),
      )
      .min(1, 'list at least one seed node, e.g. [redis://10.0.0.1:7000]')
      .describe('Seed nodes; the rest of the cluster is discovered from them'),
    password: z.string().optional().describe('Password of every node of the cluster (requirepass)'),
  })
  .strict();

export const redisSchema = z
  .object({
    url: z.string().min(1, 'must not be empty, e.g. redis://127.0.0.1:6379').optional().describe('A single Redis server, e.g. redis://127.0.0.1:6379'),
    sentinel: sentinelSchema.optional().describe('A primary and its replicas watched by Redis Sentinel; the bot follows a failover'),
    cluster: clusterSchema.optional().describe('A Redis Cluster; the key prefix then gets a hash tag (see prefix)'),
    prefix: z
      .string()
      .min(1, 'must not be empty, e.g. scorecard-bot')
      .default('scorecard-bot')
      .describe('Key prefix of every queue and state key. With cluster it must carry a hash tag ({...}); without one it is wrapped: scorecard-bot becomes {scorecard-bot}'),
  })
  .strict()
  // Runs even when a field inside is wrong, so "exactly one of" is listed with every other problem.
  .superRefine(
    (raw, ctx) => {
      const given = MODES.filter((m) => (raw as Record<string, unknown>)[m] !== undefined);
      if (given.length === 0) {
        ctx.addIssue({ code: 'custom', path: [], message: `give one of url, sentinel or cluster, e.g. ${EXAMPLES.url}  or  ${EXAMPLES.sentinel}  or  ${EXAMPLES.cluster}` });
      }
      if (given.length > 1) {
        ctx.addIssue({ code: 'custom', path: [], message: `${given.join(' and ')} are all given: keep exactly one of url, sentinel or cluster` });
      }
      const prefix = (raw as { prefix?: unknown }).prefix;
      if ((raw as { cluster?: unknown }).cluster !== undefined && typeof prefix === 'string' && /[{}]/.test(prefix) && hashTagOf(prefix) === null) {
        ctx.addIssue({ code: 'custom', path: ['prefix'], message: 'a hash tag is a non-empty {...} with no braces inside, e.g. {scorecard-bot}' });
      }
    },
    { when: () => true },
  );

export type RedisConfig = z.infer<typeof redisSchema>;

/** The hash tag Redis Cluster hashes a key by: the text inside the first {...} when non-empty; else null. */
export function hashTagOf(key: string): string | null {
  const open = key.indexOf('{');
  if (open < 0) return null;
  const close = key.indexOf('}', open + 1);
  if (close <= open + 1) return null;
  return key.slice(open + 1, close);
}

/**
 * The prefix the bot's keys actually use. On a cluster every key of a queue (and, because a gap run is a flow
 * across queues, every queue) must share one slot, so the prefix carries a hash tag: a configured prefix with one
 * is used as is, one without is wrapped ({scorecard-bot}). A single node or Sentinel keeps the prefix as given, so
 * an existing deployment's keys do not move.
 */
export function effectiveRedisPrefix(redis: Pick<RedisConfig, 'prefix' | 'cluster'>): string {
  if (!redis.cluster || hashTagOf(redis.prefix) !== null) return redis.prefix;
  return `{${redis.prefix}}`;
}
