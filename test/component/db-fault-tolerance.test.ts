import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkScorecard } from '../../src/check/check-service.js';
import type { Config } from '../../src/config/schema.js';
import { runGap } from '../../src/gap/gap-service.js';
import { gapReportSchema } from '../../src/gap/core/report.js';
import { createOpsPool, OpsStore } from '../../src/ops/ops-store.js';
import { parsePeriod } from '../../src/period/parse-period.js';
import { CustomerSources } from '../../src/sources/customer-sources.js';
import { BotError } from '../../src/shared/errors.js';
import { createLogger } from '../../src/shared/logger.js';
import { adminQuery, createDemoDatabase, type DemoDatabase } from '../support/demo-database.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

// The customer databases and the ops database misbehaving the way networks do: connections cut mid-run
// (pg_terminate_backend as the superuser), a peer that holds every packet (a real TCP proxy in front of
// PostgreSQL), a gap scan holding every connection of its pool while someone asks a check.

const logger = createLogger({ level: 'silent' });
const jan = parsePeriod('jan-2026');
let demo: DemoDatabase;
let proxy: TcpProxy;

beforeAll(async () => {
  demo = await createDemoDatabase({ customers: ['rentokil'], clickhouse: false, scale: 0.005 });
  proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
});

afterAll(async () => {
  await proxy?.close();
  await demo?.drop();
});

const monthTruth = (p: 'submitted' | 'unsubmitted') => {
  const [total, missing] = demo.truth.perCustomer.rentokil!.monthly[p]['2026-01'] ?? [0, 0];
  return { total, missing };
};

/** Terminates the bot's read connections to the demo database that are running a query; how many it ended. */
async function terminateActiveReaders(): Promise<number> {
  const { rows } = await adminQuery(
    `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
     WHERE datname = $1 AND application_name = 'scorecard-bot-read' AND state <> 'idle'`,
    [demo.name],
  );
  return rows.filter((r) => r.ok === true).length;
}

/** Cuts active connections every 150 ms, up to `rounds` times, until stop() is called. */
function connectionCutter(rounds: number): { stop(): Promise<number> } {
  let stopped = false;
  let killed = 0;
  let done = 0;
  const loop = (async () => {
    while (!stopped && done < rounds) {
      const n = await terminateActiveReaders().catch(() => 0);
      if (n > 0) {
        killed += n;
        done++;
        await new Promise((r) => setTimeout(r, 400));
      } else {
        await new Promise((r) => setTimeout(r, 30));
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return killed;
    },
  };
}

describe('13.1 a dropped database connection', () => {
  it('does not kill the CLI process: the run completes with the right numbers while connections are cut', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgb-fault-'));
    const configPath = join(dir, 'config.json');
    const config = demo.config({ gap: { statementTimeoutMs: 30_000, concurrency: 4, historyMonths: 6, windowAttempts: 6, retryBackoffMs: 500 } });
    writeFileSync(configPath, JSON.stringify(config));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'gap', 'rentokil', 'jan-2026', '--json', '--config', configPath], {
      cwd: process.cwd(),
      env: { ...process.env, SCORECARD_BOT_CONFIG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const cutter = connectionCutter(3);
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    const killed = await cutter.stop();

    expect(killed, 'connections were cut while the run was going').toBeGreaterThan(0);
    expect(stderr).not.toMatch(/Unhandled 'error' event|Connection terminated unexpectedly/);
    expect(code, stderr).toBe(0);
    const report = gapReportSchema.parse(JSON.parse(stdout));
    expect({ total: report.populations.submitted.total, missing: report.populations.submitted.missing }).toEqual(monthTruth('submitted'));
    expect({ total: report.populations.unsubmitted.total, missing: report.populations.unsubmitted.missing }).toEqual(monthTruth('unsubmitted'));
  });

  it('in-process: runGap completes with the right numbers while connections are cut (no unhandled error)', async () => {
    const config = demo.config({ gap: { statementTimeoutMs: 30_000, concurrency: 4, historyMonths: 6, windowAttempts: 6, retryBackoffMs: 500 } });
    const sources = new CustomerSources(config);
    const unhandled: unknown[] = [];
    const onUncaught = (err: unknown): void => void unhandled.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const cutter = connectionCutter(3);
      const report = await runGap({ sources, clickhouse: null, settings: config.gap, logger }, 'rentokil', jan);
      const killed = await cutter.stop();
      expect(killed).toBeGreaterThan(0);
      expect(unhandled).toEqual([]);
      expect({ total: report.populations.submitted.total, missing: report.populations.submitted.missing }).toEqual(monthTruth('submitted'));
    } finally {
      process.off('uncaughtException', onUncaught);
      await sources.close();
    }
  });
});

describe('13.1 through a real network fault', () => {
  it('a dropped connection is retried once on a fresh one; dropped again, the query fails with "the connection was dropped"', async () => {
    const config = demo.config();
    const sources = new CustomerSources(config);
    try {
      const db = await sources.readOnly('rentokil');
      const once = db.query<{ ok: string }>("SELECT pg_sleep(1.5)::text AS ok").then(
        (rows) => rows,
        (e: unknown) => e,
      );
      let ended = 0;
      for (let i = 0; i < 100 && ended === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        ended = await terminateActiveReaders();
      }
      expect(ended).toBe(1);
      expect(await once).toEqual([{ ok: '' }]);

      const twice = db.query('SELECT pg_sleep(20)').then(
        () => null,
        (e: unknown) => e,
      );
      for (let i = 0; i < 200 && ended < 3; i++) {
        await new Promise((r) => setTimeout(r, 50));
        ended += await terminateActiveReaders();
      }
      expect(ended).toBe(3);
      const err = await twice;
      expect(err).toMatchObject({ code: 'SOURCE_UNAVAILABLE' });
      expect((err as BotError).userMessage).toMatch(/^rentokil's database \(\S+\) stopped answering \(the connection was cut\)/);
      expect((err as BotError).userMessage).not.toMatch(/terminating connection/);
      expect(await db.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await sources.close();
    }
  });

  it('every connection dropped and new ones refused for 1.5 s mid-run: the run retries and completes with the right numbers', async () => {
    const config = throughProxy({ windowAttempts: 5 });
    const sources = new CustomerSources(config);
    const unhandled: unknown[] = [];
    const onUncaught = (err: unknown): void => void unhandled.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      let done = 0;
      let fault: Promise<void> | null = null;
      const report = await runGap({ sources, clickhouse: null, settings: config.gap, logger }, 'rentokil', jan, {
        onProgress: (n) => {
          done = n;
          if (fault === null && done >= 20) {
            proxy.dropAll();
            fault = proxy.refuseFor(1_500);
          }
        },
      });
      await fault;
      expect(fault, 'the fault happened mid-run').not.toBeNull();
      expect(unhandled).toEqual([]);
      expect({ total: report.populations.submitted.total, missing: report.populations.submitted.missing }).toEqual(monthTruth('submitted'));
      expect({ total: report.populations.unsubmitted.total, missing: report.populations.unsubmitted.missing }).toEqual(monthTruth('unsubmitted'));
    } finally {
      process.off('uncaughtException', onUncaught);
      await sources.close();
    }
  }, 60_000);
});

function throughProxy(extraGap: Partial<Config['gap']> = {}): Config {
  const base = demo.config();
  return {
    ...base,
    customers: base.customers.map((c) => ({ ...c, postgres: { url: proxy.url(demo.readOnlyUrl) } })),
    gap: { ...base.gap, ...extraGap },
  };
}

describe('13.4 a stalled connection', () => {
  it('a query on a connection whose packets are held fails with a clear code within the statement timeout plus a margin', async () => {
    const config = throughProxy({ statementTimeoutMs: 2_000, windowAttempts: 1 });
    const sources = new CustomerSources(config);
    try {
      const db = await sources.readOnly('rentokil');
      expect(await db.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
      proxy.stall(true);
      const started = Date.now();
      const err = await db.query('SELECT 1').then(
        () => null,
        (e: unknown) => e,
      );
      const elapsed = Date.now() - started;
      expect(err).toBeInstanceOf(BotError);
      expect(err).toMatchObject({ code: 'SOURCE_STALLED' });
      expect((err as BotError).userMessage).toMatch(/rentokil.*(stopped answering|did not answer)/);
      // 2 s statement timeout + the client-side margin; far from the OS's ~15 minutes.
      expect(elapsed).toBeLessThan(20_000);
      expect(elapsed).toBeGreaterThanOrEqual(2_000);
    } finally {
      proxy.stall(false);
      proxy.dropAll();
      await sources.close();
    }
  }, 60_000);

  it('a connection attempt to a peer that never answers fails within the connect timeout', async () => {
    const config = throughProxy({ statementTimeoutMs: 2_000, windowAttempts: 1 });
    const sources = new CustomerSources(config);
    proxy.stall(true);
    try {
      const started = Date.now();
      const err = await sources.readOnly('rentokil').then((db) => db.query('SELECT 1')).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'SOURCE_STALLED' });
      expect((err as BotError).userMessage).toContain('rentokil');
      expect(Date.now() - started).toBeLessThan(25_000);
    } finally {
      proxy.stall(false);
      proxy.dropAll();
      await sources.close();
    }
  }, 60_000);
});

describe('8.9 checks are never starved by gap runs', () => {
  it('a check answers within its deadline while a gap scan holds every connection of its pool', async () => {
    const config = demo.config({ gap: { statementTimeoutMs: 30_000, concurrency: 2, historyMonths: 6, windowAttempts: 1, retryBackoffMs: 300 } });
    const sources = new CustomerSources(config);
    try {
      const gapDb = await sources.readOnly('rentokil');
      // Hold both connections of the gap pool (concurrency 2) for 8 s, as a long scan would.
      const holders = [gapDb.query('SELECT pg_sleep(8)'), gapDb.query('SELECT pg_sleep(8)')];
      await new Promise((r) => setTimeout(r, 300));
      const planted = demo.truth.checkCases.missingHistoric!;
      const started = Date.now();
      const result = await checkScorecard({ sources, clickhouse: null, timeoutMs: 5_000, logger }, { id: planted.scorecardId, customer: planted.customer });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(result.verdict).toBe('missing_historic');
      expect(result.customer).toBe('rentokil');
      await Promise.all(holders);
    } finally {
      await sources.close();
    }
  }, 60_000);
});

describe('8.10 the ops database has deadlines', () => {
  it('an OpsStore against an ops database that holds every packet fails within its timeout instead of hanging', async () => {
    proxy.stall(true);
    const pool = createOpsPool(proxy.url(demo.adminUrl), { connectTimeoutMs: 2_000, statementTimeoutMs: 2_000 });
    try {
      const started = Date.now();
      const err = await new OpsStore(pool).getRun('nope').then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/connection timeout/i);
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      proxy.stall(false);
      proxy.dropAll();
      await pool.end().catch(() => undefined);
    }
  }, 60_000);

  it('a query on an established ops connection whose packets are then held fails within the statement timeout plus a margin', async () => {
    const pool = createOpsPool(proxy.url(demo.adminUrl), { connectTimeoutMs: 2_000, statementTimeoutMs: 2_000 });
    const ops = new OpsStore(pool);
    try {
      await ops.migrate();
      proxy.stall(true);
      const started = Date.now();
      await expect(ops.getRun('nope')).rejects.toThrow(/timeout/i);
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      proxy.stall(false);
      proxy.dropAll();
      await pool.end().catch(() => undefined);
    }
  }, 60_000);
});
