import { randomUUID } from 'node:crypto';
import { createClient } from '@clickhouse/client';
import pg from 'pg';
import { parseConfig } from '../../src/config/load-config.js';
import type { Config, RedisConfig } from '../../src/config/schema.js';
import { createRedisClient, unlinkKeys } from '../../src/platform/redis-connections.js';
import { dbInit } from '../../dev/db/db-init.js';
import { groundTruth, type GroundTruth } from '../../dev/demo/ground-truth.js';
import { loadDemoData } from '../../dev/demo/load.js';
import { buildPlan, type PlanOptions } from '../../dev/demo/plan.js';
import { clickhouseUrl } from './clickhouse-url.js';

// A fresh PostgreSQL database and ClickHouse database per test file, loaded with the incident dataset, plus a
// config pointing the bot at them through the read-only role. Dropped by `drop()`.

export const PG_ADMIN = process.env.PGTEST_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const READ_ONLY_ROLE = 'scorecard_bot_ro';

export interface DemoDatabase {
  name: string;
  adminUrl: string;
  readOnlyUrl: string;
  clickhouseUrl: string;
  clickhouseDatabase: string;
  truth: GroundTruth;
  /** A valid config for the bot against this data (customers read-only, ClickHouse, Redis with a unique prefix). */
  config(extra?: Record<string, unknown>): Config;
  drop(): Promise<void>;
}

function withDb(base: string, db: string, user?: string): string {
  const u = new URL(base);
  u.pathname = `/${db}`;
  if (user) u.username = user;
  return u.toString();
}

export async function adminQuery(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: withDb(PG_ADMIN, 'postgres') });
  await c.connect();
  try {
    return await c.query(sql, params);
  } finally {
    await c.end();
  }
}

export async function createEmptyDatabase(prefix: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  return {
    name,
    url: withDb(PG_ADMIN, name),
    drop: async () => {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

export async function createDemoDatabase(opts: Partial<PlanOptions> & { clickhouse?: boolean } = {}): Promise<DemoDatabase> {
  const db = await createEmptyDatabase('sgb_test');
  const chUrl = clickhouseUrl();
  const chDatabase = `sgb_${db.name.slice(-10)}`;
  const ch = createClient({ url: chUrl });
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    // Parallel test files race to create the cluster-wide role; the loser's duplicate error is harmless.
    for (let attempt = 0; ; attempt++) {
      try {
        await dbInit(client, { readOnlyRole: READ_ONLY_ROLE, clickhouse: { client: ch, database: chDatabase, table: 'scorecard_scores' } });
        break;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (attempt < 3 && (code === '23505' || code === '42710' || code === 'XX000')) continue;
        throw err;
      }
    }
    const plan = buildPlan({
      seed: opts.seed ?? 7,
      scale: opts.scale ?? 0.002,
      submittedScale: opts.submittedScale ?? 1,
      customers: opts.customers,
      from: opts.from,
      to: opts.to,
    });
    await loadDemoData(plan, {
      pg: client,
      clickhouse: opts.clickhouse === false ? null : ch,
      clickhouseDatabase: chDatabase,
      clickhouseTable: 'scorecard_scores',
    });
    const truth = groundTruth(plan);
    const readOnlyUrl = withDb(PG_ADMIN, db.name, READ_ONLY_ROLE);
    const redisPrefix = `sgb-test-${randomUUID().slice(0, 8)}`;
    return {
      name: db.name,
      adminUrl: db.url,
      readOnlyUrl,
      clickhouseUrl: chUrl,
      clickhouseDatabase: chDatabase,
      truth,
      config(extra = {}) {
        const raw = {
          customers: truth.customers.map((name) => ({ name, profile: truth.profileId, cluster: 'us-east-1-prod', postgres: { url: readOnlyUrl }, writer: { url: db.url } })),
          ...(opts.clickhouse === false ? {} : { clickhouse: { url: chUrl, database: chDatabase, table: 'scorecard_scores' } }),
          redis: { url: REDIS_URL, prefix: redisPrefix },
          ops: { url: db.url },
          gap: { statementTimeoutMs: 30_000, concurrency: 4, historyMonths: 6, windowAttempts: 2, retryBackoffMs: 300 },
          logLevel: 'silent',
          ...extra,
        };
        return parseConfig(JSON.stringify(raw), {});
      },
      async drop() {
        await ch.command({ query: `DROP DATABASE IF EXISTS ${chDatabase}` }).catch(() => undefined);
        await ch.close();
        await db.drop();
        await deleteRedisKeys(`${redisPrefix}*`);
      },
    };
  } catch (err) {
    // A failed load must not leave its database behind.
    await client.end().catch(() => undefined);
    await ch.close().catch(() => undefined);
    await db.drop().catch(() => undefined);
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Test files use a Redis key prefix of their own; this removes every key under it: on the shared Redis, or on
 *  the Redis a config names (a cluster is scanned primary by primary: a SCAN sees one node). */
export async function deleteRedisKeys(pattern: string, target: RedisConfig = { url: REDIS_URL, prefix: 'scorecard-bot' }): Promise<void> {
  const redis = createRedisClient(target, 'state');
  try {
    await unlinkKeys(redis, pattern);
  } finally {
    redis.disconnect();
  }
}

/**
 * A pg pool for a test's own queries. The server may end its connections (a test database dropped WITH (FORCE), a
 * terminated backend): that must fail a query, never crash the test process, so the pool and every client listen
 * for 'error'.
 */
export function testPool(connectionString: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString, max });
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}
