// `npm run bench:watch`: a scheduled audit (last 48 h) of every demo customer, as the watchdog runs it: one gap
// run per customer in-process over the read-only path, then the alert decisions (Slack replaced by a recorder).
// Reports the audit's duration and the PostgreSQL time each customer cost (pg_stat_database.active_time of the
// demo database, read around a one-customer audit). Needs `npm run demo` first (the scorecard_demo database).
//   BENCH_NOW=2026-01-24T00:00:00Z  the audit's "now" (the demo data ends Feb 2026)
//   CLICKHOUSE_URL                  (default http://127.0.0.1:8123; compared when it answers; BENCH_CLICKHOUSE=0: not)
//   BENCH_DATABASE=scorecard_backfill_bench BENCH_CUSTOMERS=spirit  another loaded database (e.g. spirit's January at
//                                   scale 1, from `npm run bench:backfill`), read as scorecard_bot_ro
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { parseConfig } from '../src/config/load-config.js';
import { createContext } from '../src/platform/read-context.js';
import { OpsStore } from '../src/ops/ops-store.js';
import { createLogger } from '../src/shared/logger.js';
import type { OutgoingMessage as SlackMessage } from '../src/slack/slack-message.js';
import type { ThreadPublisher } from '../src/slack/thread-publisher.js';
import { AlertStore } from '../src/watch/alert-store.js';
import { runAudit } from '../src/watch/audit.js';
import type { WatchAudit } from '../src/config/watch-schema.js';

const ADMIN = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432';
const NOW = new Date(process.env.BENCH_NOW ?? '2026-01-24T00:00:00Z');
const OPS_DB = 'scorecard_watch_bench_ops';
const DATABASE = process.env.BENCH_DATABASE ?? 'scorecard_demo';

async function admin(sql: string, db = 'postgres'): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: `${ADMIN}/${db}` });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

/** Milliseconds PostgreSQL spent executing statements in the demo database so far. An idle backend flushes its
 *  statistics within 10 s (PGSTAT_IDLE_INTERVAL), so wait that long after the work. */
async function activeMs(settle: boolean): Promise<number> {
  if (settle) await new Promise((r) => setTimeout(r, 11_000));
  const { rows } = await admin(`SELECT active_time FROM pg_stat_database WHERE datname = '${DATABASE.replace(/'/g, '')}'`);
  return Number((rows[0] as { active_time: number }).active_time);
}

async function clickhouseAnswers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

function recorder(): ThreadPublisher & { posts: SlackMessage[] } {
  const posts: SlackMessage[] = [];
  let n = 0;
  return {
    posts,
    postRoot: async (_c, m) => (posts.push(m), `1.${++n}`),
    updateRoot: async () => undefined,
    postInThread: async (_c, _t, m) => (posts.push(m), `1.${++n}`),
    uploadFile: async () => undefined,
    uploadFiles: async () => undefined,
    threadReplies: async () => [],
    getMessage: async () => null,
  };
}

async function main(): Promise<void> {
  const chUrl = process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
  const withCh = process.env.BENCH_CLICKHOUSE !== '0' && (await clickhouseAnswers(chUrl));
  const env = { ...process.env, CLICKHOUSE_URL: chUrl, DEMO_READONLY_URL: process.env.DEMO_READONLY_URL ?? `postgres://scorecard_bot_ro@127.0.0.1:5432/${DATABASE}` };
  const raw = parseConfig(readFileSync('config/demo.yml', 'utf8'), env);
  const only = process.env.BENCH_CUSTOMERS?.split(',');
  const config = { ...raw, customers: only ? raw.customers.filter((c) => only.includes(c.name)) : raw.customers, clickhouse: withCh ? raw.clickhouse : undefined };
  const ctx = createContext(config, { logger: createLogger({ level: 'silent' }) });
  await admin(`DROP DATABASE IF EXISTS ${OPS_DB} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${OPS_DB}`);
  const pool = new pg.Pool({ connectionString: `${ADMIN}/${OPS_DB}`, max: 2 });
  try {
    await new OpsStore(pool).migrate();
    const publisher = recorder();
    const deps = {
      gap: { sources: ctx.sources, clickhouse: ctx.clickhouse, settings: config.gap, logger: ctx.logger, now: () => NOW },
      store: new AlertStore(pool),
      publisher,
      ops: new OpsStore(pool),
      metrics: null,
      now: () => NOW,
    };
    const customers = ctx.sources.customers.map((c) => c.name);
    const historyMonths = process.env.BENCH_HISTORY_MONTHS ? Number(process.env.BENCH_HISTORY_MONTHS) : undefined;
    const audit = (name: string, only: string[]): WatchAudit => ({
      name,
      every: '1h',
      spread: 'off',
      lookback: 'last-48h',
      customers: only,
      // A channel per audit: the hourly allowance of one must not hide the next one's alerts.
      channel: `C0${name.toUpperCase().replace(/[^A-Z0-9]/g, '')}`,
      historyMonths: historyMonths ?? 0,
      thresholds: { submitted: 0.01, unsubmitted: 0.05, clickhouse: 0 },
      maxAlertsPerHour: 5,
  minMissing: 3,
  confirmAudits: 1,
    });
    console.log(`database ${DATABASE}: watch audit, last 48 h before ${NOW.toISOString()}, ${customers.length} customers, ClickHouse ${withCh ? 'compared' : 'not compared (not answering)'}; months of history scanned with the lookback: ${historyMonths ?? 0}`);
    // Warm-up: connections opened, plans cached (an hourly audit runs warm).
    await runAudit(deps, audit('warmup', customers));
    const all = await runAudit(deps, audit('all', customers));
    console.log(`all customers: ${(all.durationMs / 1000).toFixed(2)} s (${all.announced} alerts announced, ${all.summarised} summarised)`);
    for (const c of all.customers) console.log(`  ${c.customer.padEnd(14)} ${(c.durationMs / 1000).toFixed(2)} s wall${c.error ? `  FAILED: ${c.error}` : ''}`);
    console.log('database time per customer (one-customer audits, pg_stat_database.active_time):');
    let before = await activeMs(true);
    for (const c of customers) {
      const one = await runAudit(deps, audit(`one-${c}`, [c]));
      const after = await activeMs(true);
      console.log(`  ${c.padEnd(14)} ${((after - before) / 1000).toFixed(2)} s database, ${(one.durationMs / 1000).toFixed(2)} s wall`);
      before = after;
    }
  } finally {
    await pool.end();
    await ctx.close();
    await admin(`DROP DATABASE IF EXISTS ${OPS_DB} WITH (FORCE)`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
