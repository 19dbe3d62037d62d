import { createHmac } from 'node:crypto';
import { Queue } from 'bullmq';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { createServeContext, type ServeContext } from '../../src/main.js';
import { WATCH_QUEUE } from '../../src/watch/schedules.js';
import { createDemoDatabase, REDIS_URL, type DemoDatabase } from '../support/demo-database.js';
import { captureLog, startOwnRedis, until, type CapturedLog, type OwnRedis } from '../support/job-helpers.js';
import { parsePrometheusText } from '../support/prom-text.js';
import { startSlackEmulator, type SlackEmulator } from '../support/slack-emulator.js';
import { blockActionPayload, interactionBody, postSigned } from '../support/slack-requests.js';

// The watchdog inside serve and worker: one schedule, two processes' worth of workers, each audit run once; the
// gap planted before start is announced once; /metrics (parsed strictly) shows it; App Home is published within
// Slack's limits; /readyz fails when Redis stops; an audit removed from the config loses its schedule at start.

const SECRET = 'watch-signing-secret';
const CHANNEL = 'C0WATCH';
const NOW = new Date('2025-12-10T00:00:00Z');
const PLANTED = 30;

let demo: DemoDatabase;
let slack: SlackEmulator;
let serve: ServeContext;
let worker: ServeContext;
let logs: CapturedLog[];
let config: Config;
let eventsUrl: string;

function watchConfig(extra: Record<string, unknown> = {}): Config {
  return demo.config({
    gap: { statementTimeoutMs: 30_000, concurrency: 2, historyMonths: 1, windowAttempts: 2, retryBackoffMs: 50 },
    slack: { mode: 'http', botToken: 'xoxb-test', signingSecret: SECRET, port: 0, apiUrl: slack.apiUrl, allowedChannels: [CHANNEL] },
    watch: [{ name: 'every-2s', every: '2s', lookback: 'last-48h', customers: ['rentokil'], channel: CHANNEL }],
    observability: { port: 0, host: '127.0.0.1' },
    ...extra,
  });
}

async function signedJson(url: string, payload: unknown): Promise<number> {
  const body = JSON.stringify(payload);
  const ts = Math.floor(Date.now() / 1000);
  const sig = 'v0=' + createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex');
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': sig }, body });
  await res.text();
  return res.status;
}

beforeAll(async () => {
  demo = await createDemoDatabase({ scale: 0.002, seed: 13, customers: ['rentokil'], from: '2025-11-01', to: '2025-12-15' });
  slack = await startSlackEmulator();
  // Alice is in the incident channel: she may see the App Home board (test/security/home-tab-gate.test.ts: who may not).
  slack.setChannelMembers(CHANNEL, ['U0ALICE']);
  // The planted gap: every historic row of 30 submitted scorecards created in the audited 48 hours, gone. Only
  // scorecards settled at NOW (submitted over gap.settleMinutes before it): the data holds later submissions, which
  // the audit counts as in flight.
  const admin = new pg.Client({ connectionString: demo.adminUrl });
  await admin.connect();
  const del = await admin.query(
    `DELETE FROM historic.scorecard_scores WHERE customer_id = 'rentokil' AND scorecard_id IN (
       SELECT DISTINCT scorecard_id FROM historic.scorecard_scores WHERE customer_id = 'rentokil' AND scorecard_submitted_at IS NOT NULL
         AND scorecard_created_at >= '2025-12-08' AND scorecard_created_at < '2025-12-10' AND scorecard_submitted_at < '2025-12-09T23:30:00Z'
         ORDER BY scorecard_id LIMIT ${PLANTED})`,
  );
  expect(del.rowCount).toBeGreaterThan(PLANTED);
  await admin.end();
  config = watchConfig();
  logs = [captureLog(), captureLog()];
  const common = { lockDurationMs: 10_000, stalledIntervalMs: 5_000, watchNow: () => NOW };
  serve = await createServeContext(config, { ...common, listen: true, logger: logs[0]!.logger });
  worker = await createServeContext(config, { ...common, listen: false, logger: logs[1]!.logger });
  const [port] = await Promise.all([serve.start(), worker.start()]);
  eventsUrl = `http://127.0.0.1:${port}/slack/events`;
}, 240_000);

afterAll(async () => {
  await serve?.close();
  await worker?.close();
  await slack?.close();
  await demo?.drop();
});

const jobLines = (): { jobId: string; proc: number }[] =>
  logs.flatMap((l, proc) => l.lines.filter((x) => x.msg === 'watch: audit job started').map((x) => ({ jobId: String(x.jobId), proc })));

describe('watchdog in serve and worker', () => {
  it('one schedule, two workers: each scheduled audit runs once, and the gap is announced once', async () => {
    const queue = new Queue(WATCH_QUEUE, { connection: { url: REDIS_URL }, prefix: config.redis!.prefix });
    try {
      const completed = await until(async () => {
        const jobs = await queue.getJobs(['completed']);
        return jobs.length >= 4 ? jobs : null;
      }, 90_000, 'four audits completed');
      const ids = completed.map((j) => String(j.id));
      const lines = jobLines();
      for (const id of ids) expect(lines.filter((l) => l.jobId === id)).toHaveLength(1);
      // No job was started twice (by the two processes or by a stalled-job retry).
      expect(new Set(lines.map((l) => l.jobId)).size).toBe(lines.length);
      expect((await queue.getJobSchedulers()).map((s) => s.key)).toEqual(['watch:every-2s']);
    } finally {
      await queue.close();
    }
    const roots = slack.messages(CHANNEL).filter((m) => !m.thread_ts);
    expect(roots).toHaveLength(1);
    expect(roots[0]!.text).toMatch(new RegExp(`^rentokil submitted: missing from historic since 2025-12-0\\d: ${PLANTED} of [\\d,]+ `));
  }, 120_000);

  it('/metrics parses as Prometheus text and shows the planted gap; /healthz and /readyz answer', async () => {
    const base = `http://127.0.0.1:${serve.observability!.port}`;
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const scrape = parsePrometheusText(await res.text());
    expect(scrape.value('scorecard_bot_missing_scorecards', { customer: 'rentokil', population: 'submitted', tier: 'historic' })).toBe(PLANTED);
    expect(scrape.value('scorecard_bot_open_alerts', { customer: 'rentokil' })).toBe(1);
    expect(scrape.types.get('scorecard_bot_audit_duration_seconds')).toBe('histogram');
    expect(scrape.types.get('scorecard_bot_backfill_rows_written_total')).toBe('counter');
    expect(scrape.value('scorecard_bot_queue_jobs', { queue: WATCH_QUEUE, state: 'failed' })).toBe(0);
    // No scorecard IDs in any label.
    expect(scrape.samples.every((s) => Object.values(s.labels).every((v) => v.length < 64))).toBe(true);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe('redis: ok\nops_database: ok\nwatch: ok\n');
  }, 60_000);

  it('App Home: app_home_opened publishes the status board within Slack limits', async () => {
    const status = await signedJson(eventsUrl, {
      type: 'event_callback',
      team_id: 'T0TEST',
      api_app_id: 'A0TEST',
      event_id: 'Ev0HOME1',
      event_time: Math.floor(Date.now() / 1000),
      event: { type: 'app_home_opened', user: 'U0ALICE', channel: 'D0HOME', tab: 'home', event_ts: '1700000000.000100' },
    });
    expect(status).toBe(200);
    const published = await slack.waitFor(() => slack.homeViews.find((v) => v.userId === 'U0ALICE'), 20_000);
    expect(slack.rejected.filter((r) => r.method === 'views.publish')).toEqual([]);
    const text = JSON.stringify(published.view.blocks);
    expect(text).toContain('*rentokil*');
    expect(text).toMatch(new RegExp(`Submitted: ${PLANTED} of [\\d,]+ missing`));
    expect(text).toContain('Open alerts: <https://slack.com/archives/C0WATCH/p');
  }, 60_000);
});

describe("the alert's buttons", () => {
  it('Full report runs the normal gap report inside the alert thread; Request backfill posts the plan there', async () => {
    const alert = slack.messages(CHANNEL).find((m) => !m.thread_ts)!;
    const buttons = (alert.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]).find((b) => b.type === 'actions')!.elements!;
    const click = (i: number, user: string) =>
      postSigned(eventsUrl, SECRET, interactionBody(blockActionPayload({ actionId: buttons[i]!.action_id, value: buttons[i]!.value, user, channel: CHANNEL, messageTs: alert.ts, responseUrl: slack.responseUrl(`${user}-${i}`) })));
    const topLevel = slack.messages(CHANNEL).length;
    expect((await click(0, 'U0ALICE')).status).toBe(200);
    // The run's status message is a reply in the alert's thread, edited in place until the report is done.
    const status = await slack.waitFor(() => slack.threadReplies(CHANNEL, alert.ts).find((m) => /Investigating rentokil, last 48 hours/.test(m.text ?? '')), 30_000);
    const done = await slack.waitFor(() => {
      const now = slack.threadReplies(CHANNEL, alert.ts).find((m) => m.ts === status.ts);
      return now && /Details in the thread/.test(now.text ?? '') ? now : null;
    }, 60_000);
    expect(done.text).toMatch(/rentokil/);
    // The report's own messages (the tagged steps: headline, findings, tables...) and its CSV are in the same thread.
    const steps = slack.threadReplies(CHANNEL, alert.ts).filter((m) => JSON.stringify(m.metadata ?? {}).includes('"step"'));
    expect(steps.length).toBeGreaterThanOrEqual(2);
    expect(steps.some((m) => new RegExp(`${PLANTED}`).test(JSON.stringify(m.blocks ?? m.text)))).toBe(true);
    expect(slack.uploads.some((u) => u.threadTs === alert.ts && /missing scorecard IDs/.test(u.title ?? ''))).toBe(true);
    // Nothing new at the top of the channel.
    expect(slack.messages(CHANNEL)).toHaveLength(topLevel);

    expect((await click(1, 'U0BOB')).status).toBe(200);
    // The backfill flow's own plan message, in the alert's thread: the planted 30 submitted scorecards.
    // Posted as "Planning…" at the click, then replaced by the plan when the plan job is done.
    const plan = await slack.waitFor(() => slack.threadReplies(CHANNEL, alert.ts).find((m) => JSON.stringify(m.blocks ?? []).includes('*Backfill plan*') && JSON.stringify(m.blocks ?? []).includes('*Missing now*')), 60_000);
    expect(JSON.stringify(plan.blocks)).toContain(`*Missing now* · historic: ${PLANTED} submitted,`);
    expect(JSON.stringify(plan.blocks)).toContain('rentokil');
  }, 120_000);
});

describe('readiness and schedules with a Redis of the test', () => {
  let redis: OwnRedis;
  beforeAll(async () => {
    redis = await startOwnRedis();
  });
  afterAll(() => redis?.stop());

  it('/readyz fails when Redis is stopped; /healthz stays up', async () => {
    const cfg = watchConfig({ redis: { url: redis.url, prefix: 'watch-ready' }, watch: [] });
    const ctx = await createServeContext(cfg, { listen: false, workers: false, logger: captureLog().logger });
    try {
      await ctx.start();
      const base = `http://127.0.0.1:${ctx.observability!.port}`;
      await until(async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : null), 10_000, 'ready');
      redis.stop();
      const res = await fetch(`${base}/readyz`);
      expect(res.status).toBe(503);
      // In plain words, with the address (not ioredis' "Stream isn't writeable and enableOfflineQueue options is false").
      expect(await res.text()).toMatch(new RegExp(`^redis: not reachable at 127\\.0\\.0\\.1:${redis.port} \\((connection refused|not connected)\\)\nops_database: ok\n$`));
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    } finally {
      await ctx.close();
    }
  }, 60_000);

  it('an audit removed from the config loses its schedule at the next start', async () => {
    await redis.restartEmpty();
    const prefix = 'watch-sync';
    const twoAudits = [
      { name: 'keep', cron: '0 * * * *', customers: ['rentokil'], channel: CHANNEL },
      { name: 'drop', every: '1h', channel: CHANNEL },
    ];
    const schedulers = async (): Promise<string[]> => {
      const q = new Queue(WATCH_QUEUE, { connection: { url: redis.url }, prefix });
      try {
        return (await q.getJobSchedulers()).map((s) => s.key).sort();
      } finally {
        await q.close();
      }
    };
    for (const [watch, expected] of [[twoAudits, ['watch:drop', 'watch:keep']], [twoAudits.slice(0, 1), ['watch:keep']]] as const) {
      const ctx = await createServeContext(watchConfig({ redis: { url: redis.url, prefix }, watch, observability: undefined }), { listen: false, workers: false, logger: captureLog().logger });
      try {
        await until(async () => (JSON.stringify(await schedulers()) === JSON.stringify(expected) ? true : null), 10_000, `schedulers ${expected.join(',')}`);
      } finally {
        await ctx.close();
      }
    }
  }, 60_000);
});
