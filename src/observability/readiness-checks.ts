import type { Cluster, Redis } from 'ioredis';
import type pg from 'pg';
import type { ReadinessCheck } from './http-server.js';

/** The readiness checks of serve/worker: Redis answers PING, the ops database a SELECT 1, Slack is connected. */
export function readinessChecks(redis: Redis | Cluster, opsPool: pg.Pool, slackConnected: (() => boolean) | null): Record<string, ReadinessCheck> {
  const checks: Record<string, ReadinessCheck> = {
    redis: async () => {
      const pong = await redis.ping();
      if (pong !== 'PONG') throw new Error(`unexpected answer ${pong}`);
    },
    ops_database: async () => {
      await opsPool.query('SELECT 1');
    },
  };
  if (slackConnected) {
    checks.slack = async () => {
      if (!slackConnected()) throw new Error('Socket Mode is not connected');
    };
  }
  return checks;
}
