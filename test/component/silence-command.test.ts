// `/scorecard-gap silence|unsilence` through the real Bolt app over signed HTTP, Slack emulated, against a real ops
// database: a silence is recorded (who, where, customer, from/to, reason) and confirmed in the channel; bad text and
// requests from outside the allowed channels change nothing; the plain gap command still gets its own route; the
// App Home lists the silences in force (the command's and the config file's).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { createServeContext, type ServeContext } from '../../src/main.js';
import { createLogger } from '../../src/shared/logger.js';
import { createEmptyDatabase, deleteRedisKeys, REDIS_URL } from '../support/demo-database.js';
import { startSlackEmulator, type SlackEmulator } from '../support/slack-emulator.js';
import { openHomeTab, postSigned, slashCommandBody } from '../support/slack-requests.js';

const SECRET = 'silence-secret';
const CHANNEL = 'C0OPS';
const ALICE = 'U0ALICE';
const prefix = `silence-cmd-${process.pid}`;

let slack: SlackEmulator;
let ctx: ServeContext;
let url: string;
let eventsUrl: string;
let db: pg.Pool;
let dropOps: () => Promise<void>;

beforeAll(async () => {
  slack = await startSlackEmulator();
  slack.setChannelMembers(CHANNEL, [ALICE]);
  const ops = await createEmptyDatabase('sgb_silence');
  dropOps = ops.drop;
  const config = parseConfig(
    JSON.stringify({
      customers: ['acme', 'umbrella'].map((name) => ({ name, profile: 'p1', postgres: { url: 'postgres://ro@127.0.0.1:5432/none' } })),
      redis: { url: REDIS_URL, prefix },
      ops: { url: ops.url },
      slack: { mode: 'http', botToken: 'xoxb-test', signingSecret: SECRET, port: 0, apiUrl: slack.apiUrl, allowedChannels: [CHANNEL] },
      silences: [{ customer: 'umbrella', from: '2020-01-01T00:00:00Z', to: '2099-01-01T00:00:00Z', reason: 'decommissioning' }],
      logLevel: 'silent',
    }),
    {},
  );
  ctx = await createServeContext(config, { listen: true, workers: false, logger: createLogger({ level: 'silent' }) });
  const port = await ctx.start();
  url = eventsUrl = `http://127.0.0.1:${port}/slack/events`;
  db = new pg.Pool({ connectionString: ops.url, max: 1 });
}, 120_000);

afterAll(async () => {
  await ctx?.close();
  await db?.end();
  await slack?.close();
  await dropOps?.();
  await deleteRedisKeys(`${prefix}*`);
});

const command = (text: string, channel = CHANNEL) =>
  postSigned(url, SECRET, slashCommandBody({ command: '/scorecard-gap', text, channel_id: channel, user_id: ALICE, response_url: slack.responseUrl(`r-${Math.random()}`) }));
const silenceRows = async (): Promise<Record<string, unknown>[]> => (await db.query('SELECT * FROM scorecard_bot.watch_silences ORDER BY id')).rows;
const rootTexts = (): string[] => slack.messages(CHANNEL).map((m) => m.text ?? '');

describe('/scorecard-gap silence', () => {
  it('records who, where, the customer, from/to and the reason, and confirms it in the channel', async () => {
    const before = Date.now();
    const res = await command('silence acme 4h planned migration');
    expect(res.status).toBe(200);
    const confirmation = await slack.waitFor(() => rootTexts().find((t) => t.includes('silenced the watchdog for acme')), 10_000);
    const rows = await silenceRows();
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row).toMatchObject({ customer: 'acme', reason: 'planned migration', created_by: ALICE, channel: CHANNEL, ended_at: null });
    const from = (row.starts_at as Date).getTime();
    expect(from).toBeGreaterThanOrEqual(before - 1000);
    expect((row.ends_at as Date).getTime() - from).toBe(4 * 3_600_000);
    expect(confirmation).toContain(`<@${ALICE}> silenced the watchdog for acme for 4 hours`);
    expect(confirmation).toContain(`(silence #${String(row.id)})`);
  });

  it.each([
    ['silence acme forever planned work', 'duration'],
    ['silence acme 4h', 'needs a customer'],
    ['silence nosuch 4h planned work', "don't know a customer"],
    ['silence acme 8d a long migration', 'at most 7 days'],
    ['unsilence', 'Name one silence'],
  ])('refuses "%s" with the usage and an example, and records nothing', async (text, needle) => {
    const rows = (await silenceRows()).length;
    const posts = slack.callsTo('chat.postMessage').length;
    const res = await command(text);
    const body = JSON.stringify(res.json);
    expect((res.json as { response_type: string }).response_type).toBe('ephemeral');
    expect(body).toContain(needle);
    expect(body).toContain('/scorecard-gap silence acme 4h planned migration');
    await new Promise((r) => setTimeout(r, 300));
    expect(await silenceRows()).toHaveLength(rows);
    expect(slack.callsTo('chat.postMessage').length).toBe(posts);
  });

  it('is refused outside the allowed channels, before anything is recorded', async () => {
    const rows = (await silenceRows()).length;
    for (const channel of ['C0RANDOM', 'D0DIRECT1']) {
      const res = await command('silence acme 1h sneaky', channel);
      expect((res.json as { response_type: string }).response_type).toBe('ephemeral');
      expect(JSON.stringify(res.json)).toMatch(/not enabled in this channel|direct messages/);
    }
    expect(await silenceRows()).toHaveLength(rows);
  });

  it('lists the silences in force, the config file\'s among them', async () => {
    const res = await command('silence list');
    const text = JSON.stringify(res.json);
    expect(text).toContain('2 silences are in force');
    expect(text).toContain('*acme* until');
    expect(text).toContain('*umbrella* until 2099');
    expect(text).toContain('from the config file');
  });

  it('the plain gap command still reaches the gap route', async () => {
    const res = await command('acme');
    expect(JSON.stringify(res.json)).toContain('I need a customer and a period');
  });

  it('shows the silences in force on the App Home', async () => {
    const blocks = await openHomeTab(slack, eventsUrl, SECRET, ALICE);
    const section = blocks.find((b) => b.text?.text.startsWith(':mute: *Silenced*'));
    expect(section?.text?.text).toContain('*acme* until');
    expect(section?.text?.text).toContain('planned migration');
    expect(section?.text?.text).toContain('*umbrella* until 2099');
  });

  it('unsilence ends it early (by number), says so in the channel, and the config file\'s silence cannot be ended from Slack', async () => {
    const id = String((await silenceRows())[0]!.id);
    await command(`unsilence ${id}`);
    const said = await slack.waitFor(() => rootTexts().find((t) => t.includes('ended the silence of acme')), 10_000);
    expect(said).toContain(`#${id}`);
    expect((await silenceRows())[0]).toMatchObject({ ended_by: ALICE });
    expect((await silenceRows())[0]!.ended_at).toBeInstanceOf(Date);
    const again = await command('silence list');
    expect(JSON.stringify(again.json)).toContain('One silence is in force');
    const res = await command('unsilence umbrella');
    await slack.waitFor(() => slack.responses.find((r) => JSON.stringify(r.body).includes('No silence from Slack of umbrella')), 10_000);
    expect(res.status).toBe(200);
  });
});
