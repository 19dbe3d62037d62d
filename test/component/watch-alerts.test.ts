import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type AppContext } from '../../src/platform/read-context.js';
import { OpsStore } from '../../src/ops/ops-store.js';
import { createLogger } from '../../src/shared/logger.js';
import { runAudit, type AuditDeps } from '../../src/watch/audit.js';
import type { WatchAudit } from '../../src/config/watch-schema.js';
import { createDemoDatabase, type DemoDatabase, testPool } from '../support/demo-database.js';
import { startSlackEmulator, type SlackEmulator, type StoredMessage } from '../support/slack-emulator.js';
import { auditDeps } from '../support/audit-deps.js';

// A real audit (gap run in-process over PostgreSQL and ClickHouse) against demo data, with a gap planted in
// historic as the database superuser; Slack emulated. What the channel sees is counted.

const CHANNEL = 'C0ALERTS';
const NOW = new Date('2025-12-10T00:00:00Z'); // rentokil's submitted scorecards are all in historic here
const WINDOW = { from: '2025-12-08T00:00:00Z', to: '2025-12-10T00:00:00Z' };

let demo: DemoDatabase;
let slack: SlackEmulator;
let ctx: AppContext;
let admin: pg.Client;
let pool: pg.Pool;
let deps: AuditDeps;
const audit: WatchAudit = {
  name: 'hourly',
  every: '1h',
  spread: 'off',
  lookback: 'last-48h',
  customers: ['rentokil'],
  channel: CHANNEL,
  thresholds: { submitted: 0.01, unsubmitted: 0.05, clickhouse: 0 },
  maxAlertsPerHour: 5,
  minMissing: 3,
  confirmAudits: 1, // confirmation has its own tests (watch-problems.test.ts)
  historyMonths: 0,
};

beforeAll(async () => {
  demo = await createDemoDatabase({ scale: 0.002, seed: 11, customers: ['rentokil'], from: '2025-11-01', to: '2025-12-15' });
  slack = await startSlackEmulator();
  const config = demo.config({ gap: { statementTimeoutMs: 30_000, concurrency: 4, historyMonths: 1, windowAttempts: 2, retryBackoffMs: 50 } });
  ctx = createContext(config, { logger: createLogger({ level: 'silent' }) });
  admin = new pg.Client({ connectionString: demo.adminUrl });
  await admin.connect();
  pool = testPool(demo.adminUrl, 3);
  const ops = new OpsStore(pool);
  await ops.migrate();
  deps = auditDeps({ read: ctx, settings: config.gap, pool, ops, slackApiUrl: slack.apiUrl, now: () => NOW });
  await admin.query('CREATE TABLE public.planted (LIKE historic.scorecard_scores)');
}, 240_000);

afterAll(async () => {
  await admin?.end();
  await pool?.end();
  await ctx?.close();
  await slack?.close();
  await demo?.drop();
});

/**
 * The audit's settle cutoff (NOW minus gap.settleMinutes). The demo data was loaded for the whole of Dec and Jan, so
 * it holds submissions after NOW: at NOW those are in flight, not judged. Gaps are planted among settled scorecards.
 */
const SETTLED_BEFORE = new Date(NOW.getTime() - 30 * 60_000);

/** Removes every historic row of `n` more submitted (or unsubmitted) settled rentokil scorecards created in the audited 48 hours. */
async function plant(n: number, submitted = true): Promise<void> {
  const { rows } = await admin.query(
    `SELECT DISTINCT scorecard_id FROM historic.scorecard_scores
     WHERE customer_id = 'rentokil' AND (scorecard_submitted_at IS NOT NULL) = $4 AND scorecard_created_at >= $1 AND scorecard_created_at < $2
       AND scorecard_created_at < $5 AND (scorecard_submitted_at IS NULL OR scorecard_submitted_at < $5)
     ORDER BY scorecard_id LIMIT $3`,
    [WINDOW.from, WINDOW.to, n, submitted, SETTLED_BEFORE],
  );
  const ids = rows.map((r: { scorecard_id: string }) => r.scorecard_id);
  expect(ids).toHaveLength(n);
  await admin.query(`INSERT INTO public.planted SELECT * FROM historic.scorecard_scores WHERE customer_id = 'rentokil' AND scorecard_id = ANY($1)`, [ids]);
  await admin.query(`DELETE FROM historic.scorecard_scores WHERE customer_id = 'rentokil' AND scorecard_id = ANY($1)`, [ids]);
}

async function submittedInWindow(): Promise<number> {
  const { rows } = await admin.query(
    `SELECT count(*)::int AS n FROM director.scorecards WHERE customer = 'rentokil' AND submitted_at IS NOT NULL AND calibrated_scorecard_id IS NULL
       AND coalesce(scorecard_type, 0) = 0 AND created_at >= $1 AND created_at < $2 AND created_at < $3 AND submitted_at < $3`,
    [WINDOW.from, WINDOW.to, SETTLED_BEFORE],
  );
  return (rows[0] as { n: number }).n;
}

const roots = (): StoredMessage[] => slack.messages(CHANNEL).filter((m) => !m.thread_ts || m.thread_ts === m.ts);
const textOf = (m: StoredMessage): string => (m.text ?? '') + JSON.stringify(m.blocks ?? []);

describe('watchdog alerts', () => {
  it('a clean audit posts nothing; a planted gap raises exactly one alert; a second audit does not repeat it', async () => {
    const clean = await runAudit(deps, audit);
    expect(clean.customers[0]?.error).toBeNull();
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);

    const total = await submittedInWindow();
    expect(total).toBeGreaterThan(100);
    await plant(30);
    const first = await runAudit(deps, audit);
    expect(first.announced).toBe(1);
    const posted = roots();
    expect(posted).toHaveLength(1);
    const alert = posted[0]!;
    // What, since when, how many: the planted 30 of the window's submitted scorecards.
    expect(alert.text).toContain('rentokil submitted: missing from historic since 2025-12-08');
    expect(alert.text).toContain(`30 of ${total.toLocaleString('en-US')}`);
    const buttons = (alert.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]).find((b) => b.type === 'actions')?.elements ?? [];
    expect(buttons.map((b) => b.action_id)).toEqual(['watch_full_report', 'backfill_request']);
    // The Request backfill button names a gap run record in this channel, whose thread is the alert's.
    const runId = (JSON.parse(buttons[1]!.value) as { runId: string }).runId;
    const run = await new OpsStore(pool).getRun(runId);
    expect(run).toMatchObject({ customer: 'rentokil', channel: CHANNEL, rootTs: alert.ts });

    const again = await runAudit(deps, audit);
    expect(again.announced).toBe(0);
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM scorecard_bot.watch_alerts`);
    expect(rows[0]).toEqual({ n: 1 });
  }, 180_000);

  it('a worse gap posts one follow-up in the alert thread, and only once', async () => {
    const alert = roots()[0]!;
    await plant(35); // 65 missing: more than twice the 30 announced
    await runAudit(deps, audit);
    let replies = slack.threadReplies(CHANNEL, alert.ts);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text).toMatch(/^Worse: rentokil submitted: 65 of [\d,]+ missing now .* was 30 when last told\.$/);
    await runAudit(deps, audit);
    replies = slack.threadReplies(CHANNEL, alert.ts);
    expect(replies).toHaveLength(1);
    expect(roots()).toHaveLength(1);
  }, 180_000);

  it('re-inserting the rows posts one resolution in the thread', async () => {
    const alert = roots()[0]!;
    await admin.query('INSERT INTO historic.scorecard_scores SELECT * FROM public.planted');
    await runAudit(deps, audit);
    const replies = slack.threadReplies(CHANNEL, alert.ts);
    expect(replies).toHaveLength(2);
    expect(replies[1]!.text).toMatch(/^rentokil submitted: 0 missing since \d{4}-\d{2}-\d{2} \(last 48 hours .*\); resolved\.$/);
    await runAudit(deps, audit);
    expect(slack.threadReplies(CHANNEL, alert.ts)).toHaveLength(2);
    expect(roots()).toHaveLength(1);
    const { rows } = await admin.query(`SELECT status FROM scorecard_bot.watch_alerts`);
    expect(rows).toEqual([{ status: 'resolved' }]);
    expect(textOf(alert)).not.toContain('undefined');
  }, 180_000);

  it('quiet hours hold new alerts until the first audit after; over the hourly allowance they are summarised in one message', async () => {
    await admin.query('TRUNCATE public.planted');
    await plant(30);
    await plant(30, false);
    const night: WatchAudit = { ...audit, name: 'night', channel: 'C0NIGHT', quietHours: { from: '00:00', to: '00:30' }, maxAlertsPerHour: 1 };
    const at = (iso: string): AuditDeps => ({ ...deps, now: () => new Date(iso), gap: { ...deps.gap, now: () => new Date(iso) } });
    const quiet = await runAudit(at('2025-12-10T00:10:00Z'), night);
    expect(quiet.customers[0]!.opened).toBe(2);
    expect(slack.messages('C0NIGHT')).toHaveLength(0);
    // 00:45: same lookback (it ends at the hour), no longer quiet: one alert alone, the other in a summary.
    const after = await runAudit(at('2025-12-10T00:45:00Z'), night);
    expect([after.announced, after.summarised]).toEqual([1, 1]);
    const posted = slack.messages('C0NIGHT');
    expect(posted).toHaveLength(2);
    expect(posted[0]!.text).toMatch(/^rentokil submitted: missing from historic since/);
    expect(posted[1]!.text).toBe('1 more alert');
    expect(JSON.stringify(posted[1]!.blocks)).toContain('rentokil unsubmitted: missing from historic since');
    await runAudit(at('2025-12-10T00:50:00Z'), night);
    expect(slack.messages('C0NIGHT')).toHaveLength(2);
  }, 180_000);

  it('an alert whose post failed is announced by the next audit, once', async () => {
    const retry: WatchAudit = { ...audit, name: 'retry', channel: 'C0RETRY', maxAlertsPerHour: 10 };
    slack.failNext('chat.postMessage', 'internal_error');
    await expect(runAudit(deps, retry)).rejects.toThrow(/internal_error/);
    expect(slack.messages('C0RETRY')).toHaveLength(0);
    const next = await runAudit(deps, retry);
    expect(next.announced).toBe(2); // the planted submitted and unsubmitted gaps, still there
    await runAudit(deps, retry);
    expect(slack.messages('C0RETRY').map((m) => m.text?.split(':')[0])).toEqual(['rentokil submitted', 'rentokil unsubmitted']);
  }, 180_000);
});

