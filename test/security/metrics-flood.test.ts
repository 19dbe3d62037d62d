// Threat: /metrics and /readyz listened on 0.0.0.0 without authentication, and each scrape queried the ops
// database through the pool that backfill state changes use: a flood of scrapes could starve approvals. Now the
// server binds 127.0.0.1 by default, /metrics takes an optional bearer token, and the gauges come from a snapshot
// refreshed at most every 15 s on a connection of their own. Here 500 scrapes arrive in 5 s while bob approves.
import { Queue } from 'bullmq';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKFILL_QUEUE } from '../../src/backfill/processor.js';
import { observabilitySchema } from '../../src/config/observability-schema.js';
import type { Config } from '../../src/config/schema.js';
import { createServeContext, type ServeContext } from '../../src/main.js';
import { createLogger } from '../../src/shared/logger.js';
import { createDemoDatabase, REDIS_URL, testPool, type DemoDatabase } from '../support/demo-database.js';
import { parsePrometheusText } from '../support/prom-text.js';
import { startSlackEmulator, type SlackEmulator } from '../support/slack-emulator.js';
import { ALICE, BOB, CHANNEL, click, current, env, gapRun, newPlan, planningShown, requestButton, SECRET, status, textOf } from '../component/backfill-slack-support.js';

const TOKEN = 'metrics-token-0123456789abcdef';
let demo: DemoDatabase;
let slack: SlackEmulator;
let ctx: ServeContext;
let config: Config;

beforeAll(async () => {
  demo = await createDemoDatabase({ scale: 0.002, seed: 7, customers: ['rentokil'], from: '2026-01-01', to: '2026-02-01' });
  slack = await startSlackEmulator();
  config = demo.config({
    slack: { mode: 'http', botToken: 'xoxb-test-token', signingSecret: SECRET, port: 0, apiUrl: slack.apiUrl, allowedChannels: [CHANNEL], approvers: { users: [BOB], userGroups: [] } },
    backfill: { chunkSize: 500, maxRowsPerSecond: 4000 },
    observability: { port: 0, token: TOKEN },
  });
  ctx = await createServeContext(config, { listen: true, logger: createLogger({ level: 'silent' }) });
  const url = `http://127.0.0.1:${await ctx.start()}/slack/events`;
  const ops = testPool(config.ops!.url, 2);
  const admin = testPool(demo.adminUrl, 2);
  const queue = new Queue(BACKFILL_QUEUE, { connection: { url: REDIS_URL }, prefix: config.redis!.prefix });
  Object.assign(env, { demo, slack, url, ops, admin, queue });
}, 180_000);

afterAll(async () => {
  await env.queue?.close();
  await ctx?.close();
  await env.ops?.end();
  await env.admin?.end();
  await slack?.close();
  await demo?.drop();
});

/** The local address of the listening socket on `port`, as /proc/net/tcp{,6} prints it. */
function listenAddress(port: number): string[] {
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const [address = '', hex = '0'] = (f[1] ?? '').split(':');
      if (f[3] === '0A' && parseInt(hex, 16) === port) out.push(address);
    }
  }
  return out;
}

describe('/metrics and /readyz', () => {
  it('bind 127.0.0.1 unless told otherwise', () => {
    expect(observabilitySchema.parse({}).host).toBe('127.0.0.1');
    expect(listenAddress(ctx.observability!.port)).toEqual(['0100007F']);
  });

  it('refuse /metrics without the bearer token; /healthz stays open', async () => {
    const base = `http://127.0.0.1:${ctx.observability!.port}`;
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789abcd' } })).status).toBe(401);
    const ok = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(parsePrometheusText(await ok.text()).types.get('scorecard_bot_queue_jobs')).toBe('gauge');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('500 scrapes in 5 s cost at most one gauge refresh, and an approval goes through meanwhile', async () => {
    const report = await gapRun('rentokil jan-2026');
    const button = requestButton(report.replies);
    const id = await click('backfill_request', button.value, { user: ALICE, messageTs: button.ts, threadTs: report.rootTs });
    await planningShown(report.rootTs, id);
    const plan = await newPlan(report.rootTs, 0);

    const base = `http://127.0.0.1:${ctx.observability!.port}`;
    const refreshesBefore = ctx.gauges.refreshes;
    const statuses: number[] = [];
    const scrape = async (i: number): Promise<void> => {
      await new Promise((r) => setTimeout(r, i * 10)); // 500 spread over 5 s
      const path = i % 5 === 0 ? '/readyz' : '/metrics';
      const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      await res.text();
      statuses.push(res.status);
    };
    const flood = Promise.all(Array.from({ length: 500 }, (_, i) => scrape(i)));
    await new Promise((r) => setTimeout(r, 500)); // the flood is under way
    await click('backfill_approve', `${plan.requestId} ${plan.hash}`, { user: BOB, messageTs: plan.msg.ts, threadTs: report.rootTs });
    await slack.waitFor(() => /Approved by <@U0BOB>/.test(textOf(current(plan.msg.ts))), 30_000);
    await flood;

    expect(statuses.filter((s) => s === 200)).toHaveLength(500);
    // One refresh per 15 s window at most: the flood did not become 500 reads of the ops database.
    expect(ctx.gauges.refreshes - refreshesBefore).toBeLessThanOrEqual(1);
    expect(['approved', 'running', 'done']).toContain(await status(plan.requestId));
    const result = await slack.waitFor(() => slack.threadReplies(CHANNEL, report.rootTs).find((m) => /^Backfill (done|done with remainder|failed)/.test(m.text ?? '')), 180_000);
    expect(result.text).toMatch(/^Backfill done:/);
  }, 300_000);
});
