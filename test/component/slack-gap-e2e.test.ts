import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServeContext, type ServeContext } from '../../src/main.js';
import { QUEUES } from '../../src/gap/core/gap-job-payloads.js';
import { createLogger } from '../../src/shared/logger.js';
import type { Config } from '../../src/config/schema.js';
import type { CountPair } from '../../dev/demo/ground-truth.js';
import { createDemoDatabase, REDIS_URL, type DemoDatabase } from '../support/demo-database.js';
import { startSlackEmulator, type SlackEmulator, type StoredMessage } from '../support/slack-emulator.js';
import { assertCountCells, intCell, messageTables, pctCell, tableTitled } from '../support/slack-tables.js';
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
const fmt = (n: number): string => n.toLocaleString('en-US');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** '2025-08' -> 'Aug 2025' */
const monthLabel = (month: string): string => `${MONTHS[Number(month.slice(5)) - 1]} ${month.slice(0, 4)}`;
/** 'Jan 23 03:00' -> '2026-01-23T03' (the report is for Jan 2026) */
function hourKey(label: string): string {
  const m = /^([A-Z][a-z]{2}) (\d{1,2}) (\d{2}):00$/.exec(label);
  if (!m) throw new Error(`not an hour label: ${label}`);
  return `2026-${String(MONTHS.indexOf(m[1]!) + 1).padStart(2, '0')}-${m[2]!.padStart(2, '0')}T${m[3]}`;
}

/** [total, missing, % missing] cells against the truth's [total, missing]; the % within its rounding. */
function expectCounts(cells: string[], pair: CountPair | undefined, where: string): void {
  const [total, missing] = pair ?? [0, 0];
  assertCountCells(cells, total, missing, where);
}

/** The headline's "*Submitted*\n1,165 of 3,637 missing (32.0%)" field as [total, missing]. */
function headlineCounts(m: StoredMessage, label: string): CountPair {
  const fields = (m.blocks ?? []).flatMap((b) => ((b as { fields?: { text: string }[] }).fields ?? []).map((f) => f.text));
  const field = fields.find((f) => f.startsWith(`*${label}*\n`));
  const parsed = /^\*[^*]+\*\n([\d,]+) of ([\d,]+) missing \(([^)]+)\)$/.exec(field ?? '');
  if (!parsed) throw new Error(`no ${label} field in the headline: ${JSON.stringify(fields)}`);
  const [missing, total] = [intCell(parsed[1]), intCell(parsed[2])];
  expect(Math.abs((pctCell(parsed[3]) ?? NaN) - (100 * missing) / total)).toBeLessThanOrEqual(0.05 + 1e-9);
  return [total, missing];
}

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

    const root = await slack.waitFor(() => slack.messages(CHANNEL).find((m) => (m.text ?? '').includes('Investigating rentokil, Jan 2026')), 30_000);
    // Done when the root message carries the verdict.
    await slack.waitFor(() => slack.callsTo('chat.update').some((c) => c.args.ts === root.ts && /Details in the thread/.test(String(c.args.text))), 60_000);
    // Files arrive before the final root update.
    const replies = slack.threadReplies(CHANNEL, root.ts);

    // The numbers are the demo data's ground truth, read cell by cell from what was posted.
    const truth = demo.truth.perCustomer.rentokil!;
    const jan = { submitted: truth.monthly.submitted['2026-01']!, unsubmitted: truth.monthly.unsubmitted['2026-01']! };
    expect(jan.submitted).toEqual([3_637, 1_165]); // the incident's numbers at this scale
    const headline = replies[0]!;
    expect(headlineCounts(headline, 'Submitted')).toEqual(jan.submitted);
    // Issue 22: at most 6 replies. Here (no change sources): headline and findings, the tables, the chart and the
    // CSV in one upload, the backfill button.
    expect(replies).toHaveLength(4);
    expect(replies[0]!.blocks?.[0]).toMatchObject({ type: 'header' });
    expect(textOf(replies[0]!)).toContain('*Findings*');
    expect(replies[1]!.text).toBe('rentokil Jan 2026: Monthly, Daily, Hourly and Timeline tables');
    expect(replies[2]!.files?.map((f) => f.title)).toEqual(['rentokil: daily missing rate, Jan 2026', 'rentokil: missing scorecard IDs, Jan 2026']);
    expect(textOf(replies[3]!)).toContain('backfill_request');
    expect(headlineCounts(headline, 'Unsubmitted')).toEqual(jan.unsubmitted);

    // Findings in plain sentences, in the thread, before the tables.
    const all = replies.map(textOf).join('\n');
    expect(all).toMatch(/Jan 21|2026-01-21/);
    expect(all).toContain("Sonya's Test - Process Template CSAT");

    const tables = messageTables(replies);
    expect(tables.map((t) => t.title)).toEqual(['Monthly', 'Daily', 'Hourly', 'Timeline']);

    // Monthly: one row a month of the history, Aug 2025 to Jan 2026, each population's [total, missing, %].
    const monthly = tableTitled(tables, 'Monthly');
    expect(monthly.rows[0]).toEqual(['Month', 'Submitted', 'Missing', '% Missing', 'Unsubmitted', 'Missing', '% Missing']);
    const months = ['2025-08', '2025-09', '2025-10', '2025-11', '2025-12', '2026-01'];
    expect(monthly.rows.slice(1).map((r) => r[0])).toEqual(months.map(monthLabel));
    for (const [i, month] of months.entries()) {
      const row = monthly.rows[i + 1]!;
      expectCounts(row.slice(1, 4), truth.monthly.submitted[month], `${month} submitted`);
      expectCounts(row.slice(4, 7), truth.monthly.unsubmitted[month], `${month} unsubmitted`);
    }

    // Daily: every day of January, including the incident days Jan 15-28.
    const daily = tableTitled(tables, 'Daily');
    const days = Array.from({ length: 31 }, (_, i) => `2026-01-${String(i + 1).padStart(2, '0')}`);
    expect(daily.rows.slice(1).map((r) => r[0])).toEqual(days);
    for (const [i, day] of days.entries()) {
      const row = daily.rows[i + 1]!;
      expectCounts(row.slice(1, 4), truth.daily.submitted[day], `${day} submitted`);
      expectCounts(row.slice(4, 7), truth.daily.unsubmitted[day], `${day} unsubmitted`);
    }
    expect(intCell(daily.rows[days.indexOf('2026-01-23') + 1]![5])).toBeGreaterThan(0);

    // Hourly: the hours shown, each as the truth has it, and the batch failure's hour among them.
    const hourly = tableTitled(tables, 'Hourly');
    const batch = truth.events.find((e) => e.kind === 'batch_failure');
    expect(batch?.kind).toBe('batch_failure');
    const hours = hourly.rows.slice(1).map((r) => hourKey(r[0]!));
    expect(hours).toContain(batch!.at.slice(0, 13));
    for (const [i, hour] of hours.entries()) {
      const row = hourly.rows[i + 1]!;
      expectCounts(row.slice(1, 4), truth.hourly.submitted[hour], `${hour} submitted`);
      expectCounts(row.slice(4, 7), truth.hourly.unsubmitted[hour], `${hour} unsubmitted`);
    }

    // Timeline: the batch failure with the truth's counts.
    const timeline = tableTitled(tables, 'Timeline');
    const batchRow = timeline.rows.find((r) => r[2]?.startsWith('Batch failure'));
    if (batch?.kind !== 'batch_failure') throw new Error('no batch failure in the truth');
    expect(batchRow?.[2]).toMatch(new RegExp(`^Batch failure: ${fmt(batch.missing)} of ${fmt(batch.total)} missing`));

    // A backfill button, the chart and the CSV.
    expect(all).toContain('backfill_request');
    const uploads = slack.uploads.filter((u) => u.threadTs === root.ts && u.completed);
    const png = uploads.find((u) => u.filename.endsWith('.png'));
    const csv = uploads.find((u) => u.filename.endsWith('.csv'));
    expect(png?.bytes?.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const csvLines = csv!.bytes!.toString('utf8').trim().split(/\r?\n/);
    expect(csvLines.length - 1).toBe(jan.submitted[1] + jan.unsubmitted[1]);

    // Progress: the root message was edited while windows ran, each within Slack's limits.
    const progress = slack.callsTo('chat.update').filter((c) => c.args.ts === root.ts && /windows/.test(String(c.args.text)));
    expect(progress.length).toBeGreaterThanOrEqual(1);

    // The run is recorded in the ops database, with who asked and how it ended.
    const ops = new pg.Client({ connectionString: demo.adminUrl });
    await ops.connect();
    try {
      // The run's record may be finished a moment after the root message's last edit: poll, generously.
      const read = async () => (await ops.query('SELECT customer, requested_by, status, verdict FROM scorecard_bot.gap_runs WHERE root_ts = $1', [root.ts])).rows;
      for (let i = 0; i < 300 && (await read())[0]?.status === 'queued'; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await read()).toEqual([{ customer: 'rentokil', requested_by: 'U0ALICE', status: 'done', verdict: 'gap' }]);
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
    await slack.waitFor(() => slack.responses.find((r) => /already running/.test(JSON.stringify(r.body))), 30_000);
    expect(slack.messages('C0OTHER').length - before).toBe(1);
  });
});

describe('resilience', () => {
  it('answers ephemerally when Redis is down, and starts nothing (a real serve process)', async () => {
    // A process of its own: whatever a dead Redis does to the bot's clients must not reach this test's process,
    // and the bot must stay up through it.
    const dir = mkdtempSync(join(tmpdir(), 'sgb-redis-down-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ ...demo.config({ ...slackConfig(), redis: { url: 'redis://127.0.0.1:1', prefix: 'down' } }), logLevel: 'warn' }));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--config', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    try {
      const port = await slack.waitFor(() => /listening on port (\d+)/.exec(stderr)?.[1], 60_000);
      const before = slack.messages(CHANNEL).length;
      const id = `redis-down-${Date.now()}`;
      const res = await postSigned(`http://127.0.0.1:${port}/slack/events`, SECRET, slashCommandBody({ command: '/scorecard-gap', text: 'rentokil jan-2026', response_url: slack.responseUrl(id) }));
      expect(res.status).toBe(200);
      const reply = await slack.waitFor(() => slack.responses.find((r) => r.id === id), 30_000);
      expect(JSON.stringify(reply.body)).toContain('Cannot reach the job queue (Redis)');
      expect(reply.body.response_type).toBe('ephemeral');
      expect(slack.messages(CHANNEL).length).toBe(before);
      // Still up a moment later, and still answering.
      await new Promise((r) => setTimeout(r, 1_000));
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);
});

describe('/scorecard-gap all', () => {
  it('posts the impact table for every customer into one thread', async () => {
    // Another person: the runs earlier tests started for U0ALICE may still count against slack.maxRunsPerUser.
    await postSigned(url, SECRET, command('all jan-2026', { user_id: 'U0CAROL' }));
    const root = await slack.waitFor(() => slack.messages(CHANNEL).find((m) => /Investigating all 2 customers/.test(m.text ?? '')), 30_000);
    const done = await slack.waitFor(
      () => slack.callsTo('chat.update').find((c) => c.args.ts === root.ts && /customers/.test(String(c.args.text)) && !/Investigating/.test(String(c.args.text))),
      60_000,
    );
    expect(String(done.args.text)).toMatch(/Scorecards missing for 2 of 2 customers \(rentokil, nclh\)/);
    const replies = slack.threadReplies(CHANNEL, root.ts);
    // One table message and a card per customer with findings (both have them in the truth); no healthy line.
    expect(replies).toHaveLength(3);
    expect(replies.map((r) => (r.text ?? '').split(':')[0])).toEqual(['All customers, Jan 2026', 'rentokil, Jan 2026', 'nclh, Jan 2026']);
    expect(JSON.stringify(done.args.blocks)).toContain('Requested by <@U0CAROL>');
    const impact = tableTitled(messageTables(replies), 'Scale of impact');
    expect(impact.rows[0]).toEqual(['Customer', 'Profile', 'Total Submitted', 'Missing', '% Missing', 'Total Unsubmitted', 'Missing', '% Missing']);
    expect(impact.rows.slice(1).map((r) => r[0])).toEqual(['rentokil', 'nclh', 'Total (2 customers)']);
    const sum: Record<'submitted' | 'unsubmitted', CountPair> = { submitted: [0, 0], unsubmitted: [0, 0] };
    for (const [i, customer] of (['rentokil', 'nclh'] as const).entries()) {
      const row = impact.rows[i + 1]!;
      const t = demo.truth.perCustomer[customer]!;
      expect(row[1]).toBe(demo.truth.profileId);
      for (const [pop, at] of [['submitted', 2], ['unsubmitted', 5]] as const) {
        const pair = t.monthly[pop]['2026-01'] ?? [0, 0];
        expectCounts(row.slice(at, at + 3), pair, `${customer} ${pop}`);
        sum[pop] = [sum[pop][0] + pair[0], sum[pop][1] + pair[1]];
      }
    }
    const total = impact.rows[3]!;
    expectCounts(total.slice(2, 5), sum.submitted, 'total submitted');
    expectCounts(total.slice(5, 8), sum.unsubmitted, 'total unsubmitted');
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
    const reply = await slack.waitFor(() => slack.responses.find((r) => r.id === req.id), 30_000);
    expect(reply.body.response_type).toBe('ephemeral');
    const text = JSON.stringify(reply.body);
    expect(text).toContain(planted!.scorecardId);
    expect(text).toContain('backfill_scorecard');
    // The evidence table, read cell by cell, against the planted scorecard's truth.
    const [evidence] = messageTables([reply.body as { blocks?: unknown[] }]);
    expect(evidence?.rows[0]).toEqual(['Tier', 'State', 'Detail']);
    const created = planted!.createdAt;
    expect(evidence?.rows.find((r) => r[0] === 'director')?.[2]).toContain(`created ${created.slice(0, 10)} ${created.slice(11, 16)} UTC`);
    expect(evidence?.rows.find((r) => r[0] === 'historic')?.[1]).toBe('0 rows');
  });

  it('posts in the channel when asked with "public"', async () => {
    const healthy = demo.truth.checkCases.healthy;
    const req = check(`${healthy!.scorecardId} public`);
    await postSigned(url, SECRET, req.body);
    const reply = await slack.waitFor(() => slack.responses.find((r) => r.id === req.id), 30_000);
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
  it('is acknowledged over a signed interaction; an old button carrying a scope instead of a run ID changes nothing', async () => {
    const id = `click-${Date.now()}`;
    const body = interactionBody(
      blockActionPayload({ actionId: 'backfill_request', value: JSON.stringify({ customer: 'rentokil' }), messageTs: '1.000001', responseUrl: slack.responseUrl(id) }),
    );
    const res = await postSigned(url, SECRET, body);
    expect(res.status).toBe(200);
    const reply = await slack.waitFor(() => slack.responses.find((r) => r.id === id), 30_000);
    expect(reply.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(String(reply.body.text)).toContain('made before backfills were enabled');
    expect(String(reply.body.text)).toContain('nothing was changed');
  });
});
