import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { Queue } from 'bullmq';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WatchAudit } from '../../src/config/watch-schema.js';
import { createMetrics, type BotMetrics } from '../../src/observability/metrics.js';
import { OpsStore } from '../../src/ops/ops-store.js';
import { createContext, type AppContext } from '../../src/platform/read-context.js';
import { createLogger } from '../../src/shared/logger.js';
import { AlertStore } from '../../src/watch/alert-store.js';
import { runAudit, type AuditDeps } from '../../src/watch/audit.js';
import { runDigest, type DigestDeps } from '../../src/watch/digest.js';
import { syncDigestSchedulers } from '../../src/watch/digest-schedules.js';
import { startWatchWorker, WATCH_QUEUE } from '../../src/watch/schedules.js';
import { SilenceStore } from '../../src/watch/silence-store.js';
import { WatchHealthStore } from '../../src/watch/health-store.js';
import { createDemoDatabase, deleteRedisKeys, REDIS_URL, type DemoDatabase, testPool } from '../support/demo-database.js';
import { startSlackEmulator, type SlackEmulator, type StoredMessage } from '../support/slack-emulator.js';
import { auditDeps } from '../support/audit-deps.js';

// Silences and the daily digest against real audits (gap runs over PostgreSQL and ClickHouse), demo data with gaps
// planted as the database superuser, Slack emulated. Every expected count is the number of rows planted. The tests
// run in order, each restoring what it planted.

const NOW = new Date('2025-12-10T00:00:00Z'); // rentokil's scorecards of the 48 hours before are all in historic
const WINDOW = { from: '2025-12-08T00:00:00Z', to: '2025-12-10T00:00:00Z' };
const SETTLED_BEFORE = new Date(NOW.getTime() - 30 * 60_000);
const HOUR = 3_600_000;
const prefix = `watch-silences-${process.pid}`;

let demo: DemoDatabase;
let slack: SlackEmulator;
let ctx: AppContext;
let admin: pg.Client;
let ch: ClickHouseClient;
let pool: pg.Pool;
let store: AlertStore;
let silences: SilenceStore;
let metrics: BotMetrics;
let deps: AuditDeps;

const base: WatchAudit = {
  name: 'base',
  every: '1h',
  spread: 'off',
  lookback: 'last-48h',
  customers: ['rentokil'],
  channel: 'C0BASE',
  thresholds: { submitted: 0.01, unsubmitted: 0.05, clickhouse: 0 },
  maxAlertsPerHour: 5,
  minMissing: 3,
  confirmAudits: 2,
  historyMonths: 0,
};

beforeAll(async () => {
  demo = await createDemoDatabase({ scale: 0.002, seed: 11, customers: ['rentokil', 'nclh'], from: '2025-11-01', to: '2025-12-15' });
  slack = await startSlackEmulator();
  const config = demo.config({ gap: { statementTimeoutMs: 30_000, concurrency: 4, historyMonths: 1, windowAttempts: 2, retryBackoffMs: 50 } });
  ctx = createContext(config, { logger: createLogger({ level: 'silent' }) });
  admin = new pg.Client({ connectionString: demo.adminUrl });
  await admin.connect();
  ch = createClient({ url: demo.clickhouseUrl });
  pool = testPool(demo.adminUrl, 4);
  const ops = new OpsStore(pool);
  await ops.migrate();
  store = new AlertStore(pool);
  silences = new SilenceStore(pool);
  metrics = createMetrics({ defaultMetrics: false });
  deps = { ...auditDeps({ read: ctx, settings: config.gap, pool, ops, store, metrics, slackApiUrl: slack.apiUrl, now: () => NOW }), silences };
  await admin.query('CREATE TABLE public.planted (LIKE historic.scorecard_scores)');
}, 240_000);

afterAll(async () => {
  await admin?.end();
  await ch?.close();
  await pool?.end();
  await ctx?.close();
  await slack?.close();
  await demo?.drop();
  await deleteRedisKeys(`${prefix}*`);
});

/** Removes every historic row of `n` more settled rentokil scorecards of the audited 48 hours (submitted or not). */
async function plant(n: number, submitted = true): Promise<void> {
  const { rows } = await admin.query(
    `SELECT DISTINCT scorecard_id FROM historic.scorecard_scores
     WHERE customer_id = 'rentokil' AND (scorecard_submitted_at IS NOT NULL) = $5 AND scorecard_created_at >= $1 AND scorecard_created_at < $2
       AND scorecard_created_at < $4 AND (scorecard_submitted_at IS NULL OR scorecard_submitted_at < $4)
       AND scorecard_id NOT IN (SELECT scorecard_id FROM public.planted)
     ORDER BY scorecard_id LIMIT $3`,
    [WINDOW.from, WINDOW.to, n, SETTLED_BEFORE, submitted],
  );
  expect(rows).toHaveLength(n);
  const ids = rows.map((r: { scorecard_id: string }) => r.scorecard_id);
  await admin.query(`INSERT INTO public.planted SELECT * FROM historic.scorecard_scores WHERE customer_id = 'rentokil' AND scorecard_id = ANY($1)`, [ids]);
  await admin.query(`DELETE FROM historic.scorecard_scores WHERE customer_id = 'rentokil' AND scorecard_id = ANY($1)`, [ids]);
}

async function restore(): Promise<void> {
  await admin.query(`INSERT INTO historic.scorecard_scores SELECT * FROM public.planted`);
  await admin.query(`DELETE FROM public.planted`);
}

const roots = (channel: string): StoredMessage[] => slack.messages(channel).filter((m) => !m.thread_ts || m.thread_ts === m.ts);
const alertRows = async (audit: string): Promise<{ status: string; missing: number; silenced: boolean }[]> =>
  (await admin.query(`SELECT status, missing, silenced_at IS NOT NULL AS silenced FROM scorecard_bot.watch_alerts WHERE audit = $1 ORDER BY id`, [audit])).rows;
const gauge = async (name: 'missing' | 'openAlerts', labels: Record<string, string>): Promise<number | undefined> =>
  (await metrics[name].get()).values.find((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x))?.value;
const silence = (customer: string) => silences.create({ customer, from: new Date(NOW.getTime() - HOUR), to: new Date(NOW.getTime() + HOUR), reason: 'planned migration', by: 'U0ALICE', channel: 'C0OPS' });

describe('silences', () => {
  it('a silenced problem posts nothing yet is recorded and counted; when the silence ends, ONE message: the alert, saying so', async () => {
    const a = { ...base, name: 'sil', channel: 'C0SIL' };
    const s = await silence('rentokil');
    await plant(30);
    await runAudit(deps, a);
    await runAudit(deps, a);
    expect(slack.messages('C0SIL')).toHaveLength(0);
    expect(await alertRows('sil')).toEqual([{ status: 'open', missing: 30, silenced: true }]);
    expect(await gauge('missing', { customer: 'rentokil', population: 'submitted', tier: 'historic' })).toBe(30);
    expect(await gauge('openAlerts', { customer: 'rentokil' })).toBe(1);

    expect(await silences.end({ id: s.id }, 'U0ALICE', NOW)).toHaveLength(1);
    // Two processes audit at once after the silence: one message between them.
    await Promise.all([runAudit(deps, a), runAudit({ ...deps, store: new AlertStore(pool), silences: new SilenceStore(pool) }, a)]);
    await runAudit(deps, a);
    const posted = slack.messages('C0SIL');
    expect(posted).toHaveLength(1);
    expect(posted[0]!.text).toMatch(/^The silence of rentokil has ended and this problem is still open \(held since .*\)\. rentokil submitted: missing from historic since 2025-12-08: 30 of /);
    expect(slack.threadReplies('C0SIL', posted[0]!.ts)).toHaveLength(0);
    expect(await alertRows('sil')).toEqual([{ status: 'open', missing: 30, silenced: false }]);
    await restore();
    await runAudit(deps, a); // resolved as usual, now that no silence is in force
    expect(slack.threadReplies('C0SIL', posted[0]!.ts).map((m) => m.text)).toEqual([expect.stringMatching(/^rentokil submitted: 0 missing since/)]);
  }, 300_000);

  it('an announced alert under a silence of all: no follow-up, then one line in its thread with the numbers now, no "Worse" after; a resolution under a silence is not posted', async () => {
    const a = { ...base, name: 'sil2', channel: 'C0SIL2', confirmAudits: 1 };
    await plant(30);
    await runAudit(deps, a);
    const [alert] = roots('C0SIL2');
    expect(alert!.text).toContain('30 of ');
    await silence('all');
    await plant(60); // 90: three times what the alert told
    await runAudit(deps, a);
    expect(slack.threadReplies('C0SIL2', alert!.ts)).toHaveLength(0);
    expect(await alertRows('sil2')).toEqual([{ status: 'open', missing: 90, silenced: true }]);

    await silences.end({ customer: 'all' }, 'U0ALICE', NOW);
    await runAudit(deps, a);
    await runAudit(deps, a);
    const replies = slack.threadReplies('C0SIL2', alert!.ts).map((m) => m.text);
    expect(replies).toEqual([expect.stringMatching(/^The silence of rentokil has ended and rentokil submitted is still open: 90 of [\d,]+ missing \(.*\), was 30 when last told\./)]);

    await silence('rentokil');
    await restore();
    await runAudit(deps, a);
    expect(await alertRows('sil2')).toEqual([{ status: 'resolved', missing: 90, silenced: false }]);
    expect(slack.threadReplies('C0SIL2', alert!.ts)).toHaveLength(1);
    expect(roots('C0SIL2')).toHaveLength(1);
    await silences.end({ customer: 'rentokil' }, 'U0ALICE', NOW);
  }, 300_000);
});

describe('a silence confirmed while an audit runs', () => {
  it('holds what that audit still posts about the customer (read after its gap run, not at the audit\'s start)', async () => {
    // Spread over 30 min: the audit sleeps between nclh and rentokil; the silence is created in that pause.
    const a = { ...base, name: 'sil-mid', channel: 'C0SILMID', customers: ['nclh', 'rentokil'], confirmAudits: 1, spread: '30m' };
    await plant(30);
    let id: string | null = null;
    const out = await runAudit(deps, a, { sleep: async () => void (id = (await silence('rentokil')).id) });
    expect(id).not.toBeNull();
    expect(out.customers.map((c) => [c.customer, c.error])).toEqual([['nclh', null], ['rentokil', null]]);
    expect(slack.messages('C0SILMID')).toHaveLength(0);
    expect(await alertRows('sil-mid')).toEqual([{ status: 'open', missing: 30, silenced: true }]);
    await silences.end({ id: id! }, 'U0ALICE', NOW);
    await restore();
    await runAudit(deps, { ...a, spread: 'off' }); // closed without a word: it was never posted
    expect(slack.messages('C0SILMID')).toHaveLength(0);
  }, 120_000);
});

describe('silences and the hourly allowance', () => {
  it('after a silence, the alert posted alone and the one summarised each say so once; no line follows in the summary\'s thread', async () => {
    const a = { ...base, name: 'sil-sum', channel: 'C0SILSUM', confirmAudits: 1, maxAlertsPerHour: 1, thresholds: { submitted: 0.01, unsubmitted: 0.01, clickhouse: 0 } };
    const s = await silence('rentokil');
    await plant(30);
    await plant(30, false);
    await runAudit(deps, a);
    expect(slack.messages('C0SILSUM')).toHaveLength(0);
    expect((await alertRows('sil-sum')).map((r) => r.silenced)).toEqual([true, true]);
    await silences.end({ id: s.id }, 'U0ALICE', NOW);
    await runAudit(deps, a);
    await runAudit(deps, a);
    const posted = roots('C0SILSUM');
    expect(posted.map((m) => m.text)).toEqual([
      expect.stringMatching(/^The silence of rentokil has ended and this problem is still open \(held since .*\)\. rentokil (submitted|unsubmitted): /),
      expect.stringMatching(/^The silence of rentokil has ended and this problem is still open \(held since .*\)\. 1 more alert$/),
    ]);
    expect(slack.threadReplies('C0SILSUM', posted[1]!.ts)).toHaveLength(0);
    expect(slack.threadReplies('C0SILSUM', posted[0]!.ts)).toHaveLength(0);
    await restore();
  }, 300_000);
});

describe('silences and failing audits', () => {
  it('a customer whose audit fails during its silence posts nothing; after the silence, one message if it still fails', async () => {
    const a = { ...base, name: 'sil-fail', channel: 'C0SILFAIL' };
    const withHealth = { ...deps, health: new WatchHealthStore(pool) };
    const s = await silence('rentokil');
    await admin.query('ALTER TABLE director.scorecards RENAME TO scorecards_away');
    try {
      const during = await runAudit(withHealth, a);
      expect(during.customers[0]!.error).not.toBeNull();
      expect(slack.messages('C0SILFAIL')).toHaveLength(0);
      const recorded = await admin.query(`SELECT error FROM scorecard_bot.watch_audits WHERE audit = 'sil-fail' AND customer = 'rentokil'`);
      expect(recorded.rows[0].error).toBeTruthy();
      await silences.end({ id: s.id }, 'U0ALICE', NOW);
      await runAudit(withHealth, a);
      await runAudit(withHealth, a);
      expect(slack.messages('C0SILFAIL').map((m) => m.text)).toEqual([expect.stringMatching(/^Audit of rentokil failed \(audit sil-fail\)/)]);
    } finally {
      await admin.query('ALTER TABLE director.scorecards_away RENAME TO scorecards');
    }
  }, 120_000);
});

describe('the daily digest', () => {
  const daily: WatchAudit = { ...base, name: 'daily', customers: ['rentokil', 'nclh'], channel: 'C0DIGEST', confirmAudits: 1, digest: '09:00' };
  const digestDeps = (now: Date, s = store): DigestDeps => ({ pool, store: s, publisher: deps.publisher, silences, customers: ['rentokil', 'nclh'], logger: ctx.logger, now: () => now });

  it('posts once per day, with the open problems and the healthy customers, however often and by however many it is triggered', async () => {
    await plant(30);
    const audit = await runAudit(deps, daily);
    expect(audit.customers.map((c) => [c.customer, c.error])).toEqual([['rentokil', null], ['nclh', null]]);
    const [alert] = roots('C0DIGEST');
    expect(alert!.text).toContain('rentokil submitted');
    // Ground truth for "healthy": nclh's audit opened nothing.
    expect((await admin.query(`SELECT count(*)::int AS n FROM scorecard_bot.watch_alerts WHERE audit = 'daily' AND customer = 'nclh'`)).rows[0].n).toBe(0);

    const nine = new Date('2025-12-10T09:00:00Z');
    const outcomes = await Promise.all([runDigest(digestDeps(nine), daily), runDigest(digestDeps(nine, new AlertStore(pool)), daily)]);
    outcomes.push(await runDigest(digestDeps(new Date('2025-12-10T09:00:30Z')), daily)); // a retry
    expect(outcomes.filter((o) => o.posted)).toHaveLength(1);
    const posted = roots('C0DIGEST');
    expect(posted).toHaveLength(2);
    const digest = posted[1]!;
    expect(digest.text).toBe('Daily digest of daily, 2025-12-10: 1 open problem, 1 healthy customer');
    const body = JSON.stringify(digest.blocks);
    expect(body).toContain(`<https://slack.com/archives/C0DIGEST/p${alert!.ts.replace('.', '')}|rentokil submitted>`);
    expect(body).toMatch(/since 2025-12-08: 30 of [\d,]+ missing \([\d.]+%\) · not acknowledged/);
    expect(body).toContain('*Healthy:* nclh');
    const { rows } = await admin.query(`SELECT day::text, posted_ts FROM scorecard_bot.watch_digests WHERE audit = 'daily'`);
    expect(rows).toEqual([{ day: '2025-12-10', posted_ts: digest.ts }]);
  }, 300_000);

  it('the next day through the BullMQ worker: two workers, the job delivered twice, one post; the scheduler is a daily UTC cron', async () => {
    const queue = new Queue(WATCH_QUEUE, { connection: { url: REDIS_URL }, prefix });
    const next = new Date('2025-12-11T09:00:00Z');
    const settings = { connection: { url: REDIS_URL }, prefix };
    const digest = (audit: WatchAudit) => runDigest(digestDeps(next), audit);
    const workers = [startWatchWorker(deps, [daily], settings, { digest }), startWatchWorker({ ...deps, store: new AlertStore(pool) }, [daily], settings, { digest })];
    try {
      await syncDigestSchedulers(queue, [daily], ctx.logger);
      const schedulers = await queue.getJobSchedulers(0, -1);
      expect(schedulers.find((s) => s.key === 'digest:daily')).toMatchObject({ pattern: '0 9 * * *', tz: 'UTC' });
      const before = roots('C0DIGEST').length;
      const jobs = [await queue.add('digest', { audit: 'daily' }), await queue.add('digest', { audit: 'daily' })];
      const results = await Promise.all(jobs.map(async (j) => {
        for (let i = 0; i < 200; i++) {
          const job = await queue.getJob(j.id!);
          if (job && (await job.isCompleted())) return job.returnvalue as { posted: boolean };
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`job ${j.id} did not complete`);
      }));
      expect(results.map((r) => r.posted).sort()).toEqual([false, true]);
      expect(roots('C0DIGEST')).toHaveLength(before + 1);
      expect(roots('C0DIGEST').at(-1)!.text).toBe('Daily digest of daily, 2025-12-11: 1 open problem, 1 healthy customer');
      // An audit without a digest any more loses its scheduler at the next start.
      expect(await syncDigestSchedulers(queue, [{ ...daily, digest: undefined }], ctx.logger)).toEqual(['digest:daily']);
    } finally {
      for (const w of workers) await w.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    }
  }, 120_000);

  it('names who acknowledged a problem (the Acknowledge button\'s record)', async () => {
    await admin.query(`UPDATE scorecard_bot.watch_alerts SET acked_by = 'U0BOB', acked_at = now() WHERE audit = 'daily' AND status = 'open'`);
    const out = await runDigest(digestDeps(new Date('2025-12-12T09:00:00Z')), daily);
    expect(out.posted).toBe(true);
    expect(JSON.stringify(roots('C0DIGEST').at(-1)!.blocks)).toContain('· acknowledged by <@U0BOB>');
    await restore();
  }, 60_000);
});
