// `npm run bench:fleet`: `gap all jan-2026` over a fleet of 300 customers on one PostgreSQL server: the 4 demo
// customers with data (scorecard_demo, from `npm run demo`) and 296 without, each in a database of its own, as in
// production. In one process, it times the 4 alone, then the 300, sampling the server's connections of the bot
// (pg_stat_activity, application_name scorecard-bot-read, every 20 ms) and counting failures.
// Target (issue 20): no failure, peak connections <= postgres.maxConnectionsPerServer, and the 300 within
// 2 x (the 4 alone) + 30 s.
//   BENCH_FLEET_EMPTY=296  customers without data   BENCH_BUDGET=10  postgres.maxConnectionsPerServer
//   BENCH_PERIOD=jan-2026  the period               BENCH_DATABASE=scorecard_demo  where the 4 live
import pg from 'pg';
import { dbInit } from '../dev/db/db-init.js';
import { parseConfig } from '../src/config/load-config.js';
import { runGapAll, type GapDeps } from '../src/gap/gap-service.js';
import { parsePeriod } from '../src/period/parse-period.js';
import { CustomerSources } from '../src/sources/customer-sources.js';
import { createLogger } from '../src/shared/logger.js';

const ADMIN = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432';
const DATABASE = process.env.BENCH_DATABASE ?? 'scorecard_demo';
const EMPTY = Number(process.env.BENCH_FLEET_EMPTY ?? 296);
const BUDGET = Number(process.env.BENCH_BUDGET ?? 10);
const PERIOD = process.env.BENCH_PERIOD ?? 'jan-2026';
const TEMPLATE = 'bench_fleet_template';
const DEMO_CUSTOMERS = ['rentokil', 'spirit', 'guitar-center', 'nclh'];

const url = (db: string, user?: string): string => {
  const u = new URL(`${ADMIN}/${db}`);
  if (user) u.username = user;
  return u.toString();
};
const tenantDb = (i: number): string => `bench_fleet_${String(i).padStart(3, '0')}`;

async function withClient<T>(db: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url(db) });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** The 296 empty customer databases, made once from a template holding the contract and the read-only grants. */
async function ensureFleet(): Promise<void> {
  const existing = new Set(
    (await withClient('postgres', (c) => c.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'bench_fleet_%'`))).rows.map((r) => r.datname),
  );
  if (!existing.has(TEMPLATE)) {
    await withClient('postgres', (c) => c.query(`CREATE DATABASE ${TEMPLATE}`));
    await withClient(TEMPLATE, (c) => dbInit(c, { readOnlyRole: 'scorecard_bot_ro' }));
  }
  const missing = Array.from({ length: EMPTY }, (_, i) => tenantDb(i + 1)).filter((d) => !existing.has(d));
  if (missing.length > 0) process.stderr.write(`fleet: creating ${missing.length} empty customer databases (once)\n`);
  for (const d of missing) await withClient('postgres', (c) => c.query(`CREATE DATABASE ${d} TEMPLATE ${TEMPLATE}`));
}

function fleetDeps(customers: { name: string; url: string }[]): GapDeps {
  const config = parseConfig(
    JSON.stringify({
      customers: customers.map((c) => ({ name: c.name, profile: 'us-east-1', postgres: { url: c.url } })),
      postgres: { maxConnectionsPerServer: BUDGET, checkReserve: 2 },
      gap: { statementTimeoutMs: 60_000, concurrency: 4, historyMonths: 6, lookbackMonths: 24, windowAttempts: 5, retryBackoffMs: 1_000 },
      logLevel: 'silent',
    }),
    {},
  );
  return { sources: new CustomerSources(config), clickhouse: null, settings: config.gap, logger: createLogger({ level: 'silent' }) };
}

async function timed(customers: { name: string; url: string }[]): Promise<{ ms: number; peak: number; failures: number; noData: number; reports: number }> {
  const deps = fleetDeps(customers);
  const watcher = new pg.Client({ connectionString: url('postgres') });
  await watcher.connect();
  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      // Only this fleet's databases: other processes on the server (a test run, a console) use the same name.
      const { rows } = await watcher.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'scorecard-bot-read' AND (datname = $1 OR datname LIKE 'bench\\_fleet\\_%')`,
        [DATABASE],
      );
      peak = Math.max(peak, rows[0]?.n ?? 0);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const started = performance.now();
  try {
    const { reports, failures } = await runGapAll(deps, parsePeriod(PERIOD));
    const ms = performance.now() - started;
    for (const f of failures) process.stderr.write(`  failed: ${f.customer}: ${(f.error as { userMessage?: string }).userMessage ?? String(f.error)}\n`);
    return { ms, peak, failures: failures.length, noData: reports.filter((r) => r.verdict === 'no_data').length, reports: reports.length };
  } finally {
    sampling = false;
    await sampler;
    await watcher.end();
    await deps.sources.close();
  }
}

async function main(): Promise<void> {
  await ensureFleet();
  const four = DEMO_CUSTOMERS.map((name) => ({ name, url: url(DATABASE, 'scorecard_bot_ro') }));
  const empty = Array.from({ length: EMPTY }, (_, i) => ({ name: `tenant${String(i + 1).padStart(3, '0')}`, url: url(tenantDb(i + 1), 'scorecard_bot_ro') }));
  // Warm-up: the first run pays for cold caches; both measured runs then start from the same state.
  await timed(four);
  const alone = await timed(four);
  const fleet = await timed([...four, ...empty]);
  const limit = 2 * alone.ms + 30_000;
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  const lines = [
    `gap all ${PERIOD}: postgres.maxConnectionsPerServer ${BUDGET}, one server`,
    `  the 4 with data alone:     ${s(alone.ms)}, peak ${alone.peak} connections, ${alone.failures} failed`,
    `  ${4 + EMPTY} customers (${EMPTY} empty): ${s(fleet.ms)}, peak ${fleet.peak} connections, ${fleet.failures} failed, ${fleet.noData} reported no data`,
    `  target: no failure, peak <= ${BUDGET}, wall <= 2 x ${s(alone.ms)} + 30 s = ${s(limit)}`,
    `  result: ${fleet.failures === 0 && fleet.peak <= BUDGET && fleet.ms <= limit ? 'met' : 'NOT met'} (fleet/alone ${(fleet.ms / alone.ms).toFixed(2)}x)`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
