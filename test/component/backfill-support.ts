import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import pg from 'pg';
import { BackfillService } from '../../src/backfill/service.js';
import { BackfillStore } from '../../src/backfill/store.js';
import type { Config } from '../../src/config/schema.js';
import { createContext, type AppContext } from '../../src/platform/read-context.js';
import { OpsStore } from '../../src/ops/ops-store.js';
import { ConnectionUrlResolver } from '../../src/sources/connection-url.js';
import { testPool, type DemoDatabase } from '../support/demo-database.js';

// Shared by the backfill component tests: the service wired like main.ts would, and the independent checks of
// what historic and ClickHouse hold (written here from the contract, not from the code under test).

export interface Harness {
  config: Config;
  ctx: AppContext;
  opsPool: pg.Pool;
  store: BackfillStore;
  service(opts?: { now?: () => Date; workerId?: string; chunkBackoffMs?: number }): BackfillService;
  admin: pg.Pool;
  close(): Promise<void>;
}

export async function harness(demo: DemoDatabase, extra: Record<string, unknown> = {}, migrate = true): Promise<Harness> {
  // Tests make many requests as one person: the per-person cap (tested on its own) stays out of their way.
  const config = demo.config({ ...extra, backfill: { maxOpenPerUser: 50, ...((extra.backfill as Record<string, unknown> | undefined) ?? {}) } });
  const ctx = createContext(config);
  const opsPool = testPool(config.ops!.url, 6);
  if (migrate) await new OpsStore(opsPool).migrate();
  const store = new BackfillStore(opsPool);
  const admin = testPool(demo.adminUrl, 4);
  const gap = { sources: ctx.sources, clickhouse: ctx.clickhouse, settings: config.gap, logger: ctx.logger };
  return {
    config,
    ctx,
    opsPool,
    store,
    admin,
    service: (opts = {}) => new BackfillService({ store, config, gap, resolver: new ConnectionUrlResolver(), ...opts }),
    async close() {
      await ctx.close();
      await opsPool.end();
      await admin.end();
    },
  };
}

export function writeConfigFile(config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'sgb-backfill-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

/** A copy of historic, to compare the whole table before and after. */
export async function snapshotHistoric(admin: pg.Pool, name: string): Promise<void> {
  await admin.query(`CREATE SCHEMA IF NOT EXISTS bf_test; DROP TABLE IF EXISTS bf_test.${name};
                     CREATE TABLE bf_test.${name} AS SELECT * FROM historic.scorecard_scores`);
}

const CMP = `customer_id, profile_id, scorecard_id, criterion_id, conversation_id, template_id, score, scorecard_created_at, scorecard_submitted_at`;

/**
 * After minus before must be exactly one row per director score of the given scorecards (mapped per the contract),
 * and before minus after must be empty. Returns both differences' sizes and the expected count.
 */
export async function historicDiff(admin: pg.Pool, before: string, scorecardIds: string[]): Promise<{ added: number; expected: number; unexpected: number; lost: number }> {
  const expected = `SELECT s.customer, s.profile, d.resource_id, s.criterion_id, d.conversation_id, d.template_id, s.numeric_value, d.created_at, d.submitted_at
                    FROM director.scores s JOIN director.scorecards d ON d.customer = s.customer AND d.profile = s.profile AND d.resource_id = s.scorecard_id
                    WHERE d.resource_id = ANY($1::text[])`;
  const added = `(SELECT ${CMP} FROM historic.scorecard_scores EXCEPT ALL SELECT ${CMP} FROM bf_test.${before})`;
  const { rows } = await admin.query(
    `SELECT (SELECT count(*)::int FROM ${added} a) AS added,
            (SELECT count(*)::int FROM (${expected}) e) AS expected,
            (SELECT count(*)::int FROM (${added} EXCEPT ALL (${expected})) x) AS unexpected,
            (SELECT count(*)::int FROM (SELECT ${CMP} FROM bf_test.${before} EXCEPT ALL SELECT ${CMP} FROM historic.scorecard_scores) y) AS lost`,
    [scorecardIds],
  );
  return rows[0] as { added: number; expected: number; unexpected: number; lost: number };
}

export async function historicDuplicates(admin: pg.Pool, customer: string): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT 1 FROM historic.scorecard_scores WHERE customer_id = $1
       GROUP BY scorecard_id, criterion_id HAVING count(*) > 1) x`,
    [customer],
  );
  return rows[0]!.n;
}

export async function clickhouseCounts(demo: DemoDatabase, customer: string, from: string, to: string): Promise<{ rows: number; distinct: number; scorecards: number }> {
  const ch = createClient({ url: demo.clickhouseUrl });
  try {
    const rs = await ch.query({
      query: `SELECT count() AS rows, uniqExact(scorecard_id, criterion_id) AS distinct, uniqExact(scorecard_id) AS scorecards
              FROM ${demo.clickhouseDatabase}.scorecard_scores
              WHERE customer_id = {c:String} AND scorecard_created_at >= {f:DateTime64(3, 'UTC')} AND scorecard_created_at < {t:DateTime64(3, 'UTC')}`,
      query_params: { c: customer, f: from.replace('T', ' ').replace('Z', ''), t: to.replace('T', ' ').replace('Z', '') },
      format: 'JSONEachRow',
    });
    const [r] = (await rs.json()) as { rows: string; distinct: string; scorecards: string }[];
    return { rows: Number(r!.rows), distinct: Number(r!.distinct), scorecards: Number(r!.scorecards) };
  } finally {
    await ch.close();
  }
}

export async function itemIds(store: pg.Pool, requestId: string, reasons: string[]): Promise<string[]> {
  const { rows } = await store.query<{ scorecard_id: string }>(
    `SELECT scorecard_id FROM scorecard_bot.backfill_items WHERE request_id = $1 AND reason = ANY($2::text[])`,
    [requestId, reasons],
  );
  return rows.map((r) => r.scorecard_id);
}
