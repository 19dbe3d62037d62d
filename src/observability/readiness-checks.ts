import type { Cluster, Redis } from 'ioredis';
import type pg from 'pg';
import type { ReadinessCheck } from './http-server.js';
import { plainCause } from './plain-cause.js';

/** Where each dependency was tried, for the plain-words answer ("127.0.0.1:6379"; never a URL with credentials). */
export interface ReadinessTargets {
  redis: string;
  opsDatabase: string;
  /** The Redis command path's last connection error, which says why better than the failed PING does. */
  redisLastError?: () => Error | null;
}

/** A check's own deadline, a little under the server's, so a hung dependency is named in plain words too. */
const CHECK_DEADLINE_MS = 1_500;

function bounded<T>(p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_DEADLINE_MS} ms`)), CHECK_DEADLINE_MS);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/**
 * The readiness checks of serve/worker: Redis answers PING, the ops database a SELECT 1, Slack is connected. A
 * failure reads "redis: not reachable at 127.0.0.1:6390 (connection refused)".
 */
export function readinessChecks(redis: Redis | Cluster, opsPool: pg.Pool, slackConnected: (() => boolean) | null, targets: ReadinessTargets): Record<string, ReadinessCheck> {
  const checks: Record<string, ReadinessCheck> = {
    redis: async () => {
      try {
        const pong = await bounded(redis.ping());
        if (pong !== 'PONG') throw new Error(`unexpected answer ${pong}`);
      } catch (err) {
        throw new Error(plainCause(targets.redisLastError?.() ?? err, targets.redis));
      }
    },
    ops_database: async () => {
      try {
        await bounded(opsPool.query('SELECT 1'));
      } catch (err) {
        throw new Error(plainCause(err, targets.opsDatabase));
      }
    },
  };
  if (slackConnected) {
    checks.slack = async () => {
      if (!slackConnected()) throw new Error('Socket Mode is not connected');
    };
  }
  return checks;
}
