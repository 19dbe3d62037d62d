import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { QUEUES } from '../../src/gap/core/gap-job-payloads.js';
import { createServeContext, type ServeContext } from '../../src/main.js';
import { createLogger } from '../../src/shared/logger.js';
import { createDemoDatabase, REDIS_URL, type DemoDatabase } from '../support/demo-database.js';
import { startSlackEmulator, type SlackEmulator, type StoredMessage } from '../support/slack-emulator.js';
import { postSigned, slashCommandBody } from '../support/slack-requests.js';

// Failures that must not lose or duplicate work: a worker killed with SIGKILL mid-run, and query timeouts
// (retried, then reported in the thread when they keep failing).

const SECRET = 'resilience-secret';
const CHANNEL = 'C0RESILIENCE';

let demo: DemoDatabase;
let slack: SlackEmulator;

beforeAll(async () => {
  demo = await createDemoDatabase({ scale: 0.01, seed: 3, customers: ['rentokil'], from: '2025-08-01', to: '2026-02-01' });
  slack = await startSlackEmulator();
});

afterAll(async () => {
  await slack?.close();
  await demo?.drop();
});

function configWith(extra: Record<string, unknown>): Config {
  const base = demo.config();
  return demo.config({
    slack: { mode: 'http', botToken: 'xoxb-test', signingSecret: SECRET, port: 0, apiUrl: slack.apiUrl, allowedChannels: [CHANNEL], allowedUsers: [] },
    redis: { url: REDIS_URL, prefix: `${base.redis!.prefix}-${Math.random().toString(36).slice(2, 8)}` },
    ...extra,
  });
}

async function listenOnly(config: Config): Promise<{ ctx: ServeContext; url: string }> {
  const ctx = await createServeContext(config, { listen: true, workers: false, logger: createLogger({ level: 'silent' }) });
  const port = await ctx.start();
  return { ctx, url: `http://127.0.0.1:${port}/slack/events` };
}

function startWorkerProcess(configPath: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'worker', '--config', configPath], {
    env: { ...process.env, SCORECARD_BOT_LOCK_MS: '2000', SCORECARD_BOT_STALLED_MS: '1000', LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** Windows whose results are in, read from the flow (finished windows are removed; their parent keeps the count). */
async function windowsDone(prefix: string): Promise<number> {
  const q = new Queue(QUEUES.report, { connection: { url: REDIS_URL }, prefix });
  try {
    const jobs = await q.getJobs(['waiting-children', 'waiting', 'active', 'completed']);
    const counts = await Promise.all(jobs.map(async (j) => (await j.getDependenciesCount({ processed: true })).processed ?? 0));
    return counts.reduce((a, b) => a + b, 0);
  } finally {
    await q.close();
  }
}

const rootOf = (text: RegExp) => slack.waitFor(() => slack.messages(CHANNEL).find((m) => text.test(m.text ?? '')), 15_000);
const isHeadline = (m: StoredMessage) => (m.blocks ?? []).some((b) => (b as { type: string }).type === 'header');

describe('a worker killed with SIGKILL mid-run', () => {
  it('is replaced by another worker that finishes the run once, with one report', async () => {
    const config = configWith({ gap: { ...demo.config().gap, concurrency: 1 } });
    const dir = mkdtempSync(join(tmpdir(), 'sgb-kill-'));
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(config));
    const { ctx, url } = await listenOnly(config);
    const redis = new Redis(REDIS_URL);
    let first: ChildProcess | null = startWorkerProcess(configPath);
    let second: ChildProcess | null = null;
    try {
      await postSigned(url, SECRET, slashCommandBody({ command: '/scorecard-gap', text: 'rentokil jan-2026', channel_id: CHANNEL, response_url: slack.responseUrl() }));
      const root = await rootOf(/Investigating rentokil, Jan 2026/);
      // Wait until the first worker is visibly mid-run (some windows done, not all), then kill it outright.
      const killedAt = await until(async () => {
        const done = await windowsDone(config.redis!.prefix);
        return done >= 10 ? done : null;
      }, 30_000);
      first.kill('SIGKILL');
      first = null;
      second = startWorkerProcess(configPath);
      await slack.waitFor(() => slack.callsTo('chat.update').some((c) => c.args.ts === root.ts && /Details in the thread/.test(String(c.args.text))), 60_000);
      const replies = slack.threadReplies(CHANNEL, root.ts);
      expect(killedAt).toBeLessThan(184);
      // The root message said the run was resumed, and counted windows from the flow: never backwards, never
      // twice, and all 184 in before the result.
      const edits = slack.callsTo('chat.update').filter((c) => c.args.ts === root.ts).map((c) => String(c.args.text));
      expect(edits.some((t) => /resumed after a worker restart/.test(t))).toBe(true);
      const counts = edits.flatMap((t) => /(\d+)\/(\d+) windows/.exec(t) ?? []).filter((_, i) => i % 3 === 1).map(Number);
      expect(counts.length).toBeGreaterThan(1);
      expect(counts).toEqual([...counts].sort((a, b) => a - b));
      expect(counts.at(-1)).toBe(184);
      expect(replies.filter(isHeadline)).toHaveLength(1);
      expect(replies.filter((m) => JSON.stringify(m.blocks ?? []).includes('backfill_request'))).toHaveLength(1);
      expect(slack.uploads.filter((u) => u.threadTs === root.ts && u.filename.endsWith('.png'))).toHaveLength(1);
      const q = new Queue(QUEUES.report, { connection: { url: REDIS_URL }, prefix: config.redis!.prefix });
      // The root update is the processor's last act; the job is marked completed just after it.
      let completed = 0;
      for (let i = 0; i < 100 && completed === 0; i++) {
        completed = (await q.getJobCounts('completed')).completed ?? 0;
        if (completed === 0) await new Promise((r) => setTimeout(r, 100));
      }
      expect(completed).toBe(1);
      await q.close();
    } finally {
      first?.kill('SIGKILL');
      second?.kill('SIGTERM');
      redis.disconnect();
      await ctx.close();
    }
  });
});

describe('SIGTERM', () => {
  it('drains a worker: it finishes what it holds and exits; the next worker completes the run once', async () => {
    const config = configWith({ gap: { ...demo.config().gap, concurrency: 1 } });
    const dir = mkdtempSync(join(tmpdir(), 'sgb-term-'));
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(config));
    const { ctx, url } = await listenOnly(config);
    const redis = new Redis(REDIS_URL);
    const first = startWorkerProcess(configPath);
    let second: ChildProcess | null = null;
    try {
      await postSigned(url, SECRET, slashCommandBody({ command: '/scorecard-gap', text: 'rentokil dec-2025..jan-2026', channel_id: CHANNEL, response_url: slack.responseUrl() }));
      const root = await rootOf(/Investigating rentokil, Dec 2025/);
      const progress = () => windowsDone(config.redis!.prefix);
      await until(async () => ((await progress()) >= 10 ? true : null), 30_000);
      const exited = new Promise<number | null>((resolve) => first.once('exit', (code) => resolve(code)));
      first.kill('SIGTERM');
      expect(await exited).toBe(0);
      const atExit = await progress();
      expect(atExit).toBeLessThan(184);
      // Nothing was lost: the remaining windows wait in the queue for the next worker.
      const q = new Queue(QUEUES.window, { connection: { url: REDIS_URL }, prefix: config.redis!.prefix });
      const waiting = await q.getJobCounts('waiting', 'active', 'completed', 'failed');
      await q.close();
      expect(waiting.failed).toBe(0);
      expect((waiting.waiting ?? 0) + (await progress())).toBe(184);
      second = startWorkerProcess(configPath);
      await slack.waitFor(() => slack.callsTo('chat.update').some((c) => c.args.ts === root.ts && /Details in the thread/.test(String(c.args.text))), 60_000);
      expect(slack.threadReplies(CHANNEL, root.ts).filter(isHeadline)).toHaveLength(1);
    } finally {
      first.kill('SIGKILL');
      second?.kill('SIGTERM');
      redis.disconnect();
      await ctx.close();
    }
  });
});

/** Polls an async probe until it returns a value (not null), or fails after timeoutMs. */
async function until<T>(probe: () => Promise<T | null>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('query timeouts', () => {
  async function withTableLocked<T>(fn: (release: () => Promise<void>) => Promise<T>): Promise<T> {
    const admin = new pg.Client({ connectionString: demo.adminUrl });
    await admin.connect();
    await admin.query('BEGIN');
    await admin.query('LOCK TABLE director.scorecards IN ACCESS EXCLUSIVE MODE');
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      await admin.query('ROLLBACK');
      await admin.end();
    };
    try {
      return await fn(release);
    } finally {
      await release();
    }
  }

  it('retries a window that timed out, and the run completes once the database answers', async () => {
    const config = configWith({ gap: { statementTimeoutMs: 300, concurrency: 2, historyMonths: 1, windowAttempts: 3 } });
    const ctx = await createServeContext(config, { listen: true, logger: createLogger({ level: 'silent' }) });
    const url = `http://127.0.0.1:${await ctx.start()}/slack/events`;
    const q = new Queue(QUEUES.window, { connection: { url: REDIS_URL }, prefix: config.redis!.prefix });
    try {
      await withTableLocked(async (release) => {
        await postSigned(url, SECRET, slashCommandBody({ command: '/scorecard-gap', text: 'rentokil 2026-01-20..2026-01-25', channel_id: CHANNEL, response_url: slack.responseUrl() }));
        // A first attempt has failed with the timeout and is waiting for its retry.
        await until(async () => ((await q.getJobCounts('delayed')).delayed ? true : null), 20_000);
        await release();
      });
      const root = await rootOf(/Investigating rentokil, 2026-01-20/);
      await slack.waitFor(() => slack.callsTo('chat.update').some((c) => c.args.ts === root.ts && /Details in the thread/.test(String(c.args.text))), 60_000);
      expect(slack.threadReplies(CHANNEL, root.ts).filter(isHeadline)).toHaveLength(1);
      expect(slack.threadReplies(CHANNEL, root.ts).some((m) => /failed/i.test(m.text ?? '') && /timeout/i.test(m.text ?? ''))).toBe(false);
    } finally {
      await q.close();
      await ctx.close();
    }
  });

  it('reports a window that keeps timing out in the thread, with what to do', async () => {
    const config = configWith({ gap: { statementTimeoutMs: 200, concurrency: 2, historyMonths: 1, windowAttempts: 2 } });
    const ctx = await createServeContext(config, { listen: true, logger: createLogger({ level: 'silent' }) });
    const url = `http://127.0.0.1:${await ctx.start()}/slack/events`;
    try {
      await withTableLocked(async () => {
        await postSigned(url, SECRET, slashCommandBody({ command: '/scorecard-gap', text: 'rentokil 2026-01-10..2026-01-12', channel_id: CHANNEL, response_url: slack.responseUrl() }));
        const root = await rootOf(/Investigating rentokil, 2026-01-10/);
        const failure = await slack.waitFor(() => slack.threadReplies(CHANNEL, root.ts).find((m) => /failed/i.test(m.text ?? '')), 30_000);
        // The table's sentence: the deadline and its setting, and how often the run tried (2 tries, the default gap.retryBackoffMs of 5 s).
        expect(failure.text).toMatch(/timed out after 0\.2 s \(gap\.statementTimeoutMs\); the run tried 2 times over 5 s/);
        expect(failure.text).not.toMatch(/canceling statement/);
        expect(failure.text).toMatch(/window 2026-01-\d\d/);
        expect(JSON.stringify(failure.blocks)).toMatch(/Narrow the period|statementTimeoutMs/);
        await slack.waitFor(() => slack.callsTo('chat.update').some((c) => c.args.ts === root.ts && /failed/i.test(String(c.args.text))), 10_000);
        expect(slack.threadReplies(CHANNEL, root.ts).filter((m) => /failed/i.test(m.text ?? ''))).toHaveLength(1);
      });
    } finally {
      await ctx.close();
    }
  });
});
