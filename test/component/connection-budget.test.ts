// Issue 20: many customers on one PostgreSQL server share one connection budget per process
// (postgres.maxConnectionsPerServer), counted by the server itself (pg_stat_activity, sampled), and a server out of
// connections (53300) is named and waited out, not failed on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/schema.js';
import { runGap, type GapDeps } from '../../src/gap/gap-service.js';
import { parsePeriod } from '../../src/period/parse-period.js';
import { CustomerSources } from '../../src/sources/customer-sources.js';
import { createLogger } from '../../src/shared/logger.js';
import { adminQuery, testPool } from '../support/demo-database.js';
import { cellsEvery, createShapeDatabase, SHAPE_CUSTOMER, type ShapeDatabase } from '../support/shape-database.js';

const BUDGET = 5;
const EMPTY = Array.from({ length: 23 }, (_, i) => `tenant${String(i).padStart(3, '0')}`);
const cells = cellsEvery('2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z', (d) =>
  d.getUTCHours() >= 9 && d.getUTCHours() < 17 ? [{ submitted: true, total: 10, missing: d.getUTCDate() % 7 === 0 ? 2 : 0 }] : [],
);
const planted = { total: cells.reduce((s, c) => s + c.total, 0), missing: cells.reduce((s, c) => s + (c.missing ?? 0), 0) };

let db: ShapeDatabase;

function fleetConfig(url: string, extra: Record<string, unknown> = {}): Config {
  return parseConfig(
    JSON.stringify({
      customers: [SHAPE_CUSTOMER, ...EMPTY].map((name) => ({ name, profile: 'p-shape', postgres: { url } })),
      gap: { statementTimeoutMs: 30_000, concurrency: 4, historyMonths: 1, windowAttempts: 5, retryBackoffMs: 200 },
      postgres: { maxConnectionsPerServer: BUDGET, checkReserve: 1 },
      logLevel: 'silent',
      ...extra,
    }),
    {},
  );
}

const depsOf = (config: Config): GapDeps => ({ sources: new CustomerSources(config), clickhouse: null, settings: config.gap, logger: createLogger({ level: 'silent' }) });

beforeAll(async () => {
  db = await createShapeDatabase(cells);
}, 120_000);

afterAll(async () => {
  await db?.drop();
  await adminQuery('DROP ROLE IF EXISTS sgb_one_conn').catch(() => undefined);
});

describe('24 customers on one server, four windows at a time each', () => {
  it('never hold more than the budget at the server, and every report is right', async () => {
    const deps = depsOf(fleetConfig(db.readOnlyUrl));
    const watcher = testPool(db.adminUrl, 1);
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await watcher.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'scorecard-bot-read'`,
        );
        peak = Math.max(peak, rows[0]?.n ?? 0);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    try {
      const feb = parsePeriod('feb-2026');
      const reports = await Promise.all([SHAPE_CUSTOMER, ...EMPTY].map((c) => runGap(deps, c, feb)));
      expect(reports[0]!.populations.submitted).toMatchObject(planted);
      // An empty customer costs one probe: no window scanned, and the report says there is nothing.
      for (const r of reports.slice(1)) {
        expect(r.populations.submitted.total + r.populations.unsubmitted.total).toBe(0);
        expect(r).toMatchObject({ verdict: 'no_data', stats: { windows: 0, queries: 1 } });
      }
      expect(reports[0]!.stats.windows).toBeGreaterThanOrEqual(28); // every day of February scanned
    } finally {
      sampling = false;
      await sampler;
      await watcher.end();
      await deps.sources.close();
    }
    // 24 pools of 4 would have opened up to 96; the server saw at most the budget, and it was used.
    expect(peak).toBeLessThanOrEqual(BUDGET);
    expect(peak).toBeGreaterThanOrEqual(2);
    expect(deps.sources.budgets.all().map((b) => b.peak)).toEqual([expect.any(Number)]);
    expect(deps.sources.budgets.all()[0]!.peak).toBeLessThanOrEqual(BUDGET);
  }, 180_000);
});

describe('one connection per customer (gap.concurrency 1)', () => {
  it('shares it between the report\'s concurrent look-ups instead of waiting on itself', async () => {
    // finishGap asks for the first missing scorecards and the ClickHouse side at once: with one connection, the
    // second must get the first when it comes back, not wait for a second one the pool may not open.
    const deps = depsOf(fleetConfig(db.readOnlyUrl, { gap: { statementTimeoutMs: 30_000, concurrency: 1, historyMonths: 1, windowAttempts: 1, retryBackoffMs: 50 } }));
    try {
      const report = await runGap(deps, SHAPE_CUSTOMER, parsePeriod('feb-2026'));
      expect(report.populations.submitted).toMatchObject(planted);
    } finally {
      await deps.sources.close();
    }
  }, 60_000);
});

describe('a server with no free connections', () => {
  it('is named, and the run waits it out and completes', async () => {
    // A role allowed one connection: the server answers 53300 to a second one, as a full server does.
    await adminQuery(`DO $$ BEGIN CREATE ROLE sgb_one_conn LOGIN CONNECTION LIMIT 1; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
    await adminQuery(`GRANT CONNECT ON DATABASE ${db.name} TO sgb_one_conn`);
    const owner = testPool(db.adminUrl, 1);
    await owner.query('GRANT USAGE ON SCHEMA director, historic TO sgb_one_conn; GRANT SELECT ON ALL TABLES IN SCHEMA director, historic TO sgb_one_conn');
    await owner.end();
    const url = new URL(db.adminUrl);
    url.username = 'sgb_one_conn';
    const holder = testPool(url.toString(), 1);
    const held = await holder.connect();

    const once = depsOf(fleetConfig(url.toString(), { gap: { statementTimeoutMs: 30_000, concurrency: 1, historyMonths: 1, windowAttempts: 1, retryBackoffMs: 50 } }));
    const feb = parsePeriod('feb-2026');
    const failed = await runGap(once, SHAPE_CUSTOMER, feb).catch((e: unknown) => e);
    await once.sources.close();
    const cause = (failed as { cause?: { userMessage?: string; code?: string } }).cause ?? (failed as { userMessage?: string; code?: string });
    // One try (windowAttempts 1): nothing retries, so the sentence says no retry window; PostgreSQL's own text
    // ("too many connections for role") goes to the log only.
    expect(cause.userMessage).toBe("shapeco's database (p-shape) has no free connections right now (too many clients).");
    expect(cause.code).toBe('SOURCE_UNAVAILABLE');

    const patient = depsOf(fleetConfig(url.toString(), { gap: { statementTimeoutMs: 30_000, concurrency: 1, historyMonths: 1, windowAttempts: 6, retryBackoffMs: 200 } }));
    const run = runGap(patient, SHAPE_CUSTOMER, feb);
    setTimeout(() => held.release(true), 500); // the other connection closes while the run backs off
    const report = await run;
    await patient.sources.close();
    await holder.end();
    expect(report.populations.submitted).toMatchObject(planted);
  }, 120_000);
});
