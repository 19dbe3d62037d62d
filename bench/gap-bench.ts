// `npm run bench`: the gap engine against the investigation's own queries on spirit's January at scale 1.
// (a) Queries 1, 2, 3, 7, 8 as written (each capped at BENCH_CAP_S, a capped query counts as the cap),
// (b) `gap spirit jan-2026`, (c) the floor: one index-driven pass counting the missing over the same range.
// Prints each, a/b, b/c, peak RSS, and checks that (a) and (b) agree on every number they share.
// (d) what counting partial scorecards costs: the gap run with the window query from before partial counting
// against the bot's, alternated BENCH_PARTIAL_ROUNDS times (default 3), as a ratio of medians (target <= 1.5), with
// the partial counts checked against a plain reference query (partial scorecards are planted in January once).
// BENCH_INVESTIGATION=0 skips (a) and (c), which take minutes, to measure (b) and (d) alone.
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { parseConfig } from '../src/config/load-config.js';
import { dbInit } from '../dev/db/db-init.js';
import { runGap } from '../src/gap/gap-service.js';
import { parsePeriod } from '../src/period/parse-period.js';
import { CustomerSources } from '../src/sources/customer-sources.js';
import { createLogger } from '../src/shared/logger.js';
import { floorQuery, investigationQueries } from './investigation-queries.js';
import { measurePartialCost, plantPartials, referencePartial } from './partial-cost.js';

const ADMIN = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432';
const DB = process.env.BENCH_DATABASE ?? 'scorecard_bench';
const SCALE = process.env.BENCH_SCALE ?? '1';
const CAP_S = Number(process.env.BENCH_CAP_S ?? 300);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const INVESTIGATION = process.env.BENCH_INVESTIGATION !== '0';
const PARTIAL_ROUNDS = Number(process.env.BENCH_PARTIAL_ROUNDS ?? 3);
const CUSTOMER = 'spirit';
const PROFILE = 'us-east-1';
const url = (db: string, user = 'postgres') => `${ADMIN.replace('postgres@', `${user}@`)}/${db}`;

const secs = (ms: number) => (ms / 1000).toFixed(2);

async function ensureData(): Promise<void> {
  const admin = new pg.Client({ connectionString: url('postgres') });
  await admin.connect();
  const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB])).rowCount;
  if (!exists) await admin.query(`CREATE DATABASE ${DB}`);
  await admin.end();
  const c = new pg.Client({ connectionString: url(DB) });
  await c.connect();
  await dbInit(c, { readOnlyRole: 'scorecard_bot_ro' });
  const n = (await c.query(`SELECT count(*)::int AS n FROM (SELECT 1 FROM director.scorecards WHERE customer = $1 LIMIT 1) x`, [CUSTOMER])).rows[0]?.n;
  await c.end();
  if (n) return;
  console.error(`loading spirit Jul 2025 - Jan 2026 at scale ${SCALE} into ${DB} (once; later runs reuse it)...`);
  // In a child process, so the loader's memory does not count in this process's peak RSS.
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'dev/cli.ts', 'demo-data', '--database-url', url(DB), '--scale', SCALE, '--customers', CUSTOMER, '--from', '2025-07-01', '--to', '2026-02-01'],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) throw new Error('loading the bench data failed');
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

async function main(): Promise<void> {
  await ensureData();
  const client = new pg.Client({ connectionString: url(DB) });
  await client.connect();
  await client.query("SET TIME ZONE 'UTC'");
  await client.query(`SET statement_timeout = ${CAP_S * 1000}`);
  await plantPartials(client, CUSTOMER, PROFILE, (l) => console.error(l));

  // (a) the investigation's queries, one after another, as the engineer ran them.
  const a: { name: string; ms: number; capped: boolean; rows: Record<string, unknown>[] }[] = [];
  for (const q of INVESTIGATION ? investigationQueries(CUSTOMER, PROFILE, '2026-02-01T00:00:00Z') : []) {
    const t = performance.now();
    try {
      const res = await client.query(q.sql);
      a.push({ name: q.name, ms: performance.now() - t, capped: false, rows: res.rows });
    } catch (err) {
      if ((err as { code?: string }).code !== '57014') throw err;
      a.push({ name: q.name, ms: CAP_S * 1000, capped: true, rows: [] });
    }
    const last = a[a.length - 1]!;
    console.log(`(a) ${last.name.padEnd(42)} ${secs(last.ms).padStart(8)} s${last.capped ? '  (capped)' : ''}`);
  }
  const aMs = a.reduce((s, q) => s + q.ms, 0);

  // (b) the gap engine, through the read-only role, as the bot runs it.
  const config = parseConfig(
    JSON.stringify({ customers: [{ name: CUSTOMER, profile: PROFILE, postgres: { url: url(DB, 'scorecard_bot_ro') } }], gap: { concurrency: CONCURRENCY, statementTimeoutMs: CAP_S * 1000 } }),
    {},
  );
  const sources = new CustomerSources(config);
  const deps = { sources, clickhouse: null, settings: config.gap, logger: createLogger({ level: 'silent' }) };
  const b = await timed(() => runGap(deps, CUSTOMER, parsePeriod('jan-2026')));
  console.log(`(b) gap spirit jan-2026 (${b.value.stats.windows} windows, concurrency ${CONCURRENCY})`.padEnd(46) + `${secs(b.ms).padStart(8)} s`);

  // (d) partial counting: the same run with the window query from before it, alternated.
  const d = await measurePartialCost(deps, CUSTOMER, parsePeriod('jan-2026'), PARTIAL_ROUNDS, (l) => console.log(l));
  await sources.close();
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

  // (c) the floor over the range (b) scanned.
  const monthsFrom = b.value.monthly[0]!.month;
  const f = floorQuery(CUSTOMER, PROFILE, `${monthsFrom}-01T00:00:00Z`, b.value.period.to);
  const c = INVESTIGATION ? await timed(() => client.query(f.text, f.values)) : null;
  if (c) console.log(`(c) floor: one index-driven pass (${monthsFrom}..)`.padEnd(46) + `${secs(c.ms).padStart(8)} s`);

  // Agreement on every number (a) and (b) share.
  const problems: string[] = [];
  const monthOf = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v)).slice(0, 7);
  const check = (what: string, x: unknown, y: unknown) => {
    if (Number(x) !== Number(y)) problems.push(`${what}: investigation ${x}, gap ${y}`);
  };
  // Partial counts: January's against the plain reference query; the months before have none (the loader writes none).
  const ref = await referencePartial(client, CUSTOMER, PROFILE, '2026-01-01', '2026-02-01');
  for (const m of d.report.monthly) {
    for (const p of ['submitted', 'unsubmitted'] as const) {
      const want = m.month === '2026-01' ? (ref.get(`2026-01|${p}`) ?? 0) : 0;
      if (m[p].partial !== want) problems.push(`partial ${m.month} ${p}: reference ${want}, gap ${m[p].partial}`);
    }
  }
  problems.push(...d.problems);
  const [q1, q2, q3, q7, q8] = a;
  if (INVESTIGATION) {
  for (const row of q1!.rows) {
    const m = b.value.monthly.find((x) => x.month === monthOf(row.month));
    if (m) {
      check(`Q1 ${monthOf(row.month)} total`, row.total_submitted, m.submitted.total);
      check(`Q1 ${monthOf(row.month)} missing`, row.missing, m.submitted.missing);
    }
  }
  for (const row of q7!.rows) {
    const m = b.value.monthly.find((x) => x.month === monthOf(row.month));
    if (m) {
      check(`Q7 ${monthOf(row.month)} total`, row.total_unsubmitted, m.unsubmitted.total);
      check(`Q7 ${monthOf(row.month)} missing`, row.missing, m.unsubmitted.missing);
    }
  }
  for (const row of q2!.rows) {
    const date = (row.date instanceof Date ? row.date.toISOString() : String(row.date)).slice(0, 10);
    const d = b.value.daily.find((x) => x.date === date);
    if (d && date !== '2026-01-15') {
      check(`Q2 ${date} total`, row.total, d.submitted.total);
      check(`Q2 ${date} missing`, row.missing, d.submitted.missing);
    }
  }
  if (!q3!.capped) {
    const first = q3!.rows[0]?.first_missing_created as Date | null;
    if ((first?.toISOString() ?? null) !== (b.value.firstMissing.submitted?.createdAt ?? null)) problems.push(`Q3 first missing: ${first?.toISOString()} vs ${b.value.firstMissing.submitted?.createdAt}`);
  }
  const jan23 = b.value.daily.find((x) => x.date === '2026-01-23')!;
  const q8rows = q8!.rows.filter((r) => (r.hour as Date).toISOString() < '2026-01-24');
  if (!q8!.capped) {
    check('Q8 Jan 23 total', q8rows.reduce((s, r) => s + Number(r.total), 0), jan23.unsubmitted.total);
    check('Q8 Jan 23 missing', q8rows.reduce((s, r) => s + Number(r.missing), 0), jan23.unsubmitted.missing);
  }
  const pops = b.value.monthly.reduce((s, m) => s + m.submitted.missing + m.unsubmitted.missing, 0);
  check('floor missing (6 months)', c!.value.rows[0]?.missing, pops);
  }
  await client.end();

  const rssMb = process.resourceUsage().maxRSS / 1024;
  const jan = d.report.monthly.find((m) => m.month === '2026-01');
  console.log('');
  if (c) {
    console.log(`a (investigation, total)  ${secs(aMs)} s${a.some((q) => q.capped) ? `  (${a.filter((q) => q.capped).length} capped at ${CAP_S} s)` : ''}`);
    console.log(`b (gap)                   ${secs(b.ms)} s`);
    console.log(`c (floor)                 ${secs(c.ms)} s`);
    console.log(`a/b = ${(aMs / b.ms).toFixed(1)}x   (target >= 20x)`);
    console.log(`b/c = ${(b.ms / c.ms).toFixed(2)}    (target <= 2)`);
  } else console.log(`b (gap)                   ${secs(b.ms)} s`);
  console.log(`d: gap without partial counting (median of ${d.baselineMs.length})  ${secs(med(d.baselineMs))} s  [${d.baselineMs.map(secs).join(', ')}]`);
  console.log(`d: gap with partial counting    (median of ${d.partialMs.length})  ${secs(med(d.partialMs))} s  [${d.partialMs.map(secs).join(', ')}]`);
  console.log(`d: with / without = ${d.ratio.toFixed(2)}  (target <= 1.5); Jan 2026 partial: ${jan?.submitted.partial ?? 0} submitted, ${jan?.unsubmitted.partial ?? 0} unsubmitted`);
  console.log(`peak RSS ${rssMb.toFixed(0)} MB      (target < 300 MB)`);
  console.log(problems.length === 0 ? 'agreement: every shared number matches' : `DISAGREEMENT:\n  ${problems.join('\n  ')}`);
  if (problems.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
