import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/schema.js';
import { retryBudgetMs, retryOptions } from '../../src/gap/core/gap-flow.js';
import { RunState } from '../../src/gap/jobs/run-state.js';
import { createServeContext, type ServeContext } from '../../src/main.js';
import { createDemoDatabase, deleteRedisKeys, REDIS_URL, type DemoDatabase } from '../support/demo-database.js';
import { captureLog, until, type CapturedLog } from '../support/job-helpers.js';
import { startSlackEmulator, type SlackEmulator, type StoredMessage } from '../support/slack-emulator.js';
import { postSigned, slashCommandBody } from '../support/slack-requests.js';

// The life of a run as jobs: how it ends (always), what a thread may show when it fails, what it leaves in
// Redis, how a slow Slack and a lost ops database affect it, and how its (customer, period) claim lives.

const SECRET = 'lifecycle-secret';
const CHANNEL = 'C0LIFECYCLE';

let demo: DemoDatabase;
let slack: SlackEmulator;
const open: ServeContext[] = [];

beforeAll(async () => {
  demo = await createDemoDatabase({ scale: 0.01, seed: 13, customers: ['rentokil', 'nclh'], from: '2025-11-01', to: '2026-02-01' });
  slack = await startSlackEmulator();
});

afterAll(async () => {
  for (const ctx of open) await ctx.close().catch(() => undefined);
  await slack?.close();
  await demo?.drop();
  for (const p of prefixes) await deleteRedisKeys(`${p}:*`);
});

const prefixes: string[] = [];

function configWith(gap: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Config {
  const prefix = `sgb-lifecycle-${Math.random().toString(36).slice(2, 8)}`;
  prefixes.push(prefix);
  return demo.config({
    slack: { mode: 'http', botToken: 'xoxb-test', signingSecret: SECRET, port: 0, apiUrl: slack.apiUrl, allowedChannels: [CHANNEL], allowedUsers: [] },
    redis: { url: REDIS_URL, prefix },
    gap: { statementTimeoutMs: 30_000, concurrency: 2, historyMonths: 1, windowAttempts: 2, retryBackoffMs: 100, ...gap },
    ...extra,
  });
}

async function serve(config: Config, log: CapturedLog = captureLog('silent'), opts: Partial<Parameters<typeof createServeContext>[1]> = {}): Promise<{ ctx: ServeContext; url: string }> {
  const ctx = await createServeContext(config, { listen: true, logger: log.logger, lockDurationMs: 5000, stalledIntervalMs: 2000, ...opts });
  open.push(ctx);
  return { ctx, url: `http://127.0.0.1:${await ctx.start()}/slack/events` };
}

const gapCommand = (text: string, user = 'U0ALICE') => slashCommandBody({ command: '/scorecard-gap', text, channel_id: CHANNEL, user_id: user, response_url: slack.responseUrl() });
const rootOf = (text: string) => slack.waitFor(() => slack.messages(CHANNEL).find((m) => (m.text ?? '').includes(text)), 15_000);
const rootEdits = (root: StoredMessage) => slack.callsTo('chat.update').filter((c) => c.args.ts === root.ts).map((c) => String(c.args.text));
const waitForRoot = (root: StoredMessage, re: RegExp, ms = 60_000) => slack.waitFor(() => rootEdits(root).find((t) => re.test(t)), ms);

async function opsRow(rootTs: string): Promise<{ status: string; error: string | null; subject: string }> {
  const c = new pg.Client({ connectionString: demo.adminUrl });
  await c.connect();
  try {
    const { rows } = await c.query(`SELECT status, error, customer, period_from, period_to FROM scorecard_bot.gap_runs WHERE root_ts = $1`, [rootTs]);
    const r = rows[0] as { status: string; error: string | null; customer: string; period_from: Date; period_to: Date };
    return { status: r.status, error: r.error, subject: `${r.customer}|${r.period_from.toISOString()}|${r.period_to.toISOString()}` };
  } finally {
    await c.end();
  }
}

describe('an `all` run whose own job fails', () => {
  it('ends: root message failed, claim released, ops row failed; the thread shows no raw error text', async () => {
    const config = configWith({ windowAttempts: 2, retryBackoffMs: 100 });
    const { url } = await serve(config);
    await postSigned(url, SECRET, gapCommand('all 2026-01-05..2026-01-06'));
    const root = await rootOf('Investigating all 2 customers');
    // The `all` job is the only one that posts in an all run: both of its attempts hit a Slack API error.
    slack.failNext('chat.postMessage', 'not_in_channel', { times: 2 });
    await waitForRoot(root, /failed/i);
    const failure = await slack.waitFor(() => slack.threadReplies(CHANNEL, root.ts).find((m) => /failed/i.test(m.text ?? '')), 10_000);
    expect(JSON.stringify(failure)).not.toMatch(/not_in_channel|An API error occurred/);
    expect(failure.text).toContain('Something went wrong inside the bot (a bug, not a problem with your data or a database)');
    // What to do, and what to quote so the log line can be found.
    expect(JSON.stringify(failure.blocks)).toMatch(/Run the command again; if it fails the same way, report it and quote job \S+/);
    const row = await until(async () => {
      const r = await opsRow(root.ts);
      return r.status === 'failed' ? r : null;
    }, 10_000, 'ops row failed');
    const redis = new Redis(REDIS_URL);
    try {
      expect(await redis.exists(`${config.redis!.prefix}:active:${row.subject}`)).toBe(0);
    } finally {
      redis.disconnect();
    }
  });
});

describe('Redis stays bounded', () => {
  it('20 reports leave their report jobs and a few keys each, no window jobs or window results', async () => {
    const config = configWith({ concurrency: 4, windowAttempts: 2 });
    const { url } = await serve(config);
    const days = Array.from({ length: 20 }, (_, i) => `2026-01-${String(i + 1).padStart(2, '0')}`);
    for (const [i, day] of days.entries()) {
      // One person each: the per-person limit is not what this test is about.
      const res = await postSigned(url, SECRET, gapCommand(`rentokil ${day}`, `U0REPORT${i}`));
      expect(res.status, res.text).toBe(200);
    }
    const roots = await Promise.all(days.map((d) => rootOf(`Investigating rentokil, ${d}`)));
    for (const root of roots) await waitForRoot(root, /Details in the thread/, 120_000);
    await new Promise((r) => setTimeout(r, 1500)); // the completed events that tidy up run just after
    const redis = new Redis(REDIS_URL);
    try {
      const keys = await redis.keys(`${config.redis!.prefix}:*`);
      const windowJobs = keys.filter((k) => /:gap-window:[0-9a-f-]{36}-/.test(k));
      const windowResults = keys.filter((k) => k.endsWith(':processed'));
      // Each scan runs from the 1st of the month to the day: 1 + 2 + ... + 20 = 210 windows in all.
      expect({ windowJobs: windowJobs.length, windowResults: windowResults.length }).toEqual({ windowJobs: 0, windowResults: 0 });
      // Per report: its job and its posted-steps record, plus a handful of queue keys: nothing per window.
      expect(keys.length, `${keys.length} keys`).toBeLessThan(20 * 4 + 40);
    } finally {
      redis.disconnect();
    }
  }, 180_000);
});

describe('a slow Slack', () => {
  it('does not slow the scan: progress edits are never awaited by a window', async () => {
    const config = configWith({ concurrency: 2 });
    const { url } = await serve(config);
    await postSigned(url, SECRET, gapCommand('rentokil 2026-01-12..2026-01-13'));
    const root = await rootOf('Investigating rentokil, 2026-01-12');
    slack.delayResponses('chat.update', 15_000);
    try {
      const started = Date.now();
      // The thread's headline is posted once every window is in; chat.update answers take 15 s each meanwhile.
      await slack.waitFor(() => slack.threadReplies(CHANNEL, root.ts)[0], 60_000);
      expect(Date.now() - started).toBeLessThan(12_000);
    } finally {
      slack.delayResponses('chat.update', 0);
    }
    await waitForRoot(root, /Details in the thread/);
  }, 90_000);
});

describe('run claims', () => {
  it('a placeholder left by a crash between claim and start expires within a minute', async () => {
    const config = configWith();
    const redis = new Redis(REDIS_URL);
    try {
      const state = new RunState(redis, config.redis!.prefix);
      expect(await state.claim('rentokil|crashed', { runId: 'r-crashed', channel: '', rootTs: '' })).toBeNull();
      const ttl = await redis.pttl(`${config.redis!.prefix}:active:rentokil|crashed`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
    } finally {
      redis.disconnect();
    }
  });

  it('a live run keeps its claim past the claim TTL (heartbeat) and releases it at the end', async () => {
    const config = configWith({ concurrency: 1 });
    const { url } = await serve(config, captureLog('silent'), { runState: { claimTtlMs: 1500 }, reconciler: { intervalMs: 300, graceMs: 60_000 } });
    const redis = new Redis(REDIS_URL);
    try {
      await postSigned(url, SECRET, gapCommand('rentokil 2026-01-14..2026-01-16'));
      const root = await rootOf('Investigating rentokil, 2026-01-14');
      const { subject } = await until(() => opsRow(root.ts).catch(() => null), 10_000, 'ops row');
      const key = `${config.redis!.prefix}:active:${subject}`;
      await new Promise((r) => setTimeout(r, 3_500)); // more than twice the claim's TTL
      const done = rootEdits(root).some((t) => /Details in the thread/.test(t));
      if (!done) expect(JSON.parse((await redis.get(key)) ?? '{}')).toMatchObject({ rootTs: root.ts });
      await waitForRoot(root, /Details in the thread/);
      await until(async () => ((await redis.exists(key)) === 0 ? true : null), 5_000, 'claim released');
    } finally {
      redis.disconnect();
    }
  }, 90_000);
});

describe('ops bookkeeping after a delivered report', () => {
  it('is best-effort: a failure to record the end is logged; the report stays done; one "run ended" line', async () => {
    const config = configWith({ windowAttempts: 2 });
    const log = captureLog('info');
    const { url } = await serve(config, log);
    const admin = new pg.Client({ connectionString: demo.adminUrl });
    await admin.connect();
    try {
      await postSigned(url, SECRET, gapCommand('rentokil 2026-01-20..2026-01-21', 'U0OPS'));
      const root = await rootOf('Investigating rentokil, 2026-01-20');
      // The run is recorded just after its root message is posted; only then may the table go away (otherwise the
      // start itself fails, which is another test's subject).
      await until(async () => ((await admin.query('SELECT 1 FROM scorecard_bot.gap_runs WHERE root_ts = $1', [root.ts])).rowCount ? true : null), 30_000, 'run recorded');
      // The ops table goes away mid-run: recording the run's end will fail.
      await admin.query('ALTER TABLE scorecard_bot.gap_runs RENAME TO gap_runs_away');
      try {
        await waitForRoot(root, /Details in the thread/);
        await until(async () => (log.lines.some((l) => l.msg === 'run ended') ? true : null), 10_000, 'run ended line');
        await new Promise((r) => setTimeout(r, 1_000)); // a retry of the report would fail it now
      } finally {
        await admin.query('ALTER TABLE scorecard_bot.gap_runs_away RENAME TO gap_runs');
      }
      expect(rootEdits(root).at(-1)).toMatch(/Details in the thread/);
      expect(slack.threadReplies(CHANNEL, root.ts).filter((m) => /failed/i.test(m.text ?? ''))).toHaveLength(0);
      expect(log.lines.filter((l) => /could not record the end of the run/.test(String(l.msg)))).toHaveLength(1);
      const ended = log.lines.filter((l) => l.msg === 'run ended');
      expect(ended).toHaveLength(1);
      expect(ended[0]).toMatchObject({ level: 30, requestedBy: 'U0OPS', customer: 'rentokil', status: 'done' });
      expect(ended[0]!.durationMs).toBeGreaterThan(0);
      expect(['gap', 'no_gap', 'clickhouse_gap_only']).toContain(ended[0]!.verdict);
    } finally {
      await admin.end();
    }
  }, 90_000);
});

describe('retry defaults', () => {
  it('survive a 30 s database failover: the sum of window backoffs exceeds 30 s', () => {
    const defaults = parseConfig(JSON.stringify({ customers: [{ name: 'acme', profile: 'p', postgres: { url: 'postgres://ro@db/acme' } }] }), {}).gap;
    expect(retryBudgetMs(retryOptions(defaults))).toBeGreaterThan(30_000);
    expect(retryOptions(defaults)).toEqual({ attempts: 5, backoffMs: 5_000 }); // 5 + 10 + 20 + 40 s
  });
});
