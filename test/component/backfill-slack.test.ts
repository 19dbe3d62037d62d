import { Queue } from 'bullmq';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebClient } from '@slack/web-api';
import { planSlackReporter } from '../../src/backfill/plan-slack-reporter.js';
import { BACKFILL_QUEUE, startPlanWorker } from '../../src/backfill/processor.js';
import { BackfillService } from '../../src/backfill/service.js';
import { BackfillStore } from '../../src/backfill/store.js';
import { createContext } from '../../src/platform/read-context.js';
import { ConnectionUrlResolver } from '../../src/sources/connection-url.js';
import { webClientPublisher } from '../../src/slack/thread-publisher.js';
import type { Config } from '../../src/config/schema.js';
import { createServeContext, type ServeContext } from '../../src/main.js';
import { parsePrometheusText } from '../support/prom-text.js';
import { createLogger } from '../../src/shared/logger.js';
import { createDemoDatabase, REDIS_URL, type DemoDatabase, testPool } from '../support/demo-database.js';
import { startSlackEmulator, type SlackEmulator, type StoredMessage } from '../support/slack-emulator.js';
import { blockActionPayload, interactionBody, postSigned, slashCommandBody } from '../support/slack-requests.js';
import {
  ALICE,
  answer,
  answersTo,
  auditActions,
  BOB,
  buttonsOf,
  CAROL,
  CHANNEL,
  CHUNK,
  click,
  current,
  env,
  fmt,
  gapRun,
  GRACE,
  GROUP,
  headline,
  historicRows,
  jobCount,
  newPlan,
  nextId,
  plansIn,
  postAnchor,
  requestButton,
  requestCount,
  SECRET,
  status,
  planningShown,
  textOf,
  truthJan,
  until,
} from './backfill-slack-support.js';

// The Slack side of the approval-gated backfill, end to end: signed slash commands and button clicks into the real
// Bolt app, real PostgreSQL (demo data + ops database), Redis/BullMQ and ClickHouse; Slack's Web API emulated.
// Every rule is exercised by clicking, and every "changed nothing" is checked in the ops database and the queue.
// Expected numbers come from the demo data's ground truth.

let demo: DemoDatabase;
let slack: SlackEmulator;
let ctx: ServeContext;
let url: string;
let config: Config;
let ops: pg.Pool;
let admin: pg.Pool;
let queue: Queue;

beforeAll(async () => {
  demo = await createDemoDatabase({ scale: 0.002, seed: 7, customers: ['rentokil', 'spirit'], from: '2025-12-01', to: '2026-02-01' });
  slack = await startSlackEmulator();
  slack.setUsergroup(GROUP, [GRACE]);
  config = demo.config({
    slack: {
      mode: 'http',
      botToken: 'xoxb-test-token',
      signingSecret: SECRET,
      port: 0,
      apiUrl: slack.apiUrl,
      allowedChannels: [CHANNEL],
      // Alice is an approver too: the two-person rule must still refuse her own request.
      approvers: { users: [ALICE, BOB], userGroups: [GROUP] },
    },
    backfill: { chunkSize: CHUNK, maxRowsPerSecond: 4000 },
    observability: { port: 0, host: '127.0.0.1' },
    // The demo's customers with their writer, and one more configured without a writer connection.
    customers: [
      ...demo.truth.customers.map((name) => ({ name, profile: demo.truth.profileId, cluster: 'us-east-1-prod', postgres: { url: demo.readOnlyUrl }, writer: { url: demo.adminUrl } })),
      { name: 'nclh', profile: demo.truth.profileId, cluster: 'us-east-1-prod', postgres: { url: demo.readOnlyUrl } },
    ],
  });
  ctx = await createServeContext(config, { listen: true, logger: createLogger({ level: 'silent' }), lockDurationMs: 10_000, stalledIntervalMs: 5_000 });
  url = `http://127.0.0.1:${await ctx.start()}/slack/events`;
  ops = testPool(config.ops!.url, 3);
  admin = testPool(demo.adminUrl, 3);
  queue = new Queue(BACKFILL_QUEUE, { connection: { url: REDIS_URL }, prefix: config.redis!.prefix });
  Object.assign(env, { demo, slack, url, ops, admin, queue });
}, 180_000);

afterAll(async () => {
  await queue?.close();
  await ctx?.close();
  await ops?.end();
  await admin?.end();
  await slack?.close();
  await demo?.drop();
});

// ---- tests -----------------------------------------------------------------------------------------------------

describe('bad input changes nothing', () => {
  it('an unknown request, an old button, an unknown customer, a scope over 13 months, a channel not allowed: each gets a clear ephemeral line', async () => {
    const before = { requests: await requestCount(), posts: slack.callsTo('chat.postMessage').length, jobs: await jobCount() };
    const insertRun = (runId: string, customer: string, from: string, to: string) =>
      ops.query(
        `INSERT INTO scorecard_bot.gap_runs (run_id, customer, period_label, period_from, period_to, requested_by, channel, root_ts, status)
         VALUES ($1, $2, 'a period', $3, $4, $5, $6, '1.000001', 'done')`,
        [runId, customer, from, to, ALICE, CHANNEL],
      );
    await insertRun('run-acme', 'acme', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z');
    await insertRun('run-long', 'rentokil', '2024-11-01T00:00:00Z', '2026-02-01T00:00:00Z');

    const cases: Array<[string, string, string, RegExp]> = [
      ['backfill_approve', `bf-doesnotexist ${'0'.repeat(64)}`, BOB, /I have no backfill request bf-doesnotexist; nothing was changed/],
      ['backfill_cancel', 'bf-doesnotexist', ALICE, /I have no backfill request bf-doesnotexist/],
      ['backfill_approve', 'garbage', BOB, /does not carry a backfill request/],
      ['backfill_request', JSON.stringify({ customer: 'rentokil', period: { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' } }), ALICE, /made before backfills were enabled/],
      ['backfill_request', JSON.stringify({ runId: 'run-nobody-made' }), ALICE, /no record of the gap report run-nobody-made/],
      ['backfill_request', JSON.stringify({ runId: 'run-acme' }), ALICE, /I don't know a customer called .*acme/],
      ['backfill_request', JSON.stringify({ runId: 'run-long' }), ALICE, /at most 13 months/],
      ['backfill_scorecard', JSON.stringify({ id: demo.truth.checkCases.missingHistoric!.scorecardId, customer: 'acme' }), ALICE, /I don't know a customer called .*acme/],
      ['backfill_scorecard', JSON.stringify({ id: 'not-a-uuid', customer: 'rentokil' }), ALICE, /scorecard/i],
    ];
    for (const [action, value, user, expected] of cases) {
      const id = await click(action, value, { user, messageTs: '1.000001' });
      await answer(id, expected);
    }
    const outside = await click('backfill_request', JSON.stringify({ runId: 'run-acme' }), { user: ALICE, messageTs: '1.000001', channel: 'C0RANDOM' });
    await answer(outside, /not enabled in this channel/);
    // Decisions pass the same gate before anything else (not even whether the request exists is said).
    for (const [action, value] of [['backfill_approve', `bf-doesnotexist ${'0'.repeat(64)}`], ['backfill_deny', `bf-doesnotexist ${'0'.repeat(64)}`], ['backfill_cancel', 'bf-doesnotexist']]) {
      const dm = await click(action!, value!, { user: BOB, messageTs: '1.000001', channel: 'D0DIRECT1' });
      expect(await answer(dm, /direct messages/)).not.toContain('bf-doesnotexist');
    }

    expect(await requestCount()).toBe(before.requests);
    expect(slack.callsTo('chat.postMessage').length).toBe(before.posts);
    expect(await jobCount()).toBe(before.jobs);
  }, 120_000);
});

describe('a customer without a writer connection', () => {
  it('gets a plan that says so, and Approve is refused with that reason', async () => {
    // One nclh scorecard missing from historic (the demo loads no nclh data): a plan with something to write.
    const p = demo.truth.profileId;
    await admin.query(
      `INSERT INTO director.scorecards (customer, profile, resource_id, conversation_id, template_id, created_at, submitted_at)
         VALUES ('nclh', $1, 'nclh-planted-1', 'nclh-conv-1', 'tpl', '2026-01-12T10:00:00Z', '2026-01-13T10:00:00Z');
       INSERT INTO director.scores (customer, profile, resource_id, scorecard_id, criterion_id, numeric_value)
         VALUES ('nclh', $1, 'nclh-score-1', 'nclh-planted-1', 'c1', 1), ('nclh', $1, 'nclh-score-2', 'nclh-planted-1', 'c2', 0);
       INSERT INTO app.chats (customer_id, profile_id, conversation_id, started_at) VALUES ('nclh', $1, 'nclh-conv-1', '2026-01-12T09:00:00Z');`.replaceAll('$1', `'${p}'`),
    );
    const anchor = await postAnchor();
    await ops.query(
      `INSERT INTO scorecard_bot.gap_runs (run_id, customer, period_label, period_from, period_to, requested_by, channel, root_ts, status)
       VALUES ('run-nclh', 'nclh', 'Jan 2026', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z', $1, $2, $3, 'done')`,
      [ALICE, CHANNEL, anchor],
    );
    const id = await click('backfill_request', JSON.stringify({ runId: 'run-nclh' }), { user: ALICE, messageTs: anchor, threadTs: anchor });
    await planningShown(anchor, id);
    const plan = await newPlan(anchor, 0);
    expect(textOf(plan.msg)).toContain('nclh has no writer connection configured, so this plan cannot be approved.');
    const jobs = await jobCount();
    const bob = await click('backfill_approve', `${plan.requestId} ${plan.hash}`, { user: BOB, messageTs: plan.msg.ts, threadTs: anchor });
    await answer(bob, /nclh has no writer connection configured, so this backfill cannot be approved/);
    expect(await status(plan.requestId)).toBe('pending');
    expect(await jobCount()).toBe(jobs);
  }, 120_000);
});

describe('"Backfill this scorecard" from a check', () => {
  it('posts the plan in a new thread (the check was ephemeral); bob denies; a later Approve changes nothing', async () => {
    const planted = demo.truth.checkCases.missingHistoric!;
    expect(planted.customer).toBe('rentokil');
    const rid = `check-${Date.now()}`;
    await postSigned(url, SECRET, slashCommandBody({ command: '/scorecard-check', text: planted.scorecardId, response_url: slack.responseUrl(rid), user_id: ALICE, channel_id: CHANNEL }));
    const reply = await slack.waitFor(() => slack.responses.find((r) => r.id === rid), 60_000);
    const button = buttonsOf(reply.body as never).find((b) => b.action_id === 'backfill_scorecard');
    expect(button).toBeTruthy();

    const roots = slack.messages(CHANNEL).length;
    const id = await click('backfill_scorecard', button!.value, { user: ALICE, messageTs: '1700000999.000001', ephemeral: true });
    const anchor = await slack.waitFor(() => slack.messages(CHANNEL).slice(roots).find((m) => /Backfill requested by <@U0ALICE>/.test(m.text ?? '')), 60_000);
    await planningShown(anchor.ts, id);
    const plan = await newPlan(anchor.ts, 0);
    // One scorecard, missing from historic with all its scores: 1 to write.
    expect(plan.msg.text).toMatch(/^Backfill plan for rentokil, scorecard [0-9a-f-]+: 1 scorecard, \d+ historic rows; waiting for an approver$/);
    expect(textOf(plan.msg)).toContain('historic: 1 submitted, 0 unsubmitted');

    const deny = await click('backfill_deny', `${plan.requestId} ${plan.hash}`, { user: BOB, messageTs: plan.msg.ts, threadTs: anchor.ts });
    await slack.waitFor(() => /Denied by <@U0BOB> at \d\d:\d\d UTC/.test(textOf(current(plan.msg.ts))), 30_000);
    expect(buttonsOf(current(plan.msg.ts))).toEqual([]);
    expect(await status(plan.requestId)).toBe('denied');
    expect(slack.responses.filter((r) => r.id === deny)).toEqual([]); // the record in the thread is the answer

    const late = await click('backfill_approve', `${plan.requestId} ${plan.hash}`, { user: GRACE, messageTs: plan.msg.ts, threadTs: anchor.ts });
    expect(await answer(late, /already denied/)).toContain('<@U0BOB>');
    expect(await status(plan.requestId)).toBe('denied');
    expect(await queue.getJob(plan.requestId)).toBeUndefined();
    expect(await auditActions(plan.requestId)).toEqual(['requested', 'plan_posted', 'planned', 'denied', 'approve_refused']);
  }, 180_000);
});

describe('the full path', () => {
  it('alice requests from the gap report, the plan shows the truth, the rules hold, bob approves, the gap closes', async () => {
    const jan = truthJan('rentokil');
    expect(jan.submitted[1]).toBe(1_165);
    const report = await gapRun('rentokil jan-2026');
    const button = requestButton(report.replies);
    expect(JSON.parse(button.value)).toEqual({ runId: expect.any(String) }); // an ID, not the scope

    const id = await click('backfill_request', button.value, { user: ALICE, messageTs: button.ts, threadTs: report.rootTs });
    await planningShown(report.rootTs, id);
    const plan = await newPlan(report.rootTs, 0);
    const planText = textOf(plan.msg);
    expect(planText).toContain(`historic: ${fmt(jan.submitted[1])} submitted, ${fmt(jan.unsubmitted[1])} unsubmitted`);
    expect(planText).toContain(`ClickHouse: ${fmt(jan.chSubmitted)} submitted, ${fmt(jan.chUnsubmitted)} unsubmitted`);
    // Every missing rentokil January scorecard has scores and a conversation (the truth): all are written.
    expect(planText).toContain(`• ${fmt(jan.submitted[1] + jan.unsubmitted[1])} missing from historic`);
    expect(planText).toContain(`plan \`${plan.hash.slice(0, 12)}\``);
    expect(await status(plan.requestId)).toBe('pending');
    // Samples: a line a class, at most 5 IDs each, then how many more; no wall of IDs.
    const contexts = (plan.msg.blocks ?? []) as Array<{ type: string; elements?: Array<{ text?: string }> }>;
    const samplesText = contexts.filter((b) => b.type === 'context').map((b) => b.elements?.[0]?.text ?? '').find((t) => t.startsWith('Samples')) ?? '';
    const sampleLines = samplesText.split('\n').slice(1);
    expect(samplesText.split('\n')[0]).toBe('Samples, at most 5 a class: the full list is in the CSV below');
    expect(sampleLines.length).toBeGreaterThan(0);
    for (const l of sampleLines) expect((l.match(/`[0-9a-f-]{36}`/g) ?? []).length).toBeLessThanOrEqual(5);
    const toWrite = jan.submitted[1] + jan.unsubmitted[1] + jan.chSubmitted + jan.chUnsubmitted;
    expect(planText).toContain(`missing from historic (${fmt(jan.submitted[1] + jan.unsubmitted[1])}): `);
    expect(planText).toContain(`and ${fmt(jan.submitted[1] + jan.unsubmitted[1] - 5)} more`);
    // The full list follows the plan as a CSV in the same thread: one row a scorecard to write (the truth's count).
    const planCsv = await slack.waitFor(() => slack.uploads.find((u) => u.completed && u.threadTs === report.rootTs && u.filename.startsWith('backfill-plan-rentokil-')), 30_000);
    const csvRows = planCsv.bytes!.toString('utf8').trim().split(/\r?\n/);
    expect(csvRows[0]).toBe('scorecard_id,reason,population,created_at,what_happens');
    expect(csvRows.length - 1).toBe(toWrite);
    expect(new Set(csvRows.slice(1).map((r) => r.split(',')[0])).size).toBe(toWrite);
    expect(csvRows.slice(1).filter((r) => r.split(',')[1] === 'clickhouse_only')).toHaveLength(jan.chSubmitted + jan.chUnsubmitted);

    // Alice is an approver, but it is her request.
    const self = await click('backfill_approve', `${plan.requestId} ${plan.hash}`, { user: ALICE, messageTs: plan.msg.ts, threadTs: report.rootTs });
    await answer(self, /cannot approve your own backfill request/);
    // Carol is not an approver.
    const carol = await click('backfill_approve', `${plan.requestId} ${plan.hash}`, { user: CAROL, messageTs: plan.msg.ts, threadTs: report.rootTs });
    // The refusal names who can act, as mentions Slack renders.
    expect(await answer(carol, /Only an approver can approve a backfill/)).toContain('Ask <@U0ALICE>, <@U0BOB> or anyone in <!subteam^S0APPROVERS>.');
    const carolDeny = await click('backfill_deny', `${plan.requestId} ${plan.hash}`, { user: CAROL, messageTs: plan.msg.ts, threadTs: report.rootTs });
    await answer(carolDeny, /Only an approver can deny a backfill/);
    expect(await status(plan.requestId)).toBe('pending');
    expect(await queue.getJob(plan.requestId)).toBeUndefined();

    const bob = await click('backfill_approve', `${plan.requestId} ${plan.hash}`, { user: BOB, messageTs: plan.msg.ts, threadTs: report.rootTs });
    await slack.waitFor(() => /Approved by <@U0BOB> at \d\d:\d\d UTC on \d{4}-\d\d-\d\d/.test(textOf(current(plan.msg.ts))), 30_000);
    expect(buttonsOf(current(plan.msg.ts))).toEqual([]);
    // Bob clicks again: settled once.
    const again = await click('backfill_approve', `${plan.requestId} ${plan.hash}`, { user: BOB, messageTs: plan.msg.ts, threadTs: report.rootTs });
    await answer(again, /already (approved|running|done)/);

    const result = await slack.waitFor(() => slack.threadReplies(CHANNEL, report.rootTs).find((m) => /^Backfill (done|done with remainder|failed)/.test(m.text ?? '')), 180_000);
    expect(result.text).toContain(`rentokil, Jan 2026, submitted: ${fmt(jan.submitted[1])} missing → 0; ClickHouse: ${fmt(jan.chSubmitted)} → 0`);
    expect(result.text).toContain(`rentokil, Jan 2026, unsubmitted: ${fmt(jan.unsubmitted[1])} missing → 0`);
    expect(result.text).toMatch(/^Backfill done:/);
    expect(await status(plan.requestId)).toBe('done');
    expect(slack.responses.filter((r) => r.id === bob)).toEqual([]);

    // The report tells the truth now: its root says it was repaired, and its Request backfill button is gone.
    const before = fmt(jan.submitted[1] + jan.unsubmitted[1]);
    await slack.waitFor(() => (current(report.rootTs).text ?? '').startsWith(`Repaired by backfill ${plan.requestId}: ${before} → 0 missing from historic`), 30_000);
    expect(textOf(current(report.rootTs))).toContain(`Repaired by backfill ${plan.requestId}: ${before} → 0 missing from historic`);
    await slack.waitFor(() => buttonsOf(current(button.ts)).length === 0 || null, 30_000);
    expect(textOf(current(button.ts))).toContain('see the backfill');
    // An old client still showing the button: the new plan has nothing to write and asks nobody to approve.
    const seen = plansIn(report.rootTs);
    await click('backfill_request', button.value, { user: ALICE, messageTs: button.ts, threadTs: report.rootTs });
    const empty = await slack.waitFor(() => {
      const m = slack.threadReplies(CHANNEL, report.rootTs).filter((x) => (x.text ?? '').startsWith('Backfill plan for'))[seen];
      return m && /Nothing to write/.test(m.text ?? '') ? m : undefined;
    }, 60_000);
    expect(buttonsOf(empty)).toEqual([]);

    // One job, and one progress message, edited in place, ending with the totals and no Cancel button.
    expect(await jobCount()).toBe(1);
    const progress = slack.threadReplies(CHANNEL, report.rootTs).filter((m) => /^Backfill rentokil, Jan 2026: /.test(m.text ?? ''));
    expect(progress).toHaveLength(1);
    await slack.waitFor(() => /^Backfill rentokil, Jan 2026: Done: chunk (\d+) of \1 /.test(current(progress[0]!.ts).text ?? ''), 30_000);
    expect(buttonsOf(current(progress[0]!.ts))).toEqual([]);
    const edits = slack.callsTo('chat.update').filter((c) => c.args.ts === progress[0]!.ts).map((c) => c.at);
    expect(edits.length).toBeGreaterThanOrEqual(2);
    // At most once a second (measured where Slack receives them, so a little network jitter is allowed).
    for (let i = 1; i < edits.length; i++) expect(edits[i]! - edits[i - 1]!).toBeGreaterThanOrEqual(900);

    const audit = await auditActions(plan.requestId);
    expect(audit.slice(0, 3)).toEqual(['requested', 'plan_posted', 'planned']);
    expect(audit.filter((a) => a === 'approved')).toHaveLength(1);
    expect(audit.filter((a) => a === 'approve_refused')).toHaveLength(3);
    expect(audit.filter((a) => a === 'deny_refused')).toHaveLength(1);
    expect(audit).toContain('progress_posted');
    expect(audit).toContain('started');
    expect(audit.at(-1)).toBe('done');

    // /metrics counts the rows the job wrote: one per director score of each planned scorecard.
    const { rows: scored } = await admin.query(
      `SELECT count(*)::int AS n FROM director.scores s
        WHERE s.customer = 'rentokil' AND s.scorecard_id IN (
          SELECT scorecard_id FROM scorecard_bot.backfill_items WHERE request_id = $1 AND reason = 'missing')`,
      [plan.requestId],
    );
    expect(scored[0].n).toBeGreaterThan(jan.submitted[1]);
    const metricsUrl = `http://127.0.0.1:${ctx.observability!.port}/metrics`;
    const rowsWritten = async (): Promise<number | null> => {
      const scrape = parsePrometheusText(await (await fetch(metricsUrl)).text());
      return scrape.samples.find((x) => x.name === 'scorecard_bot_backfill_rows_written_total' && x.labels.customer === 'rentokil' && x.labels.tier === 'historic')?.value ?? null;
    };
    // The counter is bumped just after the result is posted; poll briefly.
    let written: number | null = null;
    for (let i = 0; i < 100 && written !== scored[0].n; i++) {
      written = await rowsWritten();
      if (written !== scored[0].n) await new Promise((r) => setTimeout(r, 100));
    }
    expect(written).toBe(scored[0].n);

    // A fresh gap run finds nothing missing.
    const fresh = await gapRun('rentokil jan-2026');
    expect(fresh.rootTs).not.toBe(report.rootTs);
    expect(headline(fresh.replies, 'Submitted')).toEqual([0, jan.submitted[0]]);
    expect(headline(fresh.replies, 'Unsubmitted')).toEqual([0, jan.unsubmitted[0]]);
  }, 400_000);
});

describe('spirit: stale plan, expiry, cancel mid-run, a user-group approver, concurrent approvals', () => {
  let rootTs: string;
  let button: { value: string; ts: string };
  const JAN = ['2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'] as const;

  /** Re-opens a small gap when an earlier test closed it: a plan with nothing to write asks nobody to approve. */
  async function ensureSomethingToWrite(): Promise<void> {
    await admin.query(
      `DELETE FROM historic.scorecard_scores WHERE customer_id = 'spirit' AND scorecard_id IN (
         SELECT resource_id FROM director.scorecards WHERE customer = 'spirit' AND created_at >= '2026-01-05' AND created_at < '2026-01-06'
         ORDER BY resource_id LIMIT 3)`,
    );
  }

  async function request(): Promise<{ msg: StoredMessage; requestId: string; hash: string }> {
    await ensureSomethingToWrite();
    const seen = plansIn(rootTs);
    await click('backfill_request', button.value, { user: ALICE, messageTs: button.ts, threadTs: rootTs });
    return newPlan(rootTs, seen);
  }

  beforeAll(async () => {
    const report = await gapRun('spirit jan-2026');
    rootTs = report.rootTs;
    button = requestButton(report.replies);
  }, 300_000);

  it('a button from another plan, then a click after expiry: ephemeral reasons, nothing changes', async () => {
    const plan = await request();
    const jobs = await jobCount();
    const stale = await click('backfill_approve', `${plan.requestId} ${'f'.repeat(64)}`, { user: BOB, messageTs: plan.msg.ts, threadTs: rootTs });
    await answer(stale, /belongs to an older plan \(ffffffffffff\); the current plan is/);
    expect(await status(plan.requestId)).toBe('pending');

    // The clock: the request's expiry moves into the past (as 24 hours would).
    await ops.query(`UPDATE scorecard_bot.backfill_requests SET expires_at = now() - interval '1 second' WHERE id = $1`, [plan.requestId]);
    const late = await click('backfill_approve', `${plan.requestId} ${plan.hash}`, { user: BOB, messageTs: plan.msg.ts, threadTs: rootTs });
    await answer(late, /expired before anyone decided; request it again/);
    expect(await status(plan.requestId)).toBe('expired');
    await slack.waitFor(() => /Expired at/.test(textOf(current(plan.msg.ts))), 30_000);
    expect(buttonsOf(current(plan.msg.ts))).toEqual([]);
    const cancel = await click('backfill_cancel', plan.requestId, { user: ALICE, messageTs: plan.msg.ts, threadTs: rootTs });
    await answer(cancel, /already expired; nothing to cancel/);
    expect(await jobCount()).toBe(jobs);
    expect(await queue.getJob(plan.requestId)).toBeUndefined();
  }, 180_000);

  it('cancel mid-run: carol may not, alice (the requester) may; the job stops after its current chunk', async () => {
    const jan = truthJan('spirit');
    const toWrite = jan.submitted[1] + jan.unsubmitted[1];
    expect(toWrite).toBeGreaterThan(CHUNK * 5); // several chunks
    const rowsBefore = await historicRows('spirit', ...JAN);
    const plan = await request();
    await click('backfill_approve', `${plan.requestId} ${plan.hash}`, { user: BOB, messageTs: plan.msg.ts, threadTs: rootTs });
    const progress = await slack.waitFor(
      () => slack.threadReplies(CHANNEL, rootTs).find((m) => m.ts > plan.msg.ts && (m.text ?? '').startsWith('Backfill spirit, Jan 2026: ')),
      60_000,
    );
    await slack.waitFor(() => /Running: chunk [1-9]\d* of /.test(current(progress.ts).text ?? ''), 120_000);
    const cancelButton = buttonsOf(current(progress.ts)).find((b) => b.action_id === 'backfill_cancel_run');
    expect(cancelButton?.value).toBe(plan.requestId);

    const carol = await click('backfill_cancel_run', plan.requestId, { user: CAROL, messageTs: progress.ts, threadTs: rootTs });
    await answer(carol, /Only the requester or an approver can cancel/);
    expect(await status(plan.requestId)).toBe('running');

    await click('backfill_cancel_run', plan.requestId, { user: ALICE, messageTs: progress.ts, threadTs: rootTs });
    await until(async () => (await status(plan.requestId)) === 'cancelled');
    const stopped = await slack.waitFor(() => slack.threadReplies(CHANNEL, rootTs).find((m) => m.ts > progress.ts && /^Backfill cancelled/.test(m.text ?? '')), 120_000);
    const { rows } = await ops.query<{ n: number; rows: number }>(
      'SELECT count(*)::int AS n, coalesce(sum(historic_rows), 0)::int AS rows FROM scorecard_bot.backfill_checkpoints WHERE request_id = $1',
      [plan.requestId],
    );
    const chunks = Math.ceil((toWrite + jan.chSubmitted + jan.chUnsubmitted) / CHUNK);
    expect(rows[0]!.n).toBeGreaterThan(0);
    expect(rows[0]!.n).toBeLessThan(chunks);
    expect(textOf(stopped)).toContain(`cancelled by <@U0ALICE>) after ${rows[0]!.n} of ${chunks} chunks`);
    // Exactly the committed chunks' rows were written, nothing after the stop.
    expect(await historicRows('spirit', ...JAN)).toBe(rowsBefore + rows[0]!.rows);
    await slack.waitFor(() => /Stopped \(cancelled by <@U0ALICE>\)/.test(current(progress.ts).text ?? ''), 30_000);
    expect(buttonsOf(current(progress.ts))).toEqual([]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await historicRows('spirit', ...JAN)).toBe(rowsBefore + rows[0]!.rows);
  }, 300_000);

  it('a member of an approver user group may approve; the remainder is written and the result shows before → after', async () => {
    const jan = truthJan('spirit');
    const plan = await request();
    await click('backfill_approve', `${plan.requestId} ${plan.hash}`, { user: GRACE, messageTs: plan.msg.ts, threadTs: rootTs });
    await slack.waitFor(() => /Approved by <@U0GRACE>/.test(textOf(current(plan.msg.ts))), 30_000);
    const result = await slack.waitFor(() => slack.threadReplies(CHANNEL, rootTs).find((m) => m.ts > plan.msg.ts && /^Backfill done/.test(m.text ?? '')), 240_000);
    // Before: what the cancelled run left; after: nothing, in both populations and in ClickHouse.
    expect(result.text).toMatch(/spirit, Jan 2026, submitted: [\d,]+ missing → 0; ClickHouse: [\d,]+ → 0/);
    expect(result.text).toMatch(/spirit, Jan 2026, unsubmitted: [\d,]+ missing → 0; ClickHouse: [\d,]+ → 0/);
    const usergroupCalls = slack.callsTo('usergroups.users.list');
    expect(usergroupCalls.length).toBeGreaterThan(0);
    expect(usergroupCalls.every((c) => c.args.usergroup === GROUP)).toBe(true);
    expect(jan.submitted[1]).toBeGreaterThan(0);
  }, 300_000);

  it('the requester cancels a pending plan: its buttons give way to the record, and nothing is queued', async () => {
    const plan = await request();
    const jobs = await jobCount();
    await click('backfill_cancel', plan.requestId, { user: ALICE, messageTs: plan.msg.ts, threadTs: rootTs });
    await slack.waitFor(() => /cancelled by <@U0ALICE> at \d\d:\d\d UTC/.test(textOf(current(plan.msg.ts))), 30_000);
    expect(buttonsOf(current(plan.msg.ts))).toEqual([]);
    expect(await status(plan.requestId)).toBe('cancelled');
    const approve = await click('backfill_approve', `${plan.requestId} ${plan.hash}`, { user: BOB, messageTs: plan.msg.ts, threadTs: rootTs });
    await answer(approve, /already cancelled \(by <@U0ALICE>\)/);
    expect(await jobCount()).toBe(jobs);
    expect((await auditActions(plan.requestId)).slice(-2)).toEqual(['cancelled', 'approve_refused']);
  }, 120_000);

  it('a double click on Request backfill plans once; a double click and two approvers at once give exactly one approval and one job', async () => {
    await ensureSomethingToWrite();
    const seen = plansIn(rootTs);
    const requests = await Promise.all([1, 2].map(() => click('backfill_request', button.value, { user: ALICE, messageTs: button.ts, threadTs: rootTs })));
    const plan = await newPlan(rootTs, seen);
    await until(async () => answersTo(requests, /Nothing new was planned/) === 1 || null, 60_000);
    const third = await click('backfill_request', button.value, { user: CAROL, messageTs: button.ts, threadTs: rootTs });
    await answer(third, /A backfill of spirit, Jan 2026 waits for an approver; its plan is in the thread\. Nothing new was planned/);
    await new Promise((r) => setTimeout(r, 1000));
    expect(plansIn(rootTs)).toBe(seen + 1);

    const value = `${plan.requestId} ${plan.hash}`;
    const ids = await Promise.all([
      click('backfill_approve', value, { user: BOB, messageTs: plan.msg.ts, threadTs: rootTs }),
      click('backfill_approve', value, { user: BOB, messageTs: plan.msg.ts, threadTs: rootTs }),
      click('backfill_approve', value, { user: GRACE, messageTs: plan.msg.ts, threadTs: rootTs }),
    ]);
    // Two of the three are told it was already approved; the winner's answer is the record in the thread.
    await until(async () => answersTo(ids, /already (approved|running|done)/) === 2 || null, 60_000);
    await until(async () => ['done', 'done_with_remainder'].includes((await status(plan.requestId)) ?? ''));
    expect((await auditActions(plan.requestId)).filter((a) => a === 'approved')).toHaveLength(1);
    expect(await queue.getJob(plan.requestId)).toBeTruthy();
    const all = await queue.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed']);
    expect(all.filter((j) => j.id === plan.requestId)).toHaveLength(1);
    const starts = (await auditActions(plan.requestId)).filter((a) => a === 'started');
    expect(starts).toHaveLength(1);
  }, 180_000);
});

describe('cancel before the job starts', () => {
  it('an approved request cancelled while queued ends at once, and says nothing was written', async () => {
    // A second app on its own queue with no worker, so the approved job stays queued.
    const prefix = `${config.redis!.prefix}-noworker`;
    const idle = await createServeContext({ ...config, redis: { ...config.redis!, prefix } }, { listen: true, workers: false, logger: createLogger({ level: 'silent' }) });
    const idleQueue = new Queue(BACKFILL_QUEUE, { connection: { url: REDIS_URL }, prefix });
    // Plans still get made (by a plan worker of the test's own on that prefix); only the backfill job has no worker.
    const planCtx = createContext(config);
    const planStore = new BackfillStore(ops);
    const planService = new BackfillService({ store: planStore, config, gap: { sources: planCtx.sources, clickhouse: planCtx.clickhouse, settings: config.gap, logger: planCtx.logger }, resolver: new ConnectionUrlResolver() });
    const planPublisher = webClientPublisher(new WebClient('xoxb-test-token', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } }));
    const planWorker = startPlanWorker(planService, { connection: { url: REDIS_URL, maxRetriesPerRequest: null }, prefix }, createLogger({ level: 'silent' }), planSlackReporter({ store: planStore, publisher: planPublisher, logger: planCtx.logger }));
    try {
      const idleUrl = `http://127.0.0.1:${await idle.start()}/slack/events`;
      const anchor = await postAnchor();
      await ops.query(
        `INSERT INTO scorecard_bot.gap_runs (run_id, customer, period_label, period_from, period_to, requested_by, channel, root_ts, status)
         VALUES ('run-queued', 'rentokil', 'Dec 2025', '2025-12-01T00:00:00Z', '2026-01-01T00:00:00Z', $1, $2, $3, 'done')`,
        [ALICE, CHANNEL, anchor],
      );
      const send = async (actionId: string, value: string, user: string, messageTs: string) => {
        const payload = blockActionPayload({ actionId, value, user, channel: CHANNEL, messageTs, responseUrl: slack.responseUrl(nextId('idle')) });
        (payload.message as Record<string, unknown>).thread_ts = anchor;
        expect((await postSigned(idleUrl, SECRET, interactionBody(payload))).status).toBe(200);
      };
      await send('backfill_request', JSON.stringify({ runId: 'run-queued' }), ALICE, anchor);
      const plan = await newPlan(anchor, 0);
      await send('backfill_approve', `${plan.requestId} ${plan.hash}`, BOB, plan.msg.ts);
      const progress = await slack.waitFor(() => slack.threadReplies(CHANNEL, anchor).find((m) => /queued, waiting for a worker/.test(m.text ?? '')), 30_000);
      // The job is queued right after the progress message is posted.
      await until(async () => (await idleQueue.getJob(plan.requestId)) ?? null, 30_000);
      expect(await status(plan.requestId)).toBe('approved');
      await send('backfill_cancel_run', plan.requestId, ALICE, progress.ts);
      await slack.waitFor(() => /Cancelled by <@U0ALICE> before the job started: nothing was written/.test(current(progress.ts).text ?? ''), 30_000);
      expect(buttonsOf(current(progress.ts))).toEqual([]);
      expect(await status(plan.requestId)).toBe('cancelled');
      const audit = await auditActions(plan.requestId);
      expect(audit.slice(-1)).toEqual(['cancelled']);
      expect(audit).not.toContain('started');
    } finally {
      await planWorker.close();
      await planCtx.close();
      await idleQueue.obliterate({ force: true }).catch(() => undefined);
      await idleQueue.close();
      await idle.close();
    }
  }, 120_000);
});
