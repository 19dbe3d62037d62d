import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillQueue, enqueueBackfill } from '../../src/backfill/processor.js';
import { repairFor, DEFAULT_BACKFILL_RECONCILER } from '../../src/backfill/reconciler.js';
import type { Config } from '../../src/config/schema.js';
import { parsePeriod } from '../../src/period/parse-period.js';
import { createDemoDatabase, deleteRedisKeys, REDIS_URL, type DemoDatabase } from '../support/demo-database.js';
import { startSlackEmulator, type SlackEmulator } from '../support/slack-emulator.js';
import { harness, historicDiff, historicDuplicates, itemIds, snapshotHistoric, writeConfigFile, type Harness } from './backfill-support.js';

// No crash, outage or reset strands a backfill request (issue 18): real `scorecard-bot worker` processes, a Redis
// emptied under a running job, a process killed between the approval and its job, a planner that died. The
// reconciler (every worker process, at start and every RECONCILE_MS) puts each one back on its way, or ends it and
// says so in the thread.

const CHANNEL = 'C0STRAND';
const RECONCILE_MS = '500';
const PLAN_STALE_MS = '3000';

let demo: DemoDatabase;
let h: Harness;
let slack: SlackEmulator;
let config: Config;
const prefix = `sgb-strand-${Math.random().toString(36).slice(2, 8)}`;
const children: ChildProcess[] = [];

beforeAll(async () => {
  demo = await createDemoDatabase({ seed: 31, scale: 0.002, customers: ['rentokil'], from: '2026-01-01', to: '2026-02-01' });
  slack = await startSlackEmulator();
  h = await harness(demo, {
    slack: { mode: 'http', botToken: 'xoxb-test', signingSecret: 'strand-secret', port: 0, apiUrl: slack.apiUrl, allowedChannels: [CHANNEL], allowedUsers: [] },
    redis: { url: REDIS_URL, prefix },
    // Small chunks and a row-rate cap: a job runs long enough to be interrupted.
    backfill: { chunkSize: 10, maxRowsPerSecond: 800, chunkAttempts: 3 },
  });
  config = h.config;
}, 180_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await h?.close();
  await slack?.close();
  await demo?.drop();
  await deleteRedisKeys(`${prefix}*`);
});

function workerProcess(file: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'worker', '--config', file], {
    env: { ...process.env, SCORECARD_BOT_LOCK_MS: '5000', SCORECARD_BOT_STALLED_MS: '2000', SCORECARD_BOT_RECONCILE_MS: RECONCILE_MS, SCORECARD_BOT_PLAN_STALE_MS: PLAN_STALE_MS },
    stdio: 'ignore',
  });
  children.push(child);
  return child;
}

const exited = (child: ChildProcess): Promise<unknown> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', resolve));

async function until<T>(fn: () => Promise<T | null | undefined | false>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`not in time: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function approvedRequest(period: string) {
  const svc = h.service();
  const r = await svc.request({ customer: 'rentokil', period: parsePeriod(period) }, { requester: 'U0REQ', channel: CHANNEL, threadTs: null });
  expect((await svc.approve(r.id, 'U0APP', r.planHash!)).ok).toBe(true);
  return r;
}

describe('the reconciler decides', () => {
  const base = { heartbeatAt: null, createdAt: new Date(0), decidedAt: new Date(0), startedAt: null };
  it('what each open request needs, from its status and its job', () => {
    const at = 10 * 60_000;
    expect(repairFor({ ...base, status: 'approved' }, 'missing', at, DEFAULT_BACKFILL_RECONCILER).action).toBe('enqueue');
    expect(repairFor({ ...base, status: 'approved', decidedAt: new Date(at - 1000) }, 'missing', at, DEFAULT_BACKFILL_RECONCILER).action).toBe('none');
    expect(repairFor({ ...base, status: 'approved' }, 'live', at, DEFAULT_BACKFILL_RECONCILER).action).toBe('none');
    expect(repairFor({ ...base, status: 'running' }, 'missing', at, DEFAULT_BACKFILL_RECONCILER).action).toBe('enqueue');
    expect(repairFor({ ...base, status: 'running' }, 'failed', at, DEFAULT_BACKFILL_RECONCILER).action).toBe('fail');
    expect(repairFor({ ...base, status: 'cancelling' }, 'missing', at, DEFAULT_BACKFILL_RECONCILER).action).toBe('stop');
    expect(repairFor({ ...base, status: 'planning', heartbeatAt: new Date(at - 10_000) }, 'missing', at, DEFAULT_BACKFILL_RECONCILER).action).toBe('none');
    expect(repairFor({ ...base, status: 'planning', heartbeatAt: new Date(at - 180_000) }, 'missing', at, DEFAULT_BACKFILL_RECONCILER).action).toBe('lose');
    expect(repairFor({ ...base, status: 'done' }, 'missing', at, DEFAULT_BACKFILL_RECONCILER).action).toBe('none');
  });
});

describe('stranded requests', () => {
  it('approved, but the process died before queueing its job: a worker starting later queues it, and it runs exact', async () => {
    await snapshotHistoric(h.admin, 'approved_before');
    const r = await approvedRequest('2026-01-05..2026-01-07');
    // Make it old enough that no handler can still be about to queue it.
    await h.opsPool.query(`UPDATE scorecard_bot.backfill_requests SET decided_at = now() - interval '1 minute' WHERE id = $1`, [r.id]);
    const worker = workerProcess(writeConfigFile(config));
    await until(async () => ['done', 'done_with_remainder'].includes((await h.store.status(r.id)) ?? ''), 90_000, 'the approved request to be run');
    worker.kill('SIGTERM');
    await exited(worker);
    expect(await h.store.status(r.id)).toBe('done');
    expect((await h.store.audit(r.id)).map((a) => a.action)).toContain('requeued');
    const diff = await historicDiff(h.admin, 'approved_before', await itemIds(h.opsPool, r.id, ['missing', 'partial']));
    expect(diff).toEqual({ added: diff.expected, expected: diff.expected, unexpected: 0, lost: 0 });
  }, 180_000);

  it('Redis emptied under a running job, then the worker restarted: the job is resumed from its checkpoints and ends exact', async () => {
    await snapshotHistoric(h.admin, 'flush_before');
    const r = await approvedRequest('2026-01-12..2026-01-20');
    const file = writeConfigFile(config);
    const queue = backfillQueue({ connection: { url: REDIS_URL, maxRetriesPerRequest: null }, prefix });
    try {
      await enqueueBackfill(queue, r.id);
      const first = workerProcess(file);
      await until(async () => (await h.store.checkpoints(r.id)).length >= 2, 90_000, 'two checkpoints');
      first.kill('SIGKILL');
      await exited(first);
      await deleteRedisKeys(`${prefix}*`); // the queue is reset: the job is gone
      expect(await queue.getJob(r.id)).toBeUndefined();
      expect(await h.store.status(r.id)).toBe('running');
      const done = (await h.store.checkpoints(r.id)).length;
      const second = workerProcess(file);
      await until(async () => ['done', 'done_with_remainder', 'failed'].includes((await h.store.status(r.id)) ?? ''), 120_000, 'the running request to be resumed');
      second.kill('SIGTERM');
      await exited(second);
      expect(await h.store.get(r.id)).toMatchObject({ status: 'done', error: null });
      const audit = await h.store.audit(r.id);
      expect(audit.map((a) => a.action)).toContain('requeued');
      expect(audit.filter((a) => a.action === 'started')).toHaveLength(2);
      // The chunks committed before the reset were not redone: they keep their first commit.
      expect((await h.store.checkpoints(r.id)).length).toBeGreaterThan(done);
      const diff = await historicDiff(h.admin, 'flush_before', await itemIds(h.opsPool, r.id, ['missing', 'partial']));
      expect(diff).toEqual({ added: diff.expected, expected: diff.expected, unexpected: 0, lost: 0 });
      expect(await historicDuplicates(h.admin, 'rentokil')).toBe(0);
    } finally {
      await queue.close();
    }
  }, 240_000);

  it('a planner that died: the request ends lost, its scope is free again, and the thread says so', async () => {
    const anchor = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer xoxb-test' },
      body: JSON.stringify({ channel: CHANNEL, text: 'a report root' }),
    }).then(async (res) => String(((await res.json()) as { ts: string }).ts));
    const svc = h.service();
    const req = await svc.createRequest({ customer: 'rentokil', period: parsePeriod('2026-01-25..2026-01-27') }, { requester: 'U0REQ', channel: CHANNEL, threadTs: anchor });
    const placeholder = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer xoxb-test' },
      body: JSON.stringify({ channel: CHANNEL, thread_ts: anchor, text: 'Backfill plan for rentokil: planning' }),
    }).then(async (res) => String(((await res.json()) as { ts: string }).ts));
    await h.store.appendAudit({ requestId: req.id, actor: 'bot', action: 'plan_posted', channel: CHANNEL, detail: { ts: placeholder, threadTs: anchor } });
    // Its planner died (no plan job was ever queued, nothing heart-beats).
    expect(await h.store.openFor(CHANNEL, req.scope)).not.toBeNull();
    const worker = workerProcess(writeConfigFile(config));
    await until(async () => (await h.store.status(req.id)) === 'lost', 60_000, 'the planning request to be lost');
    await until(async () => /planner stopped/.test(slack.threadReplies(CHANNEL, anchor).find((m) => m.ts === placeholder)?.text ?? '') || null, 30_000, 'the thread to say so');
    worker.kill('SIGTERM');
    await exited(worker);
    const lost = await h.store.get(req.id);
    expect(lost?.finishedAt).not.toBeNull();
    expect(await h.store.openFor(CHANNEL, req.scope)).toBeNull();
    expect((await h.store.audit(req.id)).map((a) => a.action)).toEqual(['requested', 'plan_posted', 'lost']);
  }, 120_000);
});
