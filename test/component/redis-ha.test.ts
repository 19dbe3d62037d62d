import { Job, Queue } from 'bullmq';
import { Cluster } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CountPair } from '../../dev/demo/ground-truth.js';
import type { Config, RedisConfig } from '../../src/config/schema.js';
import { QUEUES } from '../../src/gap/core/gap-job-payloads.js';
import { createServeContext, type ServeContext } from '../../src/main.js';
import { createRedisClient, scanKeys, type RedisClient } from '../../src/platform/redis-connections.js';
import { createDemoDatabase, deleteRedisKeys, type DemoDatabase } from '../support/demo-database.js';
import { captureLog, until } from '../support/job-helpers.js';
import { startRedisCluster, startSentinelSetup, type OwnRedisCluster, type OwnSentinelSetup } from '../support/redis-cluster.js';
import { startSlackEmulator, type SlackEmulator, type StoredMessage } from '../support/slack-emulator.js';
import { intCell } from '../support/slack-tables.js';
import { postSigned, slashCommandBody } from '../support/slack-requests.js';

// Redis beyond one node, for real: a 3-primary Redis Cluster with a replica each, and a primary with a replica
// under three sentinels, both started here with Debian's redis-server on free ports. A gap run goes through the
// bot's own serve (Slack command, BullMQ flow, window/report workers, run state); its primary is killed with
// SIGKILL mid-run, a replica is promoted, and the run still finishes with the ground truth's numbers.

const SECRET = 'redis-ha-secret';
const CHANNEL = 'C0REDISHA';

let demo: DemoDatabase;
let slack: SlackEmulator;
const open: ServeContext[] = [];

beforeAll(async () => {
  demo = await createDemoDatabase({ scale: 0.01, seed: 5, customers: ['rentokil'], from: '2025-08-01', to: '2026-02-01' });
  slack = await startSlackEmulator();
}, 120_000);

afterAll(async () => {
  for (const ctx of open.splice(0)) await ctx.close().catch(() => undefined);
  await slack?.close();
  await demo?.drop();
});

function configFor(redis: Record<string, unknown>): Config {
  return demo.config({
    slack: { mode: 'http', botToken: 'xoxb-test', signingSecret: SECRET, port: 0, apiUrl: slack.apiUrl, allowedChannels: [CHANNEL], allowedUsers: [] },
    redis,
    // Few windows at a time so the run is still going when its primary dies; retries that outlast a failover.
    // (Not 1: since the per-server connection budget, a run at gap.concurrency 1 stalls on its own report job.)
    gap: { statementTimeoutMs: 30_000, concurrency: 2, historyMonths: 6, windowAttempts: 5, retryBackoffMs: 500 },
  });
}

async function serve(config: Config): Promise<{ ctx: ServeContext; url: string }> {
  const ctx = await createServeContext(config, { listen: true, logger: captureLog('silent').logger, lockDurationMs: 5000, stalledIntervalMs: 2000 });
  open.push(ctx);
  return { ctx, url: `http://127.0.0.1:${await ctx.start()}/slack/events` };
}

const gapCommand = (text: string, user: string) => slashCommandBody({ command: '/scorecard-gap', text, channel_id: CHANNEL, user_id: user, response_url: slack.responseUrl() });
const rootEdits = (root: StoredMessage) => slack.callsTo('chat.update').filter((c) => c.args.ts === root.ts).map((c) => String(c.args.text));
const finished = (root: StoredMessage) => rootEdits(root).some((t) => /Details in the thread/.test(t));

/** The headline's "*Submitted*\n1,165 of 3,637 missing (32.0%)" field as [total, missing]. */
function headlineCounts(m: StoredMessage, label: string): CountPair {
  const fields = (m.blocks ?? []).flatMap((b) => ((b as { fields?: { text: string }[] }).fields ?? []).map((f) => f.text));
  const parsed = /^\*[^*]+\*\n([\d,]+) of ([\d,]+) missing/.exec(fields.find((f) => f.startsWith(`*${label}*\n`)) ?? '');
  if (!parsed) throw new Error(`no ${label} field in the headline: ${JSON.stringify(fields)}`);
  return [intCell(parsed[2]), intCell(parsed[1])];
}

/** Starts `/scorecard-gap rentokil <month>` and returns its root message. */
async function startRun(url: string, month: string, user: string): Promise<StoredMessage> {
  const res = await postSigned(url, SECRET, gapCommand(`rentokil ${month}`, user));
  expect(res.status).toBe(200);
  const title = `Investigating rentokil, ${monthTitle(month)}`;
  return slack.waitFor(() => slack.messages(CHANNEL).find((m) => (m.text ?? '').includes(title)), 30_000);
}

/** 'jan-2026' -> 'Jan 2026' */
const monthTitle = (arg: string): string => `${arg.slice(0, 1).toUpperCase()}${arg.slice(1, 3)} ${arg.slice(4)}`;

/** The run finished, its root says so, and its headline carries the ground truth's counts for that month. */
async function expectTruth(root: StoredMessage, month: string): Promise<void> {
  await slack.waitFor(() => (finished(root) ? true : undefined), 120_000);
  const replies = slack.threadReplies(CHANNEL, root.ts);
  expect(replies.filter((m) => /failed/i.test(m.text ?? ''))).toHaveLength(0);
  const truth = demo.truth.perCustomer.rentokil!;
  expect(headlineCounts(replies[0]!, 'Submitted')).toEqual(truth.monthly.submitted[month]);
  expect(headlineCounts(replies[0]!, 'Unsubmitted')).toEqual(truth.monthly.unsubmitted[month]);
}

/** Windows of a report whose results are in, read from its flow (as the bot's progress does), and its windows in all. */
async function windowsOf(connection: RedisClient, prefix: string, runId: string): Promise<{ done: number; total: number }> {
  const q = new Queue(QUEUES.report, { connection, prefix });
  try {
    const job = await Job.fromId(q, runId);
    if (!job) return { done: 0, total: 0 };
    const total = ((job.data as { plan?: { windows?: unknown[] } }).plan?.windows ?? []).length;
    return { done: (await job.getDependenciesCount({ processed: true })).processed ?? 0, total };
  } finally {
    await q.close();
  }
}

/** Waits until two windows are in and returns the counts: the kill lands with most of the run still to do. */
async function midRun(connection: RedisClient, prefix: string, runId: string): Promise<{ done: number; total: number }> {
  const at = await until(async () => {
    const w = await windowsOf(connection, prefix, runId);
    return w.done >= 2 ? w : null;
  }, 60_000, 'two windows done');
  expect(at.done).toBeLessThan(at.total / 2);
  return at;
}

async function runIdOf(root: StoredMessage): Promise<string> {
  const c = new pg.Client({ connectionString: demo.adminUrl });
  await c.connect();
  try {
    return await until(async () => {
      const { rows } = await c.query<{ run_id: string }>('SELECT run_id FROM scorecard_bot.gap_runs WHERE root_ts = $1', [root.ts]);
      return rows[0]?.run_id ?? null;
    }, 15_000, 'the run in the ops database');
  } finally {
    await c.end();
  }
}

async function opsStatus(root: StoredMessage): Promise<string> {
  const c = new pg.Client({ connectionString: demo.adminUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ status: string }>('SELECT status FROM scorecard_bot.gap_runs WHERE root_ts = $1', [root.ts]);
    return rows[0]?.status ?? 'missing';
  } finally {
    await c.end();
  }
}

describe('Redis Cluster (3 primaries, 3 replicas)', () => {
  let cluster: OwnRedisCluster;
  let redisConfig: RedisConfig;
  let probe: RedisClient;

  beforeAll(async () => {
    cluster = await startRedisCluster({ primaries: 3, nodeTimeoutMs: 1000 });
  }, 60_000);

  afterAll(async () => {
    for (const ctx of open.splice(0)) await ctx.close().catch(() => undefined);
    probe?.disconnect();
    // The keys go with the cluster's processes and directory; deleting them first exercises the per-primary scan.
    if (redisConfig) await deleteRedisKeys('*', redisConfig).catch(() => undefined);
    await cluster?.stop();
  }, 60_000);

  it('keeps every key of the bot in one slot, and a run survives its primary being killed', async () => {
    const configured = `sgb-cluster-${Math.random().toString(36).slice(2, 8)}`;
    const config = configFor({ cluster: { nodes: cluster.nodes }, prefix: configured });
    redisConfig = config.redis!;
    const { ctx, url } = await serve(config);
    // The configured prefix had no hash tag: it was wrapped in one.
    expect(ctx.redis.mode).toBe('cluster');
    expect(ctx.redis.prefix).toBe(`{${configured}}`);
    expect(ctx.redis.command).toBeInstanceOf(Cluster);
    expect(ctx.redis.worker).toBeInstanceOf(Cluster);
    const prefix = ctx.redis.prefix;
    probe = createRedisClient(redisConfig, 'state');
    probe.on('error', () => undefined);

    const root = await startRun(url, 'jan-2026', 'U0CLUSTER1');
    const runId = await runIdOf(root);
    const at = await midRun(probe, prefix, runId);
    expect(finished(root)).toBe(false);

    // Every key of every queue (and the run state) hashes to the prefix's slot, so one primary holds them all.
    const slot = cluster.keyslot(prefix);
    const keys: { key: string; port: number; slot: number }[] = [];
    await scanKeys(probe, `${prefix}*`, async (found, node) => {
      for (const key of found) keys.push({ key, port: node.options.port!, slot: Number(await node.cluster('KEYSLOT', key)) });
    });
    const queues = new Set(keys.map((k) => k.key.slice(prefix.length + 1).split(':')[0]));
    expect([...queues]).toEqual(expect.arrayContaining([QUEUES.window, QUEUES.report]));
    expect(new Set(keys.map((k) => k.slot))).toEqual(new Set([slot]));
    const primary = cluster.primaryOf(slot);
    expect(new Set(keys.map((k) => k.port))).toEqual(new Set([primary]));

    // SIGKILL the primary mid-run; its replica takes over.
    const killedAt = Date.now();
    cluster.kill(primary);
    const promoted = await cluster.waitForFailover(primary);
    expect(promoted).not.toBe(primary);
    const failoverMs = Date.now() - killedAt;

    await expectTruth(root, '2026-01');
    // The ops database's row is finished just after the root message (best-effort bookkeeping).
    await until(async () => ((await opsStatus(root)) === 'done' ? true : null), 15_000, 'the run done in the ops database');
    // The keys are on the promoted primary now.
    expect(cluster.primaryOf(slot)).toBe(promoted);

    // After the failover the bot takes and finishes a new run as usual.
    const next = await startRun(url, 'dec-2025', 'U0CLUSTER2');
    await expectTruth(next, '2025-12');
    console.info(`cluster: killed at ${at.done} of ${at.total} windows; failover in ${failoverMs} ms; the run finished ${Date.now() - killedAt} ms after the kill`);
  }, 240_000);

  it('deleteRedisKeys finds keys on every primary (a SCAN sees one node) and removes them', async () => {
    const client = createRedisClient(redisConfig ?? { cluster: { nodes: cluster.nodes }, prefix: 'x' }, 'state');
    client.on('error', () => undefined);
    try {
      const keys = Array.from({ length: 60 }, (_, i) => `sgb-scan-${i}`);
      for (const k of keys) await client.set(k, '1');
      const holders = new Set(keys.map((k) => cluster.primaryOf(cluster.keyslot(k))));
      expect(holders.size).toBe(3);
      await deleteRedisKeys('sgb-scan-*', redisConfig ?? { cluster: { nodes: cluster.nodes }, prefix: 'x' });
      const left: string[] = [];
      await scanKeys(client, 'sgb-scan-*', async (found) => void left.push(...found));
      expect(left).toEqual([]);
    } finally {
      client.disconnect();
    }
  }, 60_000);
});

describe('Redis Sentinel (a primary, a replica, three sentinels)', () => {
  let setup: OwnSentinelSetup;
  let redisConfig: RedisConfig;
  let probe: RedisClient;

  beforeAll(async () => {
    setup = await startSentinelSetup('sgbmaster');
  }, 60_000);

  afterAll(async () => {
    for (const ctx of open.splice(0)) await ctx.close().catch(() => undefined);
    probe?.disconnect();
    await setup?.stop();
  }, 60_000);

  it('follows the sentinels to the promoted replica, and a run survives its primary being killed', async () => {
    const config = configFor({ sentinel: { sentinels: setup.sentinels, name: setup.name }, prefix: `sgb-sentinel-${Math.random().toString(36).slice(2, 8)}` });
    redisConfig = config.redis!;
    const { ctx, url } = await serve(config);
    expect(ctx.redis.mode).toBe('sentinel');
    expect(ctx.redis.prefix).toBe(config.redis!.prefix);
    probe = createRedisClient(redisConfig, 'state');
    probe.on('error', () => undefined);

    const root = await startRun(url, 'jan-2026', 'U0SENTINEL1');
    const runId = await runIdOf(root);
    const at = await midRun(probe, ctx.redis.prefix, runId);
    expect(finished(root)).toBe(false);
    // The bot's keys are on the primary the sentinels name.
    expect(setup.currentPrimary()).toBe(setup.primaryPort);

    const killedAt = Date.now();
    setup.kill(setup.primaryPort);
    const promoted = await setup.waitForFailover(setup.primaryPort);
    expect(promoted).toBe(setup.replicaPort);
    const failoverMs = Date.now() - killedAt;

    await expectTruth(root, '2026-01');
    // The ops database's row is finished just after the root message (best-effort bookkeeping).
    await until(async () => ((await opsStatus(root)) === 'done' ? true : null), 15_000, 'the run done in the ops database');
    const next = await startRun(url, 'dec-2025', 'U0SENTINEL2');
    await expectTruth(next, '2025-12');
    console.info(`sentinel: killed at ${at.done} of ${at.total} windows; failover in ${failoverMs} ms; the run finished ${Date.now() - killedAt} ms after the kill`);
  }, 240_000);
});
