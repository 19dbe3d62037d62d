// `npm run bench:backfill`: the backfill job against the floor, on spirit's January.
// Loads spirit Jan 2026 at BENCH_SCALE into BENCH_DATABASE once, then per run makes two copies of it
// (CREATE DATABASE ... TEMPLATE): on one the job repairs the gap (plan, approve, run: default chunk size, no cap,
// historic only, as ClickHouse is not part of the floor); on the other the floor writes the same rows with one
// INSERT ... SELECT. Prints both rates, their ratio, the rows each wrote, and this process's peak RSS.
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { BackfillService } from '../src/backfill/service.js';
import { BackfillStore } from '../src/backfill/store.js';
import { parseConfig } from '../src/config/load-config.js';
import { dbInit } from '../dev/db/db-init.js';
import { createContext } from '../src/platform/read-context.js';
import { OpsStore } from '../src/ops/ops-store.js';
import { parsePeriod } from '../src/period/parse-period.js';
import { ConnectionUrlResolver } from '../src/sources/connection-url.js';

const ADMIN = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432';
const DB = process.env.BENCH_DATABASE ?? 'scorecard_backfill_bench';
const SCALE = process.env.BENCH_SCALE ?? '1';
const CHUNK = process.env.BENCH_CHUNK_SIZE ? Number(process.env.BENCH_CHUNK_SIZE) : undefined;
const CUSTOMER = 'spirit';
const PROFILE = 'us-east-1';
const url = (db: string, user = 'postgres') => `${ADMIN.replace('postgres@', `${user}@`)}/${db}`;

async function admin<T>(fn: (c: pg.Client) => Promise<T>, db = 'postgres'): Promise<T> {
  const c = new pg.Client({ connectionString: url(db) });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function ensureData(): Promise<void> {
  const exists = await admin(async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB])).rowCount);
  if (!exists) await admin((c) => c.query(`CREATE DATABASE ${DB}`));
  const n = await admin(async (c) => {
    await dbInit(c, { readOnlyRole: 'scorecard_bot_ro' });
    return (await c.query(`SELECT count(*)::int AS n FROM (SELECT 1 FROM director.scorecards WHERE customer = $1 LIMIT 1) x`, [CUSTOMER])).rows[0]?.n;
  }, DB);
  if (n) return;
  console.error(`loading spirit Jan 2026 at scale ${SCALE} into ${DB} (once; later runs reuse it)...`);
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'dev/cli.ts', 'demo-data', '--database-url', url(DB), '--scale', SCALE, '--customers', CUSTOMER, '--from', '2026-01-01', '--to', '2026-02-01'],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) throw new Error('loading the bench data failed');
}

async function copyOf(name: string): Promise<string> {
  await admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${name} TEMPLATE ${DB}`);
  });
  await admin((c) => c.query('ANALYZE'), name);
  return name;
}

const FLOOR = `
INSERT INTO historic.scorecard_scores (customer_id, profile_id, scorecard_id, criterion_id, conversation_id, template_id, score,
                                       scorecard_created_at, scorecard_submitted_at)
SELECT s.customer, s.profile, d.resource_id, s.criterion_id, d.conversation_id, d.template_id, s.numeric_value, d.created_at, d.submitted_at
FROM director.scorecards d
JOIN director.scores s ON s.customer = d.customer AND s.profile = d.profile AND s.scorecard_id = d.resource_id
WHERE d.customer = $1 AND d.profile = $2 AND d.created_at >= $3 AND d.created_at < $4
  AND d.calibrated_scorecard_id IS NULL AND (d.scorecard_type IS NULL OR d.scorecard_type = 0)
  AND NOT EXISTS (SELECT 1 FROM historic.scorecard_scores h WHERE h.customer_id = d.customer AND h.profile_id = d.profile AND h.scorecard_id = d.resource_id)
  AND EXISTS (SELECT 1 FROM app.chats c WHERE c.customer_id = d.customer AND c.profile_id = d.profile AND c.conversation_id = d.conversation_id)`;

async function main(): Promise<void> {
  await ensureData();
  const jobDb = await copyOf(`${DB}_job`);
  const floorDb = await copyOf(`${DB}_floor`);
  const opsDb = `${DB}_ops`;
  await admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${opsDb} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${opsDb}`);
  });
  const jan = parsePeriod('jan-2026');

  // The job, as the bot runs it.
  const config = parseConfig(
    JSON.stringify({
      customers: [{ name: CUSTOMER, profile: PROFILE, postgres: { url: url(jobDb, 'scorecard_bot_ro') }, writer: { url: url(jobDb) } }],
      ops: { url: url(opsDb) },
      gap: { statementTimeoutMs: 600_000 },
      backfill: { clickhouse: false, ...(CHUNK ? { chunkSize: CHUNK } : {}) },
      logLevel: 'silent',
    }),
    {},
  );
  const ctx = createContext(config);
  const opsPool = new pg.Pool({ connectionString: url(opsDb), max: 4 });
  await new OpsStore(opsPool).migrate();
  const service = new BackfillService({
    store: new BackfillStore(opsPool),
    config,
    gap: { sources: ctx.sources, clickhouse: null, settings: config.gap, logger: ctx.logger },
    resolver: new ConnectionUrlResolver(),
  });
  let t = performance.now();
  const req = await service.request({ customer: CUSTOMER, period: jan }, { requester: 'bench', channel: 'bench', threadTs: null });
  const planMs = performance.now() - t;
  const plan = req.plan!;
  console.log(`plan: ${plan.toWrite.scorecards.toLocaleString('en-US')} scorecards, ${plan.toWrite.historicRows.toLocaleString('en-US')} historic rows to write, of ${plan.scanned.toLocaleString('en-US')} scanned (${(planMs / 1000).toFixed(1)} s)`);
  const approval = await service.approve(req.id, 'bench-approver', req.planHash!);
  if (!approval.ok) throw new Error(approval.message);
  t = performance.now();
  const result = await service.run(req.id);
  const totalMs = performance.now() - t;
  console.log(
    `job (chunk size ${config.backfill.chunkSize}, no cap): ${result.historicRows.toLocaleString('en-US')} rows in ${(result.elapsedMs / 1000).toFixed(2)} s = ${result.rowsPerSecond.toLocaleString('en-US')} rows/s` +
      ` (${result.chunks} chunks; with the verification gap scan ${(totalMs / 1000).toFixed(1)} s; status ${result.status})`,
  );
  await ctx.close();
  await opsPool.end();

  // The floor: the same rows in one statement, on the other copy.
  const floor = await admin(async (c) => {
    const t0 = performance.now();
    const r = await c.query(FLOOR, [CUSTOMER, PROFILE, jan.from, jan.to]);
    return { rows: r.rowCount ?? 0, ms: performance.now() - t0 };
  }, floorDb);
  const floorRate = floor.rows / (floor.ms / 1000);
  console.log(`floor (one INSERT ... SELECT): ${floor.rows.toLocaleString('en-US')} rows in ${(floor.ms / 1000).toFixed(2)} s = ${Math.round(floorRate).toLocaleString('en-US')} rows/s`);
  if (floor.rows !== result.historicRows) console.log(`WARNING: the job wrote ${result.historicRows} rows, the floor ${floor.rows}`);
  console.log(`job / floor: ${(result.rowsPerSecond / floorRate).toFixed(2)} (target: at least 0.5)`);
  console.log(`peak RSS: ${Math.round(process.resourceUsage().maxRSS / 1024)} MB (target: under 300 MB)`);

  for (const db of [jobDb, floorDb, opsDb]) await admin((c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
