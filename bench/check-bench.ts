// `npm run bench:check`: /scorecard-check's fan-out, median of 20 runs, (1) across the four demo customers
// (`npm run demo` first) and (2) across 20 configured customers on 20 databases of the same server.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { parseConfig } from '../src/config/load-config.js';
import { checkScorecard } from '../src/check/check-service.js';
import { dbInit } from '../dev/db/db-init.js';
import { groundTruth } from '../dev/demo/ground-truth.js';
import { loadDemoData } from '../dev/demo/load.js';
import { buildPlan } from '../dev/demo/plan.js';
import { createClickhouseTiers } from '../src/sources/clickhouse-tiers.js';
import { CustomerSources } from '../src/sources/customer-sources.js';
import { createLogger } from '../src/shared/logger.js';

const ADMIN = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432';
const RUNS = 20;
const logger = createLogger({ level: 'silent' });

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: `${ADMIN}/postgres` });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function medianOf(fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

async function main(): Promise<void> {
  // (1) the four demo customers, ClickHouse included.
  const demo = parseConfig(readFileSync('config/demo.yml', 'utf8'), { ...process.env, CLICKHOUSE_URL: process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123' });
  const sources = new CustomerSources(demo);
  const ch = createClickhouseTiers(demo);
  const id = '019bcaf4-4b65-7838-b07d-20640fe7628e';
  const first = await checkScorecard({ sources, clickhouse: ch, timeoutMs: 15_000, logger }, { id });
  const four = await medianOf(() => checkScorecard({ sources, clickhouse: ch, timeoutMs: 15_000, logger }, { id }));
  console.log(`check ${id} across 4 customers: median ${four.toFixed(1)} ms over ${RUNS} runs (verdict ${first.verdict} in ${first.customer})`);
  await sources.close();

  // (2) 20 customers, 20 databases: one template with nclh's January, copied 19 times.
  const names = Array.from({ length: 20 }, (_, i) => `scorecard_check_bench_${String(i + 1).padStart(2, '0')}`);
  for (const n of names) await admin(`DROP DATABASE IF EXISTS ${n}`);
  await admin(`CREATE DATABASE ${names[0]}`);
  const c = new pg.Client({ connectionString: `${ADMIN}/${names[0]}` });
  await c.connect();
  await dbInit(c, { readOnlyRole: 'scorecard_bot_ro' });
  const plan = buildPlan({ seed: 42, scale: 0.01, submittedScale: 1, customers: ['nclh'], from: '2026-01-01', to: '2026-02-01' });
  await loadDemoData(plan, { pg: c, clickhouse: null, clickhouseDatabase: 'x', clickhouseTable: 'x' });
  await c.end();
  for (const n of names.slice(1)) await admin(`CREATE DATABASE ${n} TEMPLATE ${names[0]}`);
  const target = groundTruth(plan).named.find((x) => x.customer === 'nclh')!;
  const config = parseConfig(
    JSON.stringify({
      customers: names.map((n, i) => ({ name: i === 19 ? 'nclh' : `nclh-${i + 1}`, profile: 'us-east-1', postgres: { url: `${ADMIN.replace('postgres@', 'scorecard_bot_ro@')}/${n}` } })),
    }),
    {},
  );
  const twenty = new CustomerSources(config);
  const r = await checkScorecard({ sources: twenty, clickhouse: null, timeoutMs: 15_000, logger }, { id: target.scorecardId });
  const t20 = await medianOf(() => checkScorecard({ sources: twenty, clickhouse: null, timeoutMs: 15_000, logger }, { id: target.scorecardId }));
  console.log(`check across 20 customers (20 databases, same server): median ${t20.toFixed(1)} ms over ${RUNS} runs (verdict ${r.verdict} in ${r.customer})`);
  await twenty.close();
  await ch?.close();
  for (const n of names) await admin(`DROP DATABASE IF EXISTS ${n}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
