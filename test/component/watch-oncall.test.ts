import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import type { WatchAudit } from '../../src/config/watch-schema.js';
import { createServeContext, type ServeContext } from '../../src/main.js';
import { OpsStore } from '../../src/ops/ops-store.js';
import { createLogger } from '../../src/shared/logger.js';
import { runAudit, type AuditDeps } from '../../src/watch/audit.js';
import { createDemoDatabase, type DemoDatabase, testPool } from '../support/demo-database.js';
import { startSlackEmulator, type SlackEmulator, type StoredMessage } from '../support/slack-emulator.js';
import { blockActionPayload, interactionBody, openHomeTab, postSigned } from '../support/slack-requests.js';
import { auditDeps } from '../support/audit-deps.js';

// On-call around the watchdog's alerts, end to end: real audits (gap runs over PostgreSQL and ClickHouse) against
// demo data with gaps planted as the database superuser, a real `serve` (Bolt over HTTP, signed clicks) and Slack
// emulated. The audits and the serve share one clock, moved by the test. What each channel shows is asserted.

const SECRET = 'oncall-signing-secret';
const NOW = Date.parse('2025-12-10T00:00:00Z');
const [ALICE, BOB, OWNER, MALLORY] = ['U0ALICE', 'U0BOB', 'U0OWNER', 'U0MALLORY'];
const GROUP = 'S0ONCALL';
const MENTIONS = `<@${OWNER}> <!subteam^${GROUP}>`;
/** Planted gaps: settled rentokil scorecards of a window every audit below looks at. */
const PLANT = { from: '2025-12-08T03:00:00Z', to: '2025-12-09T22:00:00Z' };

let clock = new Date(NOW);
const at = (minutes: number): Date => (clock = new Date(NOW + minutes * 60_000));

let demo: DemoDatabase;
let slack: SlackEmulator;
let serve: ServeContext;
let admin: pg.Client;
let pool: pg.Pool;
let deps: AuditDeps;
let url: string;

const audit = (name: string, channel: string, extra: Partial<WatchAudit> = {}): WatchAudit => ({
  name,
  every: '1h',
  spread: 'off',
  lookback: 'last-48h',
  customers: ['rentokil'],
  channel,
  thresholds: { submitted: 0.01, unsubmitted: 0.05, clickhouse: 0 },
  maxAlertsPerHour: 5,
  minMissing: 3,
  confirmAudits: 1,
  historyMonths: 0,
  ...extra,
});
/** Snooze and follow-ups, escalation in the thread (2 h), resolution. */
const A = audit('oncall', 'C0ONCALL', { escalateAfter: '2h' });
/** Acknowledge, and no escalation after it (1 h). */
const B = audit('acks', 'C0ACKS', { escalateAfter: '1h' });
/** Escalation to another channel (1 h). */
const C = audit('paged', 'C0PAGED', { escalateAfter: '1h', escalationChannel: 'C0PAGE' });
/** Two audits of one channel allowed one alert an hour: the second's alert is summarised. */
const S1 = audit('sum-first', 'C0SUM', { maxAlertsPerHour: 1 });
const S2 = audit('sum', 'C0SUM', { maxAlertsPerHour: 1 });

beforeAll(async () => {
  demo = await createDemoDatabase({ scale: 0.002, seed: 11, customers: ['rentokil'], from: '2025-11-01', to: '2025-12-15' });
  slack = await startSlackEmulator();
  slack.setChannelMembers('C0ONCALL', [ALICE, OWNER]);
  slack.setChannelMembers('C0ACKS', [ALICE, BOB]);
  slack.setChannelMembers('C0PAGED', [ALICE]);
  slack.setChannelMembers('C0SUM', [ALICE]);
  const config: Config = demo.config({
    gap: { statementTimeoutMs: 30_000, concurrency: 4, historyMonths: 1, windowAttempts: 2, retryBackoffMs: 50 },
    // The demo customers are in cluster us-east-1-prod: its owners are theirs.
    clusters: { 'us-east-1-prod': { owners: { users: [OWNER], userGroups: [GROUP] } } },
    slack: { mode: 'http', botToken: 'xoxb-test', signingSecret: SECRET, port: 0, apiUrl: slack.apiUrl, allowedChannels: ['C0ONCALL', 'C0ACKS', 'C0PAGED', 'C0PAGE', 'C0SUM'] },
    watch: [A, B, C, S1, S2].map(({ name, channel, escalateAfter, escalationChannel }) => ({ name, every: '1h', channel, customers: ['rentokil'], escalateAfter, ...(escalationChannel ? { escalationChannel } : {}) })),
  });
  expect(config.customers[0]!.owners).toEqual({ users: [OWNER], userGroups: [GROUP] });
  // This serve answers clicks only; the test runs the audits itself, on the same clock.
  serve = await createServeContext(config, { listen: true, workers: false, watchNow: () => clock, logger: createLogger({ level: 'silent' }) });
  url = `http://127.0.0.1:${await serve.start()}/slack/events`;
  admin = new pg.Client({ connectionString: demo.adminUrl });
  await admin.connect();
  pool = testPool(demo.adminUrl, 3);
  const ops = new OpsStore(pool);
  await ops.migrate();
  deps = auditDeps({ read: serve, settings: config.gap, pool, ops, slackApiUrl: slack.apiUrl, now: () => clock });
  await admin.query('CREATE TABLE public.planted (LIKE historic.scorecard_scores)');
}, 240_000);

afterAll(async () => {
  await admin?.end();
  await pool?.end();
  await serve?.close();
  await slack?.close();
  await demo?.drop();
});

/** Removes every historic row of `n` more settled submitted rentokil scorecards created in PLANT. */
async function plant(n: number): Promise<void> {
  const { rows } = await admin.query(
    `SELECT DISTINCT scorecard_id FROM historic.scorecard_scores
     WHERE customer_id = 'rentokil' AND scorecard_submitted_at IS NOT NULL AND scorecard_created_at >= $1 AND scorecard_created_at < $2
       AND scorecard_submitted_at < $2 ORDER BY scorecard_id LIMIT $3`,
    [PLANT.from, PLANT.to, n],
  );
  expect(rows).toHaveLength(n);
  const ids = rows.map((r: { scorecard_id: string }) => r.scorecard_id);
  await admin.query(`INSERT INTO public.planted SELECT * FROM historic.scorecard_scores WHERE customer_id = 'rentokil' AND scorecard_id = ANY($1)`, [ids]);
  await admin.query(`DELETE FROM historic.scorecard_scores WHERE customer_id = 'rentokil' AND scorecard_id = ANY($1)`, [ids]);
}

async function restore(): Promise<void> {
  await admin.query('INSERT INTO historic.scorecard_scores SELECT * FROM public.planted');
  await admin.query('TRUNCATE public.planted');
}

const roots = (channel: string): StoredMessage[] => slack.messages(channel).filter((m) => !m.thread_ts || m.thread_ts === m.ts);
const rootOf = (channel: string): StoredMessage => {
  const r = roots(channel);
  expect(r).toHaveLength(1);
  return r[0]!;
};
const textOf = (m: { text?: string; blocks?: unknown[] }): string => (m.text ?? '') + JSON.stringify(m.blocks ?? []);
const replies = (channel: string): StoredMessage[] => slack.threadReplies(channel, rootOf(channel).ts);
const row = async (audit: string): Promise<Record<string, unknown>> =>
  (await admin.query(`SELECT id, status, summary_ts, acked_by, acked_at, snoozed_by, snoozed_until, snoozed_until_resolved, escalated_at FROM scorecard_bot.watch_alerts WHERE audit = $1`, [audit])).rows[0];

function controlsOf(m: StoredMessage): { ack: string; snooze: string[] } {
  const block = (m.blocks as { block_id?: string; elements?: { action_id: string; value?: string; options?: { value: string }[] }[] }[]).find((b) => b.block_id === 'watch_oncall');
  const ack = block?.elements?.find((e) => e.action_id === 'watch_ack')?.value;
  const snooze = block?.elements?.find((e) => e.action_id === 'watch_snooze')?.options?.map((o) => o.value);
  if (!ack || !snooze) throw new Error(`no on-call controls on ${textOf(m)}`);
  return { ack, snooze };
}

/** A signed click on the alert's Acknowledge button, or a choice in its Snooze menu. */
async function click(channel: string, user: string, what: 'ack' | '1h' | '4h' | '24h' | 'resolved'): Promise<void> {
  const root = rootOf(channel);
  const { ack, snooze } = controlsOf(root);
  const payload = blockActionPayload({ actionId: 'watch_ack', value: ack, user, channel, messageTs: root.ts, responseUrl: slack.responseUrl(`${user}-${what}`) });
  if (what !== 'ack') {
    const value = snooze.find((v) => v.endsWith(` ${what}`))!;
    payload.actions = [{ action_id: 'watch_snooze', block_id: 'watch_oncall', type: 'static_select', selected_option: { value, text: { type: 'plain_text', text: what } }, action_ts: '1' }];
  }
  const res = await postSigned(url, SECRET, interactionBody(payload));
  expect(res.status).toBe(200);
}

const ephemeralTo = (user: string, channel: string, pattern: RegExp) =>
  slack.waitFor(() => slack.ephemerals.find((e) => e.user === user && e.channel === channel && pattern.test(textOf(e))), 20_000);

describe('owners, acknowledge, snooze and escalation', () => {
  it("an alert's first post mentions the owners (the cluster's) and carries Acknowledge and Snooze", async () => {
    await plant(30);
    for (const a of [A, B, C]) expect((await runAudit(deps, a)).announced).toBe(1);
    for (const channel of ['C0ONCALL', 'C0ACKS', 'C0PAGED']) {
      const alert = rootOf(channel);
      expect(alert.text).toMatch(/^rentokil submitted: missing from historic since 2025-12-0\d: 30 of [\d,]+ \([\d.]+%\) missing · <@U0OWNER> <!subteam\^S0ONCALL>$/);
      expect(JSON.stringify(alert.blocks)).toContain(`Owners: ${MENTIONS}`);
      expect(controlsOf(alert).snooze.map((v) => v.split(' ')[1])).toEqual(['1h', '4h', '24h', 'resolved']);
    }
  }, 180_000);

  it("a non-member of the alert's channel is refused, in the alert's thread, and nothing is recorded", async () => {
    at(2);
    const alert = rootOf('C0ONCALL');
    await click('C0ONCALL', MALLORY, 'ack');
    const refusal = await ephemeralTo(MALLORY, 'C0ONCALL', /Only members of this channel/);
    expect(refusal.thread_ts).toBe(alert.ts);
    await click('C0ONCALL', MALLORY, '24h');
    const both = await slack.waitFor(() => {
      const got = slack.ephemerals.filter((e) => e.user === MALLORY);
      return got.length === 2 ? got : null;
    }, 20_000);
    for (const e of both) expect([e.thread_ts, /Only members of this channel/.test(textOf(e))]).toEqual([alert.ts, true]);
    expect(await row('oncall')).toMatchObject({ acked_by: null, snoozed_by: null });
    expect(rootOf('C0ONCALL').edited).toBeUndefined();
  });

  it('two acknowledgements at once record one; the alert says who and when; escalation stops', async () => {
    at(5);
    await Promise.all([click('C0ACKS', ALICE, 'ack'), click('C0ACKS', BOB, 'ack')]);
    const edited = await slack.waitFor(() => (rootOf('C0ACKS').edited ? rootOf('C0ACKS') : null), 20_000);
    const r = await row('acks');
    expect([ALICE, BOB]).toContain(r.acked_by);
    expect((r.acked_at as Date).toISOString()).toBe('2025-12-10T00:05:00.000Z');
    expect(JSON.stringify(edited.blocks)).toContain(`Acknowledged by <@${String(r.acked_by)}> 00:05 UTC`);
    const other = r.acked_by === ALICE ? BOB : ALICE;
    const told = await ephemeralTo(other, 'C0ACKS', /acknowledged already, by/);
    expect(textOf(told)).toContain(`<@${String(r.acked_by)}>`);
    expect(told.thread_ts).toBe(edited.ts);
    // Past escalateAfter (1 h), still open: no escalation, since someone is on it.
    at(90);
    await runAudit(deps, B);
    expect(replies('C0ACKS').filter((m) => /still open/.test(textOf(m)))).toEqual([]);
    expect((await row('acks')).escalated_at).toBeNull();
  }, 120_000);

  it('escalates once, to the escalation channel with a link to the alert, after escalateAfter', async () => {
    at(30);
    await runAudit(deps, C);
    expect(slack.messages('C0PAGE')).toHaveLength(0);
    at(65);
    await runAudit(deps, C);
    const alert = rootOf('C0PAGED');
    const paged = slack.messages('C0PAGE');
    expect(paged).toHaveLength(1);
    expect(paged[0]!.text).toMatch(/^<@U0OWNER> <!subteam\^S0ONCALL> rentokil submitted: missing from historic is still open after 1 h and nobody has acknowledged it: 30 of [\d,]+ /);
    expect(paged[0]!.text).toContain(`https://slack.com/archives/C0PAGED/p${alert.ts.replace('.', '')}`);
    expect(replies('C0PAGED')).toEqual([]);
    at(75);
    await runAudit(deps, C);
    expect(slack.messages('C0PAGE')).toHaveLength(1);
  }, 120_000);

  it('a snooze holds a follow-up until it ends; the alert and the Home tab show it', async () => {
    at(5);
    await click('C0ONCALL', ALICE, '1h');
    const edited = await slack.waitFor(() => (rootOf('C0ONCALL').edited ? rootOf('C0ONCALL') : null), 20_000);
    expect(JSON.stringify(edited.blocks)).toContain('Snoozed until 2025-12-10 01:05 UTC by <@U0ALICE>');
    expect((await row('oncall')).snoozed_by).toBe(ALICE);
    // The same choice again changes nothing (a snooze only grows), and says so.
    await click('C0ONCALL', OWNER, '1h');
    await ephemeralTo(OWNER, 'C0ONCALL', /snoozed until 2025-12-10 01:05 UTC already/);
    await plant(35); // 65 missing: twice the 30 told
    at(30);
    await runAudit(deps, A);
    expect(replies('C0ONCALL')).toEqual([]);
    // The board shows it.
    const view = await homeOf(ALICE);
    expect(view).toContain('snoozed until 2025-12-10 01:05 UTC by <@U0ALICE>');
    at(70);
    await runAudit(deps, A);
    const after = replies('C0ONCALL');
    expect(after).toHaveLength(1);
    expect(after[0]!.text).toMatch(/^Worse: rentokil submitted: 65 of [\d,]+ missing now .* was 30 when last told\.$/);
    expect(textOf(after[0]!)).not.toMatch(/<@|subteam/);
  }, 180_000);

  it("escalates once in the alert's thread after escalateAfter, mentioning the owners", async () => {
    at(110);
    await runAudit(deps, A);
    expect(replies('C0ONCALL').filter((m) => /still open/.test(textOf(m)))).toEqual([]);
    at(125);
    await runAudit(deps, A);
    const escalations = replies('C0ONCALL').filter((m) => /still open/.test(textOf(m)));
    expect(escalations).toHaveLength(1);
    expect(escalations[0]!.text).toMatch(/^<@U0OWNER> <!subteam\^S0ONCALL> rentokil submitted: missing from historic is still open after 2 h and nobody has acknowledged it: 65 of /);
    at(135);
    await runAudit(deps, A);
    expect(replies('C0ONCALL').filter((m) => /still open/.test(textOf(m)))).toHaveLength(1);
  }, 180_000);

  it('snoozed until resolved: a worse gap says nothing, the resolution still posts', async () => {
    at(140);
    await click('C0ONCALL', OWNER, 'resolved');
    await slack.waitFor(() => /Snoozed until resolved by <@U0OWNER>/.test(JSON.stringify(rootOf('C0ONCALL').blocks)), 20_000);
    expect((await row('oncall')).snoozed_until_resolved).toBe(true);
    const before = replies('C0ONCALL').length;
    await plant(65); // 130: twice the 65 told
    at(150);
    await runAudit(deps, A);
    expect(replies('C0ONCALL')).toHaveLength(before);
    await restore();
    at(160);
    await runAudit(deps, A);
    const last = replies('C0ONCALL');
    expect(last).toHaveLength(before + 1);
    expect(last.at(-1)!.text).toMatch(/^rentokil submitted: 0 missing since .*; resolved\.$/);
    expect(textOf(last.at(-1)!)).not.toMatch(/<@|subteam/);
    expect((await row('oncall')).status).toBe('resolved');
  }, 180_000);
});

describe('a summarised alert', () => {
  it('the summary mentions the owners and has a menu per alert; Acknowledge there records it and edits the summary', async () => {
    await plant(30);
    at(200);
    expect((await runAudit(deps, S1)).announced).toBe(1);
    expect((await runAudit(deps, S2)).summarised).toBe(1);
    const summary = slack.messages('C0SUM')[1]!;
    expect(summary.text).toBe(`1 more alert · ${MENTIONS}`);
    const r = await row('sum');
    expect(r.summary_ts).toBe(summary.ts);
    const menu = (summary.blocks as { block_id?: string; elements?: { action_id: string; options: { value: string }[] }[] }[]).find((b) => b.block_id === 'watch_oncall')!.elements![0]!;
    expect(menu.action_id).toBe(`watch_oncall_menu_${String(r.id)}`);
    const payload = blockActionPayload({ actionId: menu.action_id, value: '', user: ALICE, channel: 'C0SUM', messageTs: summary.ts, responseUrl: slack.responseUrl('sum-ack') });
    payload.actions = [{ action_id: menu.action_id, block_id: 'watch_oncall', type: 'static_select', selected_option: { value: `${String(r.id)} ack`, text: { type: 'plain_text', text: 'Acknowledge' } }, action_ts: '1' }];
    expect((await postSigned(url, SECRET, interactionBody(payload))).status).toBe(200);
    const edited = await slack.waitFor(() => (slack.messages('C0SUM')[1]!.edited ? slack.messages('C0SUM')[1]! : null), 20_000);
    expect(JSON.stringify(edited.blocks)).toContain('rentokil submitted: acknowledged by <@U0ALICE> 03:20 UTC');
    expect((await row('sum')).acked_by).toBe(ALICE);
    // The alert posted alone in the channel is untouched.
    expect(slack.messages('C0SUM')[0]!.edited).toBeUndefined();
  }, 180_000);
});

/** The Home tab a user gets on app_home_opened (signed event). */
async function homeOf(user: string): Promise<string> {
  return JSON.stringify(await openHomeTab(slack, url, SECRET, user));
}
