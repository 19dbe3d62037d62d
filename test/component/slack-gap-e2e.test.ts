import { Queue } from 'bullmq';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServeContext, type ServeContext } from '../../src/main.js';
import { QUEUES } from '../../src/gap/gap-job-payloads.js';
import { runGap } from '../../src/gap/gap-service.js';
import { parsePeriod } from '../../src/period/parse-period.js';
import { createClickhouseTier } from '../../src/sources/clickhouse.js';
import { CustomerSources } from '../../src/sources/customer-sources.js';
import { createLogger } from '../../src/shared/logger.js';
import type { Config } from '../../src/config/schema.js';
import { createDemoDatabase, REDIS_URL, type DemoDatabase } from '../support/demo-database.js';
import { startSlackEmulator, type SlackEmulator, type StoredMessage } from '../support/slack-emulator.js';
import { blockActionPayload, interactionBody, postSigned, slashCommandBody } from '../support/slack-requests.js';

// End to end over HTTP: signed slash commands into the real Bolt app, real BullMQ on Redis, real PostgreSQL and
// ClickHouse; Slack's Web API emulated at the HTTP boundary. Assertions are on what the bot posted.

const SECRET = 'test-signing-secret';
const CHANNEL = 'C0INCIDENT';

let demo: DemoDatabase;
let slack: SlackEmulator;
let ctx: ServeContext;
let url: string;
let config: Config;

function slackConfig(extra: Partial<NonNullable<Config['slack']>> = {}): Record<string, unknown> {
  return {
    slack: {
      mode: 'http',
      botToken: 'xoxb-test-token',
      signingSecret: SECRET,
      port: 0,
      apiUrl: slack.apiUrl,
      allowedChannels: [CHANNEL, 'C0OTHER'],
      allowedUsers: [],
      approvers: { users: [], userGroups: [] },
      ...extra,
    },
  };
}

beforeAll(async () => {
  demo = await createDemoDatabase({ scale: 0.01, seed: 5, customers: ['rentokil', 'nclh'], from: '2025-08-01', to: '2026-02-01' });
  slack = await startSlackEmulator();
  config = demo.config(slackConfig());
  ctx = await createServeContext(config, { listen: true, logger: createLogger({ level: 'silent' }), lockDurationMs: 5000, stalledIntervalMs: 2000 });
  const port = await ctx.start();
  url = `http://127.0.0.1:${port}/slack/events`;
});

afterAll(async () => {
  await ctx?.close();
  await slack?.close();
  await demo?.drop();
});

const command = (text: string, extra: { user_id?: string; channel_id?: string } = {}) =>
  slashCommandBody({ command: '/scorecard-gap', text, response_url: slack.responseUrl(), ...extra });

const textOf = (m: StoredMessage): string => JSON.stringify(m.blocks ?? []) + (m.text ?? '');

async function jobCounts(): Promise<number> {
  const q = new Queue(QUEUES.report, { connection: { url: REDIS_URL }, prefix: config.redis!.prefix });
  try {
    const c = await q.getJobCounts();
    return Object.values(c).reduce((a, b) => a + b, 0);
  } finally {
    await q.close();
  }
}

describe('/scorecard-gap over signed HTTP', () => {
  it('acks, posts a root message, reports progress, then the whole report into the thread', async () => {
    const started = Date.now();
    const res = await postSigned(url, SECRET, command('rentokil jan-2026'));
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3000);

    const root = await slack.waitFor(() => slack.messages(CHANNEL).find((m) => (m.text ?? '').includes('Investigating rentokil, Jan 2026')), 10_000);
    // Done when the root message carries the verdict.
    await slack.waitFor(() => slack.callsTo('chat.update').some((c) => c.args.ts === root.ts && /Details in the thread/.test(String(c.args.text))), 60_000);
    // Files arrive before the final root update.
    const replies = slack.threadReplies(CHANNEL, root.ts);

    // The same numbers as the engine computes directly.
    const direct = await runGap(
      { sources: new CustomerSources(config), clickhouse: createClickhouseTier(config.clickhouse!), settings: config.gap, logger: createLogger({ level: 'silent' }) },
      'rentokil',
      parsePeriod('jan-2026'),
    );
    const headline = replies[0]!;
    const fmt = (n: number) => n.toLocaleString('en-US');
    expect(textOf(headline)).toContain(fmt(direct.populations.submitted.total));
    expect(textOf(headline)).toContain(fmt(direct.populations.unsubmitted.missing));

    // Findings in plain sentences, in the thread, before the tables.
    const all = replies.map(textOf).join('\n');
    expect(all).toMatch(/Jan 21|2026-01-21/);
    expect(all).toContain("Sonya's Test - Process Template CSAT");

    // The daily table block holds the engine's daily numbers.
    const tables = replies.flatMap((m) => (m.blocks ?? []).filter((b) => (b as { type: string }).type === 'table')) as { rows: { text?: string }[][] }[];
    expect(tables.length).toBeGreaterThanOrEqual(3);
    const cells = tables.flatMap((t) => t.rows.map((r) => r.map((c) => (c as { text?: string }).text ?? JSON.stringify(c)).join('|')));
    const jan23 = direct.daily.find((d) => d.date === '2026-01-23')!;
    expect(cells.some((row) => row.includes(fmt(jan23.unsubmitted.total)) && row.includes(fmt(jan23.unsubmitted.missing)))).toBe(true);

    // A backfill button, the chart and the CSV.
    expect(all).toContain('backfill_request');
    const uploads = slack.uploads.filter((u) => u.threadTs === root.ts && u.completed);
    const png = uploads.find((u) => u.filename.endsWith('.png'));
    const csv = uploads.find((u) => u.filename.endsWith('.csv'));
    expect(png?.bytes?.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const csvLines = csv!.bytes!.toString('utf8').trim().split(/\r?\n/);
    expect(csvLines.length - 1).toBe(direct.populations.submitted.missing + direct.populations.unsubmitted.missing);

    // Progress: the root message was edited while windows ran, each within Slack's limits.
    const progress = slack.callsTo('chat.update').filter((c) => c.args.ts === root.ts && /windows/.test(String(c.args.text)));
    expect(progress.length).toBeGreaterThanOrEqual(1);

    // The run is recorded in the ops database, with who asked and how it ended.
    const ops = new pg.Client({ connectionString: demo.adminUrl });
    await ops.connect();
    try {
      const { rows } = await ops.query('SELECT customer, requested_by, status, verdict FROM scorecard_bot.gap_runs WHERE root_ts = $1', [root.ts]);
      expect(rows).toEqual([{ customer: 'rentokil', requested_by: 'U0ALICE', status: 'done', verdict: 'gap' }]);
    } finally {
      await ops.end();
    }
  });

  it.each([
    ['rentokil janvier', 'not a period'],
    ['acme jan-2026', 'Known customers: rentokil, nclh'],
    ['rentokil', 'customer and a period'],
    ["rentokil'; DROP TABLE x;-- jan-2026", 'I expected two words'],
  ])('refuses %j ephemerally and enqueues nothing', async (text, needle) => {
    const before = await jobCounts();
    const res = await postSigned(url, SECRET, command(text));
    expect(res.status).toBe(200);
    const body = res.json as { response_type: string; text: string };
    expect(body.response_type).toBe('ephemeral');
    expect(JSON.stringify(body)).toContain(needle);
    expect(await jobCounts()).toBe(before);
  });

  it('refuses a channel that is not allowed', async () => {
    const res = await postSigned(url, SECRET, command('rentokil jan-2026', { channel_id: 'C0RANDOM' }));
    expect(JSON.stringify(res.json)).toContain('not enabled in this channel');
  });

  it('rejects a bad signature and a stale timestamp with 401', async () => {
    expect((await postSigned(url, SECRET, command('rentokil jan-2026'), { secret: 'wrong' })).status).toBe(401);
    expect((await postSigned(url, SECRET, command('rentokil jan-2026'), { timestamp: Math.floor(Date.now() / 1000) - 600 })).status).toBe(401);
  });

  it('joins a run already in progress instead of starting another', async () => {
    const before = slack.messages('C0OTHER').length;
    const first = postSigned(url, SECRET, command('nclh dec-2025..jan-2026', { channel_id: 'C0OTHER' }));
    const second = postSigned(url, SECRET, command('nclh dec-2025..jan-2026', { channel_id: 'C0OTHER' }));
    await Promise.all([first, second]);
    await slack.waitFor(() => slack.responses.find((r) => /already running/.test(JSON.stringify(r.body))), 10_000);
    expect(slack.messages('C0OTHER').length - before).toBe(1);
  });
});

describe('resilience', () => {
  it('answers ephemerally when Redis is down, and starts nothing', async () => {
    const down = await createServeContext(demo.config({ ...slackConfig(), redis: { url: 'redis://127.0.0.1:1', prefix: 'down' } }), {
      listen: true,
      workers: false,
      logger: createLogger({ level: 'silent' }),
    });
    try {
      const port = await down.start();
      const id = `redis-down-${Date.now()}`;
      const res = await postSigned(`http://127.0.0.1:${port}/slack/events`, SECRET, slashCommandBody({ command: '/scorecard-gap', text: 'rentokil jan-2026', response_url: slack.responseUrl(id) }));
      expect(res.status).toBe(200);
      const reply = await slack.waitFor(() => slack.responses.find((r) => r.id === id), 10_000);
      expect(JSON.stringify(reply.body)).toContain('queue (Redis) is unavailable');
      expect(reply.body.response_type).toBe('ephemeral');
    } finally {
      await down.close();
    }
  });
});

describe('/scorecard-gap all', () => {
  it('posts the impact table for every customer into one thread', async () => {
    await postSigned(url, SECRET, command('all jan-2026'));
    const root = await slack.waitFor(() => slack.messages(CHANNEL).find((m) => /Investigating all 2 customers/.test(m.text ?? '')), 10_000);
    const done = await slack.waitFor(
      () => slack.callsTo('chat.update').find((c) => c.args.ts === root.ts && /customers/.test(String(c.args.text)) && !/Investigating/.test(String(c.args.text))),
      60_000,
    );
    expect(String(done.args.text)).toMatch(/Scorecards missing for 2 of 2 customers \(rentokil, nclh\)/);
    const replies = slack.threadReplies(CHANNEL, root.ts);
    const table = replies.flatMap((m) => (m.blocks ?? []).filter((b) => (b as { type: string }).type === 'table'))[0] as { rows: { text?: string }[][] };
    const rows = table.rows.map((r) => r.map((c) => c.text ?? '').join('|'));
    const t = demo.truth.perCustomer.rentokil!;
    const [total, missing] = t.monthly.submitted['2026-01'] ?? [0, 0];
    expect(rows.some((r) => r.startsWith('rentokil') && r.includes(total.toLocaleString('en-US')) && r.includes(missing.toLocaleString('en-US')))).toBe(true);
  });
});

describe('/scorecard-check over signed HTTP', () => {
  const check = (text: string, id = `check-${Math.random().toString(36).slice(2)}`) => ({
    id,
    body: slashCommandBody({ command: '/scorecard-check', text, response_url: slack.responseUrl(id) }),
  });

  it('explains a missing scorecard, ephemerally, with the evidence table and a backfill button', async () => {
    const planted = demo.truth.checkCases.missingHistoric;
    expect(planted).toBeTruthy();
    const req = check(planted!.scorecardId.toUpperCase());
    expect((await postSigned(url, SECRET, req.body)).status).toBe(200);
    const reply = await slack.waitFor(() => slack.responses.find((r) => r.id === req.id), 15_000);
    expect(reply.body.response_type).toBe('ephemeral');
    const text = JSON.stringify(reply.body);
    console.log(text.slice(0, 1500));
    expect(text).toContain(planted!.scorecardId);
    expect(text).toContain('backfill_scorecard');
    expect(text).toContain('"type":"table"');
  });

  it('posts in the channel when asked with "public"', async () => {
    const healthy = demo.truth.checkCases.healthy;
    const req = check(`${healthy!.scorecardId} public`);
    await postSigned(url, SECRET, req.body);
    const reply = await slack.waitFor(() => slack.responses.find((r) => r.id === req.id), 15_000);
    expect(reply.body.response_type).toBe('in_channel');
  });

  it('refuses a malformed ID in the ack, with an example', async () => {
    const res = await postSigned(url, SECRET, check('not-a-uuid').body);
    const body = res.json as { response_type: string; text: string };
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toContain('019bcaf4-4b65-7838-b07d-20640fe7628e');
  });
});

describe('the Request backfill button', () => {
  it('is acknowledged over a signed interaction and says, truthfully, that nothing was changed', async () => {
    const id = `click-${Date.now()}`;
    const body = interactionBody(
      blockActionPayload({ actionId: 'backfill_request', value: JSON.stringify({ customer: 'rentokil' }), messageTs: '1.000001', responseUrl: slack.responseUrl(id) }),
    );
    const res = await postSigned(url, SECRET, body);
    expect(res.status).toBe(200);
    const reply = await slack.waitFor(() => slack.responses.find((r) => r.id === id), 10_000);
    expect(reply.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(String(reply.body.text)).toContain('no data was changed');
  });
});
