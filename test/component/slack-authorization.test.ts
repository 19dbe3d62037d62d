import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServeContext, type ServeContext } from '../../src/main.js';
import { QUEUES } from '../../src/gap/core/gap-job-payloads.js';
import { runSubject } from '../../src/gap/core/gap-flow.js';
import { parsePeriod } from '../../src/period/parse-period.js';
import { RunState } from '../../src/gap/jobs/run-state.js';
import { createLogger } from '../../src/shared/logger.js';
import type { Config } from '../../src/config/schema.js';
import { createDemoDatabase, REDIS_URL, type DemoDatabase } from '../support/demo-database.js';
import { startSlackEmulator, type SlackEmulator } from '../support/slack-emulator.js';
import { blockActionPayload, interactionBody, postSigned, slashCommandBody } from '../support/slack-requests.js';

// Authorisation through the real Bolt app over signed HTTP: closed by default, the same gate for both commands
// and the buttons, a per-person limit on runs in flight. No workers run, so every started run stays in flight.

const SECRET = 'test-signing-secret';
const CHANNEL = 'C0SECURE';

let demo: DemoDatabase;
let slack: SlackEmulator;
let ctx: ServeContext;
let url: string;
let config: Config;
const logLines: Array<Record<string, unknown>> = [];

function slackSection(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { mode: 'http', botToken: 'xoxb-test-token', signingSecret: SECRET, port: 0, apiUrl: slack.apiUrl, allowedChannels: [CHANNEL], maxRunsPerUser: 2, ...extra };
}

beforeAll(async () => {
  demo = await createDemoDatabase({ scale: 0.002, seed: 11, customers: ['rentokil', 'nclh'], from: '2025-10-01', to: '2026-02-01' });
  slack = await startSlackEmulator();
  config = demo.config({ slack: slackSection() });
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  ctx = await createServeContext(config, { listen: true, workers: false, logger: createLogger({ level: 'info', destination: sink as never }) });
  url = `http://127.0.0.1:${await ctx.start()}/slack/events`;
});

afterAll(async () => {
  await ctx?.close();
  await slack?.close();
  await demo?.drop();
});

async function reportJobs(): Promise<number> {
  const q = new Queue(QUEUES.report, { connection: { url: REDIS_URL }, prefix: config.redis!.prefix });
  try {
    return Object.values(await q.getJobCounts()).reduce((a, b) => a + b, 0);
  } finally {
    await q.close();
  }
}

const gap = (text: string, extra: { user_id?: string; channel_id?: string; id?: string } = {}) =>
  slashCommandBody({ command: '/scorecard-gap', text, response_url: slack.responseUrl(extra.id), user_id: extra.user_id, channel_id: extra.channel_id ?? CHANNEL });

describe('closed by default', () => {
  it('refuses to start serve when no channel is allowed, naming the keys to set', async () => {
    const attempt = createServeContext(demo.config({ slack: slackSection({ allowedChannels: [] }) }), { listen: true, workers: false, logger: createLogger({ level: 'silent' }) });
    await expect(attempt).rejects.toMatchObject({ code: 'BAD_CONFIG', userMessage: expect.stringContaining('slack.allowedChannels') });
    await expect(attempt).rejects.toMatchObject({ hint: expect.stringContaining('slack.allowAllChannels: true') });
  });

  it.each([
    ['a channel that is not allowed', 'C0RANDOM', 'not enabled in this channel'],
    ['a direct message', 'D0DIRECT1', 'direct messages'],
  ])('refuses /scorecard-gap in %s ephemerally, posts and enqueues nothing, names no customer', async (_what, channel, needle) => {
    const before = { jobs: await reportJobs(), posts: slack.callsTo('chat.postMessage').length };
    // An unknown customer too: the list of known customers must not leak outside allowed channels.
    for (const text of ['rentokil jan-2026', 'acme jan-2026']) {
      const res = await postSigned(url, SECRET, gap(text, { channel_id: channel }));
      expect(res.status).toBe(200);
      const body = res.json as { response_type: string };
      expect(body.response_type).toBe('ephemeral');
      const shown = JSON.stringify(body);
      expect(shown).toContain(needle);
      expect(shown).toContain(`<#${CHANNEL}>`);
      expect(shown).not.toMatch(/rentokil|nclh|&lt;#/);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(await reportJobs()).toBe(before.jobs);
    expect(slack.callsTo('chat.postMessage').length).toBe(before.posts);
    expect(logLines.some((l) => l.msg === 'gap command refused' && l.channel === channel && l.code === 'NOT_ALLOWED')).toBe(true);
  });

  it('refuses /scorecard-check in a direct message and answers nothing through response_url', async () => {
    const id = `check-dm-${Date.now()}`;
    const res = await postSigned(url, SECRET, slashCommandBody({ command: '/scorecard-check', text: demo.truth.checkCases.healthy!.scorecardId, channel_id: 'D0DIRECT1', response_url: slack.responseUrl(id) }));
    expect((res.json as { response_type: string }).response_type).toBe('ephemeral');
    expect(JSON.stringify(res.json)).toContain('direct messages');
    await new Promise((r) => setTimeout(r, 1000));
    expect(slack.responses.filter((r) => r.id === id)).toHaveLength(0);
  });

  it('refuses a backfill button clicked outside the allowed channels', async () => {
    const refused = `click-out-${Date.now()}`;
    const ok = `click-in-${Date.now()}`;
    const click = (channel: string, id: string) =>
      interactionBody(blockActionPayload({ actionId: 'backfill_request', value: JSON.stringify({ customer: 'rentokil' }), messageTs: '1.000001', channel, responseUrl: slack.responseUrl(id) }));
    expect((await postSigned(url, SECRET, click('C0RANDOM', refused))).status).toBe(200);
    const no = await slack.waitFor(() => slack.responses.find((r) => r.id === refused), 10_000);
    expect(no.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(JSON.stringify(no.body)).toContain('not enabled in this channel');
    await postSigned(url, SECRET, click(CHANNEL, ok));
    const yes = await slack.waitFor(() => slack.responses.find((r) => r.id === ok), 10_000);
    // Allowed here, and then refused for what it carries: a scope, from a report made before backfills.
    expect(String(yes.body.text)).toContain('made before backfills were enabled');
  });
});

describe('runs in flight per person', () => {
  it('refuses the third concurrent run of one person, ephemerally, and starts nothing for it', async () => {
    const posts = () => slack.messages(CHANNEL).filter((m) => /requested by|U0CAROL/.test(JSON.stringify(m))).length;
    const before = { jobs: await reportJobs(), posts: posts() };
    for (const [i, period] of ['oct-2025', 'nov-2025'].entries()) {
      await postSigned(url, SECRET, gap(`rentokil ${period}`, { user_id: 'U0CAROL', id: `carol-${i}` }));
      await slack.waitFor(() => slack.messages(CHANNEL).find((m) => (m.text ?? '').includes(period === 'oct-2025' ? 'Oct 2025' : 'Nov 2025')), 10_000);
    }
    const third = `carol-third-${Date.now()}`;
    await postSigned(url, SECRET, gap('nclh dec-2025', { user_id: 'U0CAROL', id: third }));
    const reply = await slack.waitFor(() => slack.responses.find((r) => r.id === third), 10_000);
    expect(reply.body.response_type).toBe('ephemeral');
    expect(JSON.stringify(reply.body)).toContain('You already have 2 investigations running');
    expect(JSON.stringify(reply.body)).toContain('slack.maxRunsPerUser');
    await new Promise((r) => setTimeout(r, 500));
    expect(await reportJobs()).toBe(before.jobs + 2);
    expect(slack.messages(CHANNEL).some((m) => (m.text ?? '').includes('nclh, Dec 2025'))).toBe(false);
    // At her limit, Carol may still join a run in flight: that starts nothing.
    const join = `carol-join-${Date.now()}`;
    await postSigned(url, SECRET, gap('rentokil oct-2025', { user_id: 'U0CAROL', id: join }));
    const joined = await slack.waitFor(() => slack.responses.find((r) => r.id === join), 10_000);
    expect(String(joined.body.text)).toMatch(/already running: follow it here https:\/\/slack\.com\/archives\/C0SECURE\/p/);
    expect(await reportJobs()).toBe(before.jobs + 2);
    // Someone else is not affected by Carol's runs.
    await postSigned(url, SECRET, gap('nclh dec-2025', { user_id: 'U0DAVE' }));
    await slack.waitFor(() => slack.messages(CHANNEL).find((m) => (m.text ?? '').includes('nclh, Dec 2025')), 10_000);
    // Start and refusal are in the log: who and what.
    expect(logLines.some((l) => l.msg === 'gap run started' && l.user === 'U0CAROL' && l.customer === 'rentokil' && l.period === 'Oct 2025')).toBe(true);
    expect(logLines.some((l) => l.msg === 'gap command refused' && l.user === 'U0CAROL' && l.code === 'TOO_MANY_RUNS')).toBe(true);
  });
});

describe('a second identical command at the same instant', () => {
  it('waits for the first run\'s root message and links to it', async () => {
    // The first request has claimed (customer, period) and is still posting its root message.
    const redis = new Redis(REDIS_URL);
    const state = new RunState(redis, config.redis!.prefix);
    const subject = runSubject({ customer: 'nclh', period: parsePeriod('2026-01-05..2026-01-09') });
    try {
      expect(await state.claim(subject, { runId: 'first-run', channel: '', rootTs: '' })).toBeNull();
      const id = `second-${Date.now()}`;
      await postSigned(url, SECRET, gap('nclh 2026-01-05..2026-01-09', { id }));
      await new Promise((r) => setTimeout(r, 600));
      await state.update(subject, { runId: 'first-run', channel: CHANNEL, rootTs: '1767000000.123456' });
      const reply = await slack.waitFor(() => slack.responses.find((r) => r.id === id), 10_000);
      expect(String(reply.body.text)).toContain('already running');
      expect(String(reply.body.text)).toContain(`https://slack.com/archives/${CHANNEL}/p1767000000123456`);
      await state.release(subject, 'first-run');
    } finally {
      redis.disconnect();
    }
  });
});
