import type { ConnectionOptions } from 'bullmq';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { effectiveRedisPrefix, type RedisConfig } from '../config/redis-schema.js';

// Every Redis connection serve and worker open, built from `redis:` in one place: one server (url), a primary
// found through Sentinel, or a Redis Cluster. Three roles, each with its own patience:
//   command  the Slack command path: no offline queue, one retry, so a person hears at once that Redis is away;
//   state    run state written by jobs: a few retries;
//   worker   BullMQ workers and the queues they read: waits for Redis as long as it takes (maxRetriesPerRequest
//            null, which BullMQ requires of a blocking connection).
// BullMQ describes a single server or a Sentinel setup with plain options and opens its own connections from them;
// a cluster it cannot describe that way, so for a cluster `worker` is one ioredis Cluster made here, shared by every
// worker and queue (each Worker duplicates it for its blocking connection, as BullMQ does with any instance) and
// closed by close() once they have all closed.

export type RedisClient = Redis | Cluster;
export type RedisRole = 'command' | 'state' | 'worker';
export type RedisMode = 'single' | 'sentinel' | 'cluster';

export interface RedisConnections {
  mode: RedisMode;
  /** The prefix of every key: the configured one, with a hash tag on a cluster ({scorecard-bot}). */
  prefix: string;
  command: RedisClient;
  state: RedisClient;
  worker: ConnectionOptions;
  close(): Promise<void>;
}

/** On a cluster the workers and the run state ride out a failover (a replica promoted after cluster-node-timeout,
 *  15 s by default): a command to a lost primary is retried every 500 ms, slots re-read each time, for about 30 s. */
const PATIENT_CLUSTER: Partial<ClusterOptions> = { retryDelayOnFailover: 500, retryDelayOnClusterDown: 500, retryDelayOnTryAgain: 500, maxRedirections: 60 };

const ROLE_OPTIONS: Record<RedisRole, RedisOptions> = {
  command: { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true },
  state: { maxRetriesPerRequest: 3 },
  worker: { maxRetriesPerRequest: null },
};

/** Where Redis is, for people (/readyz): host:port of one server, the Sentinel set's name, or the cluster's first seed. */
export function redisTarget(config: RedisConfig): string {
  if (config.sentinel) return `sentinel master "${config.sentinel.name}"`;
  if (config.cluster) {
    const first = clusterNodes(config.cluster)[0];
    return first ? `cluster ${first.host}:${first.port}` : 'cluster';
  }
  try {
    const u = new URL(config.url ?? '');
    return `${u.hostname}:${u.port || 6379}`;
  } catch {
    return 'redis';
  }
}

export function redisMode(config: RedisConfig): RedisMode {
  return config.cluster ? 'cluster' : config.sentinel ? 'sentinel' : 'single';
}

function clusterNodes(config: NonNullable<RedisConfig['cluster']>): { host: string; port: number }[] {
  return config.nodes.map((n) => {
    if (typeof n !== 'string') return n;
    const m = /^(?:redis:\/\/)?(\[[0-9a-fA-F:]+\]|[^:/]+):(\d+)\/?$/.exec(n);
    if (!m) throw new Error(`not a cluster node: ${n}`);
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  });
}

function sentinelOptions(s: NonNullable<RedisConfig['sentinel']>): RedisOptions {
  return {
    sentinels: s.sentinels,
    name: s.name,
    ...(s.password !== undefined ? { password: s.password } : {}),
    ...(s.sentinelPassword !== undefined ? { sentinelPassword: s.sentinelPassword } : {}),
    ...(s.db !== undefined ? { db: s.db } : {}),
    // A connection left on a primary that has just been demoted answers READONLY: reconnect, asking the sentinels
    // again, and resend the command.
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
  };
}

/** The options BullMQ would be given for this role (single server and Sentinel; a cluster has no such form). */
export function redisOptions(config: RedisConfig, role: RedisRole): RedisOptions & { url?: string } {
  if (config.cluster) throw new Error('a cluster has no connection options; use createRedisClient');
  if (config.sentinel) return { ...sentinelOptions(config.sentinel), ...ROLE_OPTIONS[role] };
  return { url: config.url, ...ROLE_OPTIONS[role] };
}

/** One new client for a role; the caller closes it (disconnect()). */
export function createRedisClient(config: RedisConfig, role: RedisRole): RedisClient {
  if (config.cluster) {
    const { enableOfflineQueue, lazyConnect, ...perNode } = ROLE_OPTIONS[role];
    return new Cluster(clusterNodes(config.cluster), {
      ...(role === 'command' ? {} : PATIENT_CLUSTER),
      ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
      ...(lazyConnect !== undefined ? { lazyConnect } : {}),
      redisOptions: { ...perNode, ...(config.cluster.password !== undefined ? { password: config.cluster.password } : {}) },
    });
  }
  const { url, ...options } = redisOptions(config, role);
  return url !== undefined ? new Redis(url, options) : new Redis(options);
}

export function createRedisConnections(config: RedisConfig, opts: { onError?: (role: RedisRole, err: Error) => void } = {}): RedisConnections {
  const onError = opts.onError ?? (() => undefined);
  const command = createRedisClient(config, 'command');
  command.on('error', (err: Error) => onError('command', err));
  const state = createRedisClient(config, 'state');
  state.on('error', (err: Error) => onError('state', err));
  const mode = redisMode(config);
  let sharedWorker: Cluster | null = null;
  if (config.cluster) {
    sharedWorker = createRedisClient(config, 'worker') as Cluster;
    // BullMQ forwards errors to the workers' own listeners; this one keeps a lone error from being unhandled.
    sharedWorker.on('error', (err: Error) => onError('worker', err));
  }
  return {
    mode,
    prefix: effectiveRedisPrefix(config),
    command,
    state,
    worker: sharedWorker ?? redisOptions(config, 'worker'),
    async close() {
      command.disconnect();
      state.disconnect();
      sharedWorker?.disconnect();
    },
  };
}

/** Every key matching a pattern: SCAN on a single server, SCAN on each primary of a cluster (a SCAN sees one node). */
export async function scanKeys(client: RedisClient, pattern: string, onKeys: (keys: string[], node: Redis) => Promise<void>): Promise<void> {
  // A cluster knows its primaries once it has read the slots: a first command waits for that.
  if (client instanceof Cluster) await client.ping();
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await onKeys(keys, node);
    } while (cursor !== '0');
  }
}

/** Removes every key matching a pattern (one UNLINK per key on a cluster: a node's keys span many slots). */
export async function unlinkKeys(client: RedisClient, pattern: string): Promise<number> {
  let n = 0;
  await scanKeys(client, pattern, async (keys, node) => {
    n += keys.length;
    if (client instanceof Cluster) {
      const pipe = node.pipeline();
      for (const k of keys) pipe.unlink(k);
      await pipe.exec();
    } else {
      await node.unlink(...keys);
    }
  });
  return n;
}
