import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import type { WatchAudit } from '../../src/config/watch-schema.js';
import { OpsStore } from '../../src/ops/ops-store.js';
import { createContext, type AppContext } from '../../src/platform/read-context.js';
import { createLogger } from '../../src/shared/logger.js';
import { runAudit, type AuditDeps } from '../../src/watch/audit.js';
import { spreadOffsets } from '../../src/watch/spread.js';
import { refreshAuditGauges } from '../../src/watch/watch-runtime.js';
import { createDemoDatabase, type DemoDatabase, testPool } from '../support/demo-database.js';
import { parsePrometheusText } from '../support/prom-text.js';
import { startSlackEmulator, type SlackEmulator } from '../support/slack-emulator.js';
import { auditDeps } from '../support/audit-deps.js';

// The watchdog at fleet size: one audit over 300 configured customers on one PostgreSQL server (rentokil with data,
// 299 without), within the server's connection budget, with bounded /metrics series; and an audit whose customers'
// starts are spread over its schedule.

const CHANNEL = 'C0FLEET';
const NOW = new Date('2025-12-10T00:00:00Z');
const EMPTY = 299;
const BUDGET = 4;

let demo: DemoDatabase;
let slack: SlackEmulator;
let ctx: AppContext;
let pool: pg.Pool;
let watcher: pg.Client;
let deps: AuditDeps;
let config: Config;
const names = ['rentokil', ...Array.from({ length: EMPTY }, (_, i) => `tenant${String(i + 1).padStart(3, '0')}`)];

const audit = (over: Partial<WatchAudit>): WatchAudit => ({
  name: 'fleet',
  every: '1h',
  spread: 'off',
  lookback: 'last-48h',
  customers: [],
  channel: CHANNEL,
  thresholds: { submitted: 0.01, unsubmitted: 0.05, clickhouse: 0 },
  maxAlertsPerHour: 5,
  minMissing: 3,
  confirmAudits: 1,
  historyMonths: 0,
  ...over,
});

beforeAll(async () => {
  demo = await createDemoDatabase({ scale: 0.002, seed: 5, customers: ['rentokil'], from: '2025-11-01', to: '2025-12-15' });
  const base = demo.config().customers[0]!;
  // Every customer on the same server (the demo database's), as a cluster's tenants are: one connection budget.
  const customers = names.map((name) => ({ name, profile: base.profile, postgres: { url: (base.postgres as { url: string }).url } }));
  config = demo.config({
    customers,
    postgres: { maxConnectionsPerServer: BUDGET, checkReserve: 1 },
    gap: { statementTimeoutMs: 30_000, concurrency: 4, historyMonths: 1, windowAttempts: 2, retryBackoffMs: 50 },
  });
  slack = await startSlackEmulator();
  ctx = createContext(config, { logger: createLogger({ level: 'silent' }) });
  pool = testPool(demo.adminUrl, 3);
  watcher = new pg.Client({ connectionString: demo.adminUrl });
  await watcher.connect();
  const ops = new OpsStore(pool);
  await ops.migrate();
  deps = auditDeps({ read: ctx, settings: config.gap, pool, ops, slackApiUrl: slack.apiUrl, now: () => NOW });
  // A gap for rentokil to alert on: 25 settled submitted scorecards of the audited 48 hours lose their historic rows.
  await watcher.query(
    `DELETE FROM historic.scorecard_scores WHERE scorecard_id IN (
       SELECT DISTINCT scorecard_id FROM historic.scorecard_scores WHERE customer_id = 'rentokil' AND scorecard_submitted_at IS NOT NULL
         AND scorecard_created_at >= '2025-12-08' AND scorecard_submitted_at < '2025-12-09T23:00:00Z' ORDER BY scorecard_id LIMIT 25)`,
  );
}, 240_000);

afterAll(async () => {
  await watcher?.end();
  await pool?.end();
  await ctx?.close();
  await slack?.close();
  await demo?.drop();
});

describe('the watchdog at fleet size', () => {
  it('audits 300 customers within the server budget: one alert, 299 empty customers, no failure', async () => {
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await watcher.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'scorecard-bot-read' AND datname = current_database()`);
        peak = Math.max(peak, rows[0]!.n);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const outcome = await runAudit(deps, audit({})).finally(() => (sampling = false));
    await sampler;
    expect(outcome.customers).toHaveLength(300);
    expect(outcome.customers.filter((c) => c.error)).toEqual([]);
    expect(outcome.announced).toBe(1);
    expect(slack.messages(CHANNEL).map((m) => m.text?.split(':')[0])).toEqual(['rentokil submitted']);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(BUDGET);
    const { rows } = await watcher.query<{ n: number; empty: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE verdict = 'no_data')::int AS empty FROM scorecard_bot.watch_audits WHERE audit = 'fleet'`,
    );
    expect(rows[0]).toEqual({ n: 300, empty: EMPTY });
  }, 240_000);

  it('/metrics has a bounded number of series per customer, and a customer removed from the config drops out', async () => {
    const metrics = deps.metrics!;
    await refreshAuditGauges(metrics, deps.store, new Set(names));
    const scrape = parsePrometheusText(await metrics.registry.metrics());
    const perCustomer = new Map<string, number>();
    for (const s of scrape.samples) if (s.labels.customer) perCustomer.set(s.labels.customer, (perCustomer.get(s.labels.customer) ?? 0) + 1);
    expect(perCustomer.size).toBe(300);
    // missing{historic,clickhouse} and scorecards{historic} per population (6), open alerts, the last audit time.
    expect(Math.max(...perCustomer.values())).toBe(8);
    // Nothing per customer is a histogram: the duration of a customer's run is by audit.
    expect(scrape.samples.filter((s) => s.name.startsWith('scorecard_bot_customer_audit_duration_seconds') && s.labels.customer)).toEqual([]);
    expect(scrape.value('scorecard_bot_customer_audit_duration_seconds_count', { audit: 'fleet' })).toBe(300);

    await refreshAuditGauges(metrics, deps.store, new Set(names.slice(0, 200)));
    const fewer = parsePrometheusText(await metrics.registry.metrics());
    expect(new Set(fewer.samples.flatMap((s) => (s.labels.customer ? [s.labels.customer] : []))).size).toBe(200);
  }, 60_000);

  it('spreads the starts of an audit over its spread window, and a shutdown stops it between customers', async () => {
    const four = audit({ name: 'spread', spread: '2s', customers: names.slice(0, 4), channel: 'C0SPREAD' });
    const outcome = await runAudit(deps, four);
    const offsets = spreadOffsets(2_000, 4);
    expect(offsets).toEqual([0, 500, 1000, 1500]);
    expect(outcome.customers.map((c) => c.customer)).toEqual(names.slice(0, 4));
    outcome.customers.forEach((c, i) => expect(c.startedAfterMs).toBeGreaterThanOrEqual(offsets[i]!));

    // Aborted while waiting for the second customer's slot: the audit ends with the one customer it ran.
    const stop = new AbortController();
    const waits: number[] = [];
    const stopped = await runAudit(deps, { ...four, spread: '40m' }, {
      signal: stop.signal,
      sleep: async (ms) => {
        waits.push(ms);
        stop.abort();
      },
    });
    expect(stopped.customers.map((c) => c.customer)).toEqual(['rentokil']);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(500_000); // the second of 4 starts 10 minutes in, less the first's run
  }, 120_000);
});
