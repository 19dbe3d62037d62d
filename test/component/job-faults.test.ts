import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { retryBudgetMs, retryOptions } from '../../src/gap/core/gap-flow.js';
import { createServeContext, type ServeContext } from '../../src/main.js';
import { createDemoDatabase, deleteRedisKeys, REDIS_URL, type DemoDatabase } from '../support/demo-database.js';
import { captureLog, freePort, startOwnRedis, until, windowsDoneIn, windowsPending, type CapturedLog } from '../support/job-helpers.js';
import { startSlackEmulator, type SlackEmulator, type StoredMessage } from '../support/slack-emulator.js';
import { postSigned, slashCommandBody } from '../support/slack-requests.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

// Faults under a run: the customer database going away for a while (the run must wait it out and say so) or for
// good (the run fails once, its other windows are cancelled, the log stays short), and Redis losing its data
// (the reconciler ends the run instead of leaving it "running" forever).

const SECRET = 'faults-secret';
const CHANNEL = 'C0FAULTS';

let demo: DemoDatabase;
let slack: SlackEmulator;
let proxy: TcpProxy;
const open: ServeContext[] = [];
const prefixes: string[] = [];

beforeAll(async () => {
  demo = await createDemoDatabase({ scale: 0.01, seed: 17, customers: ['rentokil'], from: '2025-11-01', to: '2026-02-01' });
  slack = await startSlackEmulator();
  const target = new URL(demo.readOnlyUrl);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
});

afterAll(async () => {
  for (const ctx of open) await ctx.close().catch(() => undefined);
  await proxy?.close();
  await slack?.close();
  await demo?.drop();
  for (const p of prefixes) await deleteRedisKeys(`${p}:*`);
});

function configWith(gap: Record<string, unknown>, opts: { postgresUrl?: string; redisUrl?: string } = {}): Config {
  const prefix = `sgb-faults-${Math.random().toString(36).slice(2, 8)}`;
  prefixes.push(prefix);
  const base = demo.config();
  return demo.config({
    customers: base.customers.map((c) => ({ ...c, postgres: { url: opts.postgresUrl ?? demo.readOnlyUrl } })),
    slack: { mode: 'http', botToken: 'xoxb-test', signingSecret: SECRET, port: 0, apiUrl: slack.apiUrl, allowedChannels: [CHANNEL], allowedUsers: [] },
    redis: { url: opts.redisUrl ?? REDIS_URL, prefix },
    gap: { statementTimeoutMs: 30_000, concurrency: 2, historyMonths: 1, windowAttempts: 2, retryBackoffMs: 100, ...gap },
  });
}

async function serve(config: Config, log: CapturedLog = captureLog('silent'), opts: Partial<Parameters<typeof createServeContext>[1]> = {}): Promise<string> {
  const ctx = await createServeContext(config, { listen: true, logger: log.logger, lockDurationMs: 5000, stalledIntervalMs: 2000, ...opts });
  open.push(ctx);
  return `http://127.0.0.1:${await ctx.start()}/slack/events`;
}

const gapCommand = (text: string) => slashCommandBody({ command: '/scorecard-gap', text, channel_id: CHANNEL, user_id: 'U0FAULT', response_url: slack.responseUrl() });
const rootOf = (text: string) => slack.waitFor(() => slack.messages(CHANNEL).find((m) => (m.text ?? '').includes(text)), 15_000);
const rootEdits = (root: StoredMessage) => slack.callsTo('chat.update').filter((c) => c.args.ts === root.ts).map((c) => String(c.args.text));
const waitForRoot = (root: StoredMessage, re: RegExp, ms = 60_000) => slack.waitFor(() => rootEdits(root).find((t) => re.test(t)), ms);

describe('a database outage shorter than the retry budget', () => {
  it('does not fail the run; meanwhile the root message says what it is waiting for', async () => {
    const config = configWith({ windowAttempts: 5, retryBackoffMs: 400 }, { postgresUrl: proxy.url(demo.readOnlyUrl) });
    const outageMs = 3_000;
    // The arithmetic the defaults rely on (5 tries at 5 s survive 30 s), scaled down: 0.4 + 0.8 + 1.6 + 3.2 s > 3 s.
    expect(outageMs).toBeLessThan(retryBudgetMs(retryOptions(config.gap)));
    const url = await serve(config);
    await postSigned(url, SECRET, gapCommand('rentokil 2026-01-20..2026-01-21'));
    const root = await rootOf('Investigating rentokil, 2026-01-20');
    await until(async () => ((await windowsDoneIn(REDIS_URL, config.redis!.prefix)) >= 3 ? true : null), 30_000, 'three windows done');
    proxy.dropAll();
    await proxy.refuseFor(outageMs);
    await waitForRoot(root, /Details in the thread/);
    expect(slack.threadReplies(CHANNEL, root.ts).filter((m) => /failed/i.test(m.text ?? ''))).toHaveLength(0);
    expect(rootEdits(root).some((t) => /waiting for the database of rentokil, retry [1-4] of 4/.test(t))).toBe(true);
    // Once the database answered again, the root message stopped saying so.
    expect(rootEdits(root).at(-1)).not.toMatch(/waiting for/);
  }, 90_000);
});

describe('a database that stays away', () => {
  it('fails the run once; its remaining windows are cancelled; the log has at most one line per window', async () => {
    const closedPort = await freePort();
    const dead = new URL(demo.readOnlyUrl);
    dead.port = String(closedPort);
    const config = configWith({ windowAttempts: 3, retryBackoffMs: 100, concurrency: 2 }, { postgresUrl: dead.toString() });
    const log = captureLog('info');
    const url = await serve(config, log);
    await postSigned(url, SECRET, gapCommand('rentokil 2026-01-25..2026-01-26'));
    const root = await rootOf('Investigating rentokil, 2026-01-25');
    await waitForRoot(root, /failed/i, 30_000);
    await until(async () => ((await windowsPending(REDIS_URL, config.redis!.prefix)) === 0 ? true : null), 30_000, 'windows drained');
    await new Promise((r) => setTimeout(r, 500));
    const windows = 26; // Jan 1 to Jan 26: the scan starts at the 1st of the month
    const perWindow = new Map<string, number>();
    for (const line of log.lines) if (typeof line.window === 'string') perWindow.set(line.window, (perWindow.get(line.window) ?? 0) + 1);
    expect(Math.max(...perWindow.values())).toBe(1);
    // Only the windows already running when the run failed got as far as failing; the rest were skipped.
    expect(perWindow.size).toBeLessThan(windows / 2);
    expect(log.lines.filter((l) => typeof l.stack === 'string' || JSON.stringify(l).includes('"stack"'))).toHaveLength(0);
    expect(slack.threadReplies(CHANNEL, root.ts).filter((m) => /failed/i.test(m.text ?? ''))).toHaveLength(1);
  }, 90_000);
});

describe('Redis restarted empty mid-run', () => {
  it('the reconciler marks the run failed in the ops database and says so in the root message', async () => {
    const redis = await startOwnRedis();
    try {
      const config = configWith({ concurrency: 1 }, { redisUrl: redis.url });
      const url = await serve(config, captureLog('silent'), { reconciler: { intervalMs: 500, graceMs: 1_000 } });
      await postSigned(url, SECRET, gapCommand('rentokil 2026-01-10..2026-01-20'));
      const root = await rootOf('Investigating rentokil, 2026-01-10');
      await until(async () => ((await windowsDoneIn(redis.url, config.redis!.prefix)) >= 2 ? true : null), 30_000, 'two windows done');
      await redis.restartEmpty();
      const lost = await waitForRoot(root, /lost/, 30_000);
      expect(lost).toMatch(/the job queue was reset; run it again/);
      const c = new pg.Client({ connectionString: demo.adminUrl });
      await c.connect();
      try {
        const row = await until(async () => {
          const { rows } = await c.query(`SELECT status, error FROM scorecard_bot.gap_runs WHERE root_ts = $1`, [root.ts]);
          return (rows[0] as { status: string } | undefined)?.status === 'failed' ? (rows[0] as { status: string; error: string }) : null;
        }, 10_000, 'ops row failed');
        expect(row.error).toMatch(/lost: the job queue was reset/);
      } finally {
        await c.end();
      }
      // The claim went with Redis; a new request for the same period starts a fresh run.
      await postSigned(url, SECRET, gapCommand('rentokil 2026-01-10..2026-01-20'));
      await slack.waitFor(() => slack.messages(CHANNEL).filter((m) => (m.text ?? '').includes('Investigating rentokil, 2026-01-10')).length === 2, 15_000);
    } finally {
      for (const ctx of open.splice(0)) await ctx.close().catch(() => undefined);
      redis.stop();
    }
  }, 90_000);
});
