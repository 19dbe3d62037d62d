// `npm run bench:memory`: peak RSS of a gap run + the missing-ID CSV on a large planted gap, streamed (today's code)
// against the old in-memory way, on the same data. Spirit Jan 10-16 at scale 1 (~600k scorecards, ~200k missing,
// the 14:00 batch failing every day) is loaded once into PostgreSQL (scorecard_membench) and a ClickHouse of its
// own, plus 250k missing planted on Jan 17 (one very large day); a few scorecards are then removed from ClickHouse
// on every day, so every day takes the ID comparison. The period is Jan 10-17: ~450k missing IDs.
//
// Each mode runs in a fresh child process of this script: peak RSS is the kernel's high-water mark for a process
// (getrusage ru_maxrss), so two measurements in one process would blur into one.
//   streamed  runGap (ClickHouse per hour on days over CLICKHOUSE_HOURLY_ABOVE) + the CSV through the cursor to a
//             temporary file, then the file read back whole, as the Slack SDK does at upload.
//   baseline  runGap comparing ClickHouse a whole day at a time + the CSV as before: a day's rows in one query,
//             the whole CSV joined into one string, then Buffer.from(csv) as the upload did.
//
// Env: MEMBENCH_NODE_FLAGS for the children (e.g. --max-semi-space-size=1), MEMBENCH_DATABASE (scorecard_membench), MEMBENCH_ADMIN_URL, CLICKHOUSE_URL (else one is started on
// 127.0.0.1:18290 from scripts/clickhouse/start.sh and stopped at the end), MEMBENCH_PERIOD (2026-01-10..2026-01-17).
// The child mode is also what test/component/gap-memory.test.ts runs: `--mode streamed --config FILE ...`.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';

interface ChildResult {
  mode: string;
  startRssMb: number;
  peakRssMb: number;
  rows: number;
  csvMb: number;
  missing: number;
  clickhouseMissing: number;
  elapsedS: number;
}

const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

async function child(mode: string, configPath: string, customer: string, periodText: string): Promise<ChildResult> {
  // Imported here so the parent (loader, table) does not pay for them.
  const { parseConfig } = await import('../src/config/load-config.js');
  const { runGap, planGap } = await import('../src/gap/gap-service.js');
  const { missingIdsCsvFile } = await import('../src/gap/missing-ids.js');
  const { missingIdsQuery } = await import('../src/gap/core/queries.js');
  const { dayWindows } = await import('../src/gap/core/windows.js');
  const { missingIdsCsv } = await import('../src/gap/views/csv.js');
  const { parsePeriod } = await import('../src/period/parse-period.js');
  const { createClickhouseTiers } = await import('../src/sources/clickhouse-tiers.js');
  const { CustomerSources } = await import('../src/sources/customer-sources.js');
  const { createLogger } = await import('../src/shared/logger.js');

  const config = parseConfig(readFileSync(configPath, 'utf8'), process.env);
  const sources = new CustomerSources(config);
  const clickhouse = createClickhouseTiers(config);
  const deps = { sources, clickhouse, settings: config.gap, logger: createLogger({ level: 'silent' }) };
  const period = parsePeriod(periodText);
  // Connected and warmed up before the start mark, so the growth is the run's, not the pool's or the JIT's.
  const db = await sources.readOnly(customer);
  await db.query('SELECT 1');
  global.gc?.();
  const startRss = process.memoryUsage().rss;
  const t0 = performance.now();
  let rows = 0;
  let csvBytes = 0;
  const plan = planGap(sources, config.gap, customer, period, new Date());
  let report;
  let clickhouseMissing = 0;
  if (mode === 'baseline') {
    // The gap run without ClickHouse, then ClickHouse compared as it was: a day at a time, both sides' IDs whole.
    report = await runGap({ ...deps, clickhouse: null }, customer, period);
    const tier = clickhouse?.forCustomer(customer);
    if (tier) clickhouseMissing = await oldClickhouseCompare(tier, db, plan, report);
  } else {
    report = await runGap(deps, customer, period);
    clickhouseMissing = (report.populations.submitted.clickhouseMissing ?? 0) + (report.populations.unsubmitted.clickhouseMissing ?? 0);
  }
  if (mode === 'baseline') {
    // The code as it was: each day's missing rows in one query result, the CSV as one string, then a Buffer.
    async function* oldMissingIds() {
      for (const w of dayWindows(new Date(plan.period.from), new Date(plan.period.to))) {
        const q = missingIdsQuery(plan.customer, plan.profile, new Date(w.from), new Date(w.to), new Date(plan.settle.cutoff));
        const dayRows = await db.query<{ scorecard_id: string; created_at: Date; submitted_at: Date | null; state: string }>(q.text, q.values);
        for (const r of dayRows) {
          rows++;
          yield { scorecardId: r.scorecard_id, population: r.submitted_at ? 'submitted' : 'unsubmitted', createdAt: r.created_at.toISOString(), submittedAt: r.submitted_at?.toISOString() ?? null, state: r.state };
        }
      }
    }
    const csv = await missingIdsCsv(oldMissingIds());
    csvBytes = Buffer.from(csv).length;
  } else {
    const file = await missingIdsCsvFile(sources, plan);
    try {
      rows = file.rows;
      // What the Slack SDK does with a path at upload: one readFileSync.
      csvBytes = readFileSync(file.path).length;
    } finally {
      await file.remove();
    }
  }
  const elapsedS = Math.round((performance.now() - t0) / 100) / 10;
  const peak = process.resourceUsage().maxRSS * 1024;
  await sources.close();
  await clickhouse?.close();
  return {
    mode,
    startRssMb: mb(startRss),
    peakRssMb: mb(peak),
    rows,
    csvMb: mb(csvBytes),
    missing: report.populations.submitted.missing + report.populations.unsubmitted.missing,
    clickhouseMissing,
    elapsedS,
  };
}

type Tier = import('../src/sources/clickhouse.js').ClickhouseTier;
type Db = import('../src/sources/read-only-db.js').ReadOnlyDb;
type Plan = import('../src/gap/gap-service.js').GapPlan;
type Report = import('../src/gap/core/report.js').GapReport;

/** ClickHouse compared as before the change, for the baseline: per differing day, both sides' IDs in memory. */
async function oldClickhouseCompare(ch: Tier, db: Db, plan: Plan, report: Report): Promise<number> {
  const { clickhouseDayCounts } = await import('../src/gap/clickhouse-compare.js');
  const { presentIdsQuery } = await import('../src/gap/core/queries.js');
  const inClickhouse = await clickhouseDayCounts(ch, plan.customer, plan.profile, new Date(plan.period.from), new Date(plan.period.to));
  let missing = 0;
  for (const d of report.daily) {
    const present = d.submitted.total - d.submitted.missing + d.unsubmitted.total - d.unsubmitted.missing;
    if ((inClickhouse.get(d.date) ?? 0) >= present) continue;
    const from = new Date(`${d.date}T00:00:00.000Z`);
    const to = new Date(from.getTime() + 86_400_000);
    const q = presentIdsQuery(plan.customer, plan.profile, from, to, new Date(plan.settle.cutoff), new Date(plan.settle.cutoff));
    const t = (x: Date) => x.toISOString().replace('T', ' ').replace('Z', '');
    const [rows, rs] = await Promise.all([
      db.query<{ scorecard_id: string; submitted: boolean }>(q.text, q.values),
      ch.client.query({
        query: `SELECT DISTINCT scorecard_id FROM ${ch.table} WHERE customer_id = {customer:String} AND profile_id = {profile:String}
                AND scorecard_created_at >= {from:DateTime64(3, 'UTC')} AND scorecard_created_at < {to:DateTime64(3, 'UTC')}`,
        query_params: { customer: plan.customer, profile: plan.profile, from: t(from), to: t(to) },
        format: 'JSONCompactEachRow',
      }),
    ]);
    const ids = new Set(((await rs.json()) as [string][]).map((r) => r[0]));
    missing += rows.filter((r) => !ids.has(r.scorecard_id)).map((r) => ({ population: r.submitted ? 'submitted' : 'unsubmitted', scorecardId: r.scorecard_id })).length;
  }
  return missing;
}

// ---- parent: data, ClickHouse, the two children, the table ----

const ADMIN = process.env.MEMBENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432';
const DB = process.env.MEMBENCH_DATABASE ?? 'scorecard_membench';
const PERIOD = process.env.MEMBENCH_PERIOD ?? '2026-01-10..2026-01-17';
const CH_DATABASE = 'membench';
const CUSTOMER = 'spirit';
const dbUrl = (db: string, user = 'postgres') => `${ADMIN.replace('postgres@', `${user}@`)}/${db}`;

function startClickhouse(): { url: string; stop: () => void } {
  if (process.env.CLICKHOUSE_URL) return { url: process.env.CLICKHOUSE_URL, stop: () => undefined };
  const dir = '.cache/clickhouse/membench';
  mkdirSync(dir, { recursive: true });
  const env = { ...process.env, CLICKHOUSE_PORT: '18290', CLICKHOUSE_DATA_DIR: `${dir}/data`, CLICKHOUSE_PID_FILE: `${dir}/server.pid`, CLICKHOUSE_LOG_FILE: `${dir}/server.log` };
  const out = execFileSync('bash', ['scripts/clickhouse/start.sh'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const url = out.trim().split('\n').pop() ?? '';
  return { url, stop: () => void spawnSync('bash', ['scripts/clickhouse/stop.sh'], { env, stdio: 'inherit' }) };
}

async function ensureData(chUrl: string): Promise<void> {
  const admin = new pg.Client({ connectionString: dbUrl('postgres') });
  await admin.connect();
  const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB])).rowCount;
  if (!exists) await admin.query(`CREATE DATABASE ${DB}`);
  await admin.end();
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'dev/cli.ts', ...args], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`scorecard-bot ${args[0]} failed`);
  };
  run(['db:init', '--database-url', dbUrl(DB), '--readonly-role', 'scorecard_bot_ro', '--clickhouse-url', chUrl, '--clickhouse-database', CH_DATABASE]);
  const c = new pg.Client({ connectionString: dbUrl(DB) });
  await c.connect();
  const n = (await c.query(`SELECT count(*)::int AS n FROM (SELECT 1 FROM director.scorecards WHERE customer = $1 LIMIT 1) x`, [CUSTOMER])).rows[0]?.n;
  await c.end();
  if (!n) {
    console.error(`loading spirit Jan 10-16 at scale 1 into ${DB} (once; later runs reuse it)...`);
    run(['demo-data', '--database-url', dbUrl(DB), '--clickhouse-url', chUrl, '--clickhouse-database', CH_DATABASE, '--scale', '1', '--customers', CUSTOMER, '--from', '2026-01-10', '--to', '2026-01-17']);
  }
  // One very large day: 250k more missing on Jan 17 (a day the load above leaves empty), the "day" memory is bound by.
  const c2 = new pg.Client({ connectionString: dbUrl(DB) });
  await c2.connect();
  const planted = (await c2.query(`SELECT count(*)::int AS n FROM director.scorecards WHERE customer = $1 AND template_id = 'membench-planted'`, [CUSTOMER])).rows[0]?.n;
  if (!planted) {
    await c2.query(
      `INSERT INTO director.scorecards (customer, profile, resource_id, template_id, created_at)
       SELECT $1, 'us-east-1', gen_random_uuid()::text, 'membench-planted', timestamptz '2026-01-17 00:00:00+00' + g * interval '345.6 milliseconds'
       FROM generate_series(0, 249999) g`,
      [CUSTOMER],
    );
    await c2.query('ANALYZE director.scorecards');
  }
  await c2.end();
  // Plant a ClickHouse gap on every day: ~1 in 5,000 scorecards of the 14:00 batch leave ClickHouse (chosen by a
  // hash of the ID, so a second run deletes nothing new), and every day then takes the ID comparison.
  const { createClient } = await import('@clickhouse/client');
  const ch = createClient({ url: chUrl });
  await ch.command({
    query: `ALTER TABLE ${CH_DATABASE}.scorecard_scores DELETE WHERE toHour(scorecard_created_at, 'UTC') = 14 AND cityHash64(scorecard_id) % 5000 = 0`,
    clickhouse_settings: { mutations_sync: '2' },
  });
  await ch.close();
}

async function parent(): Promise<void> {
  const clickhouse = startClickhouse();
  try {
    await ensureData(clickhouse.url);
    const config = {
      customers: [{ name: CUSTOMER, profile: 'us-east-1', postgres: { url: dbUrl(DB, 'scorecard_bot_ro') } }],
      clickhouse: { url: clickhouse.url, database: CH_DATABASE, table: 'scorecard_scores' },
      gap: { concurrency: 2, statementTimeoutMs: 300_000, historyMonths: 1 },
      logLevel: 'silent',
    };
    const configPath = join(tmpdir(), `membench-${process.pid}.json`);
    writeFileSync(configPath, JSON.stringify(config));
    const results: ChildResult[] = [];
    for (const mode of ['streamed', 'baseline']) {
      const flags = (process.env.MEMBENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
      const r = spawnSync(process.execPath, ['--expose-gc', ...flags, '--import', 'tsx', 'bench/memory-bench.ts', '--mode', mode, '--config', configPath, '--customer', CUSTOMER, '--period', PERIOD], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 1 << 20,
      });
      if (r.status !== 0) throw new Error(`${mode} run failed`);
      results.push(JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as ChildResult);
    }
    console.log(`gap ${CUSTOMER} ${PERIOD} + missing-ID CSV (PostgreSQL ${DB}, ClickHouse ${clickhouse.url}; node flags: ${process.env.MEMBENCH_NODE_FLAGS || 'default'})`);
    console.log('mode       peak RSS   start RSS   growth    rows      CSV     missing  ch-missing  time');
    for (const r of results) {
      console.log(
        `${r.mode.padEnd(9)} ${`${r.peakRssMb} MB`.padStart(9)} ${`${r.startRssMb} MB`.padStart(10)} ${`${Math.round((r.peakRssMb - r.startRssMb) * 10) / 10} MB`.padStart(9)} ` +
          `${String(r.rows).padStart(7)} ${`${r.csvMb} MB`.padStart(8)} ${String(r.missing).padStart(9)} ${String(r.clickhouseMissing).padStart(10)} ${`${r.elapsedS} s`.padStart(7)}`,
      );
    }
    rmSync(configPath, { force: true });
    const [s, b] = results as [ChildResult, ChildResult];
    if (s.rows !== b.rows || s.rows !== s.missing || s.clickhouseMissing !== b.clickhouseMissing) throw new Error('the two modes disagree on the numbers');
    console.log(`peak RSS baseline/streamed: ${(b.peakRssMb / s.peakRssMb).toFixed(2)}x; growth: ${((b.peakRssMb - b.startRssMb) / (s.peakRssMb - s.startRssMb)).toFixed(2)}x`);
  } finally {
    clickhouse.stop();
  }
}

/**
 * `--mode gap-csv`: what `scorecard-bot gap <customer> <period> --csv FILE` does after start-up (the gap run, then
 * missingIdsCsvChunks(missingIds(...)) streamed to FILE), measured from a warmed-up pool. Only code that existed
 * before the cursor, so test/component/gap-memory.test.ts can run it on both.
 */
async function gapCsvChild(configPath: string, customer: string, periodText: string): Promise<Record<string, number>> {
  const { createWriteStream, mkdtempSync } = await import('node:fs');
  const { Readable } = await import('node:stream');
  const { pipeline } = await import('node:stream/promises');
  const { parseConfig } = await import('../src/config/load-config.js');
  const { planGap, runGap } = await import('../src/gap/gap-service.js');
  const { missingIds } = await import('../src/gap/missing-ids.js');
  const { missingIdsCsvChunks } = await import('../src/gap/views/csv.js');
  const { parsePeriod } = await import('../src/period/parse-period.js');
  const { createClickhouseTiers } = await import('../src/sources/clickhouse-tiers.js');
  const { CustomerSources } = await import('../src/sources/customer-sources.js');
  const { createLogger } = await import('../src/shared/logger.js');
  const config = parseConfig(readFileSync(configPath, 'utf8'), process.env);
  const sources = new CustomerSources(config);
  const clickhouse = createClickhouseTiers(config);
  const period = parsePeriod(periodText);
  await (await sources.readOnly(customer)).query('SELECT 1');
  const csvPath = join(mkdtempSync(join(tmpdir(), 'membench-csv-')), 'missing.csv');
  global.gc?.();
  const startRss = process.memoryUsage().rss;
  const report = await runGap({ sources, clickhouse, settings: config.gap, logger: createLogger({ level: 'silent' }) }, customer, period);
  await pipeline(Readable.from(missingIdsCsvChunks(missingIds(sources, planGap(sources, config.gap, customer, period, new Date())))), createWriteStream(csvPath));
  const peak = process.resourceUsage().maxRSS * 1024;
  const text = readFileSync(csvPath, 'utf8');
  rmSync(csvPath, { force: true });
  await sources.close();
  await clickhouse?.close();
  return {
    startRssMb: mb(startRss),
    peakRssMb: mb(peak),
    rows: text.split('\r\n').length - 2,
    missing: report.populations.submitted.missing + report.populations.unsubmitted.missing,
  };
}

const { values } = parseArgs({ options: { mode: { type: 'string' }, config: { type: 'string' }, customer: { type: 'string' }, period: { type: 'string' } } });
if (values.mode === 'gap-csv') {
  process.stdout.write(JSON.stringify(await gapCsvChild(values.config ?? '', values.customer ?? CUSTOMER, values.period ?? PERIOD)) + '\n');
} else if (values.mode) {
  const r = await child(values.mode, values.config ?? '', values.customer ?? CUSTOMER, values.period ?? PERIOD);
  process.stdout.write(JSON.stringify(r) + '\n');
} else {
  await parent();
}
