import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { STEP_EVENT_TYPE } from '../../src/slack/thread-publisher.js';
import { createServeContext, type ServeContext } from '../../src/main.js';
import { createDemoDatabase, deleteRedisKeys, REDIS_URL, type DemoDatabase } from '../support/demo-database.js';
import { captureLog, until, windowsDoneIn } from '../support/job-helpers.js';
import { startSlackEmulator, type SlackEmulator, type StoredMessage } from '../support/slack-emulator.js';
import { postSigned, slashCommandBody } from '../support/slack-requests.js';

// Workers as real processes: one killed while it posts the thread (the next posts each step exactly once), and
// one told to stop while Slack does not answer (it exits within shutdownTimeoutMs all the same).

const SECRET = 'processes-secret';
const CHANNEL = 'C0PROCESSES';

let demo: DemoDatabase;
const prefixes: string[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  demo = await createDemoDatabase({ scale: 0.01, seed: 19, customers: ['rentokil'], from: '2025-11-01', to: '2026-02-01' });
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await demo?.drop();
  for (const p of prefixes) await deleteRedisKeys(`${p}:*`);
});

function configFor(slack: SlackEmulator, extra: Record<string, unknown> = {}): Config {
  const prefix = `sgb-processes-${Math.random().toString(36).slice(2, 8)}`;
  prefixes.push(prefix);
  return demo.config({
    slack: { mode: 'http', botToken: 'xoxb-test', signingSecret: SECRET, port: 0, apiUrl: slack.apiUrl, allowedChannels: [CHANNEL], allowedUsers: [] },
    redis: { url: REDIS_URL, prefix },
    gap: { statementTimeoutMs: 30_000, concurrency: 2, historyMonths: 1, windowAttempts: 3, retryBackoffMs: 200 },
    ...extra,
  });
}

async function listenOnly(config: Config): Promise<{ ctx: ServeContext; url: string }> {
  const ctx = await createServeContext(config, { listen: true, workers: false, logger: captureLog('silent').logger });
  return { ctx, url: `http://127.0.0.1:${await ctx.start()}/slack/events` };
}

function workerProcess(config: Config): { child: ChildProcess; stderr: () => string } {
  const dir = mkdtempSync(join(tmpdir(), 'sgb-proc-'));
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify({ ...config, logLevel: 'info' }));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'worker', '--config', configPath], {
    env: { ...process.env, SCORECARD_BOT_LOCK_MS: '2000', SCORECARD_BOT_STALLED_MS: '1000', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
  children.push(child);
  return { child, stderr: () => err };
}

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code)));

const stepOf = (m: StoredMessage): string | null => {
  const meta = (m as { metadata?: { event_type?: string; event_payload?: { step?: string } } }).metadata;
  return meta?.event_type === STEP_EVENT_TYPE ? (meta.event_payload?.step ?? null) : null;
};

describe('a worker killed while it posts the thread', () => {
  it('is replaced by one that finds what was posted: each step once, tagged with run and step', async () => {
    const slack = await startSlackEmulator();
    const config = configFor(slack);
    const { ctx, url } = await listenOnly(config);
    try {
      const first = workerProcess(config);
      await postSigned(url, SECRET, slashCommandBody({ command: '/scorecard-gap', text: 'rentokil 2026-01-20..2026-01-21', channel_id: CHANNEL, user_id: 'U0KILL', response_url: slack.responseUrl() }));
      const root = await slack.waitFor(() => slack.messages(CHANNEL).find((m) => (m.text ?? '').includes('Investigating rentokil, 2026-01-20')), 15_000);
      // Slack takes the thread posts but answers slowly: the worker dies after a post landed, before it heard back.
      slack.delayResponses('chat.postMessage', 3_000);
      await slack.waitFor(() => slack.threadReplies(CHANNEL, root.ts).length >= 1, 60_000);
      first.child.kill('SIGKILL');
      await exited(first.child);
      slack.delayResponses('chat.postMessage', 0);
      workerProcess(config);
      await slack.waitFor(() => slack.callsTo('chat.update').some((c) => c.args.ts === root.ts && /Details in the thread/.test(String(c.args.text))), 60_000);
      const replies = slack.threadReplies(CHANNEL, root.ts);
      // The replacement looked in the thread before posting again.
      expect(slack.callsTo('conversations.replies').length).toBeGreaterThan(0);
      const steps = replies.map(stepOf).filter((s): s is string => s !== null);
      expect(steps.length).toBeGreaterThan(2);
      expect(new Set(steps).size).toBe(steps.length);
      const headlines = replies.filter((m) => (m.blocks ?? []).some((b) => (b as { type: string }).type === 'header'));
      expect(headlines).toHaveLength(1);
      // Every message in the thread is a tagged step or one of the uploads: nothing posted twice.
      const texts = replies.filter((m) => !m.files).map((m) => JSON.stringify(m.blocks ?? m.text));
      expect(new Set(texts).size).toBe(texts.length);
      expect(slack.uploads.filter((u) => u.threadTs === root.ts && u.completed).map((u) => u.filename).sort()).toEqual(
        [...new Set(slack.uploads.filter((u) => u.threadTs === root.ts && u.completed).map((u) => u.filename))].sort(),
      );
    } finally {
      await ctx.close();
      await slack.close();
    }
  }, 120_000);
});

describe('SIGTERM while Slack does not answer', () => {
  it('exits within shutdownTimeoutMs (plus a margin), with the run left for another worker', async () => {
    const slack = await startSlackEmulator();
    const shutdownTimeoutMs = 3_000;
    const config = configFor(slack, { shutdownTimeoutMs });
    const { ctx, url } = await listenOnly(config);
    try {
      const worker = workerProcess(config);
      await postSigned(url, SECRET, slashCommandBody({ command: '/scorecard-gap', text: 'rentokil 2026-01-22..2026-01-23', channel_id: CHANNEL, user_id: 'U0TERM', response_url: slack.responseUrl() }));
      const root = await slack.waitFor(() => slack.messages(CHANNEL).find((m) => (m.text ?? '').includes('Investigating rentokil, 2026-01-22')), 15_000);
      await until(async () => ((await windowsDoneIn(REDIS_URL, config.redis!.prefix)) >= 2 ? true : null), 30_000, 'two windows done');
      // From now on Slack accepts requests and never answers them in time.
      for (const m of ['chat.postMessage', 'chat.update', 'conversations.replies', 'files.getUploadURLExternal']) slack.delayResponses(m, 120_000);
      await slack.waitFor(() => slack.callsTo('chat.postMessage').some((c) => c.args.thread_ts === root.ts), 60_000);
      const sentAt = Date.now();
      worker.child.kill('SIGTERM');
      const code = await exited(worker.child);
      const tookMs = Date.now() - sentAt;
      expect(worker.stderr()).toMatch(/draining/);
      expect(tookMs).toBeLessThan(shutdownTimeoutMs + 5_000);
      expect(code).toBe(1);
      expect(worker.stderr()).toMatch(/shutdown timeout/);
    } finally {
      await ctx.close();
      await slack.close();
    }
  }, 120_000);
});
