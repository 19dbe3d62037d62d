// The App Home shows each viewer the last runs and backfills in the channels they are in, with links to their
// threads, even with no audits configured. Through the emulator, with signed app_home_opened events, against a real
// ops database holding runs and backfill requests in three channels.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { BackfillStore } from '../../src/backfill/store.js';
import { createServeContext, type ServeContext } from '../../src/main.js';
import { OpsStore } from '../../src/ops/ops-store.js';
import { AlertStore } from '../../src/watch/alert-store.js';
import { createLogger } from '../../src/shared/logger.js';
import { createEmptyDatabase, deleteRedisKeys, REDIS_URL, testPool } from '../support/demo-database.js';
import { startSlackEmulator, type SlackEmulator } from '../support/slack-emulator.js';
import { openHomeTab } from '../support/slack-requests.js';

const SECRET = 'home-recent-secret';
const [INCIDENT, DATA, SECRET_CHANNEL] = ['C0INCIDENT', 'C0DATA', 'C0NOTALLOWED'];
const [ALICE, BOB] = ['U0ALICE', 'U0BOB'];

let slack: SlackEmulator;
let ctx: ServeContext;
let eventsUrl: string;
let dropOps: () => Promise<void>;
let opsUrl: string;
const prefix = `home-recent-${process.pid}`;

async function openHome(user: string): Promise<{ type: string; text?: { text: string } }[]> {
  return openHomeTab(slack, eventsUrl, SECRET, user);
}

const section = (blocks: { type: string; text?: { text: string } }[], heading: string): string[] => {
  const text = blocks.find((b) => b.type === 'section' && b.text?.text.startsWith(heading))?.text?.text;
  expect(text, heading).toBeDefined();
  return text!.split('\n').slice(1);
};

beforeAll(async () => {
  slack = await startSlackEmulator();
  slack.setChannelMembers(INCIDENT, [ALICE, BOB]);
  slack.setChannelMembers(DATA, [ALICE]);
  slack.setChannelMembers(SECRET_CHANNEL, [ALICE, BOB]);
  const ops = await createEmptyDatabase('sgb_recent');
  dropOps = ops.drop;
  opsUrl = ops.url;
  const config = parseConfig(
    JSON.stringify({
      customers: [{ name: 'acme', profile: 'p1', postgres: { url: 'postgres://ro@127.0.0.1:5432/none' } }],
      redis: { url: REDIS_URL, prefix },
      ops: { url: ops.url },
      slack: { mode: 'http', botToken: 'xoxb-test', signingSecret: SECRET, port: 0, apiUrl: slack.apiUrl, allowedChannels: [INCIDENT, DATA] },
      logLevel: 'silent',
    }),
    {},
  );
  ctx = await createServeContext(config, { listen: true, workers: false, logger: createLogger({ level: 'silent' }) });
  eventsUrl = `http://127.0.0.1:${await ctx.start()}/slack/events`;

  const pool = testPool(ops.url, 1);
  const store = new OpsStore(pool);
  // 12 runs in the incident channel (the 2 oldest fall off the list of 10), 1 in the data channel, 1 in a channel
  // the bot is not allowed in (a config since changed): each a minute apart.
  const at = (i: number): Date => new Date(Date.UTC(2026, 11, 7, 9, i));
  const runs = [
    ...Array.from({ length: 12 }, (_, i) => ({ runId: `run-inc-${i}`, channel: INCIDENT, minute: i, verdict: i % 2 ? 'gap' : 'no_gap' })),
    { runId: 'run-data', channel: DATA, minute: 20, verdict: 'gap' },
    { runId: 'run-secret', channel: SECRET_CHANNEL, minute: 30, verdict: 'gap' },
  ];
  for (const r of runs) {
    await store.recordRun({ runId: r.runId, customer: 'acme', periodLabel: `Jan 2026 #${r.runId}`, periodFrom: at(0).toISOString(), periodTo: at(1).toISOString(), requestedBy: ALICE, channel: r.channel, rootTs: `1765098000.${String(r.minute).padStart(6, '0')}` });
    await store.finishRun(r.runId, { status: 'done', verdict: r.verdict });
    await pool.query('UPDATE scorecard_bot.gap_runs SET created_at = $2 WHERE run_id = $1', [r.runId, at(r.minute)]);
  }
  const backfills = new BackfillStore(pool);
  const scope = { customer: 'acme', profile: 'p1', from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z', label: 'Jan 2026', clickhouse: false };
  await backfills.create({ id: 'bf-done', scope, requester: ALICE, channel: INCIDENT, threadTs: '1765098000.000011', expiresAt: new Date(Date.now() + 86_400_000) });
  await pool.query(
    `UPDATE scorecard_bot.backfill_requests SET status = 'done', decided_by = $1, result = '{"historicRows": 26114}'::jsonb, created_at = $2, finished_at = $2 WHERE id = 'bf-done'`,
    [BOB, at(40)],
  );
  await backfills.create({ id: 'bf-secret', scope, requester: BOB, channel: SECRET_CHANNEL, threadTs: '1765098000.000030', expiresAt: new Date(Date.now() + 86_400_000) });
  await pool.end();
}, 120_000);

afterAll(async () => {
  await ctx?.close();
  await slack?.close();
  await dropOps?.();
  await deleteRedisKeys(`${prefix}*`);
});

describe('the App Home: recent runs and backfills in the viewer\'s channels', () => {
  it('with no audits configured, shows the last 10 runs of the channels the viewer is in, newest first, with links', async () => {
    const blocks = await openHome(ALICE);
    const runs = section(blocks, '*Recent runs in your channels*');
    expect(runs).toHaveLength(10);
    // Newest first: the data channel's run (09:20), then the incident channel's from 09:11 down to 09:03.
    expect(runs[0]).toContain(`<https://slack.com/archives/${DATA}/p1765098000000020|acme Jan 2026 #run-data>`);
    expect(runs.slice(1).map((l) => /#run-inc-(\d+)/.exec(l)?.[1])).toEqual(['11', '10', '9', '8', '7', '6', '5', '4', '3']);
    expect(runs[1]).toContain(':red_circle: gap');
    expect(runs[2]).toContain(':large_green_circle: no gap');
    expect(runs[0]).toContain(`<@${ALICE}>`);
    expect(runs[0]).toContain('2026-12-07 09:20 UTC');
    // Never the run of a channel the bot is not allowed in, though Alice is in it.
    expect(JSON.stringify(blocks)).not.toContain('run-secret');
    const backfills = section(blocks, '*Recent backfills in your channels*');
    expect(backfills).toEqual([
      `<https://slack.com/archives/${INCIDENT}/p1765098000000011|Backfill acme Jan 2026> · :white_check_mark: done (26,114 rows written) · asked by <@${ALICE}>, approved by <@${BOB}> · 2026-12-07 09:40 UTC`,
    ]);
    expect(JSON.stringify(blocks)).toContain('No scheduled audit has run yet');
  });

  it('another viewer sees only the channels they are in', async () => {
    const blocks = await openHome(BOB);
    const runs = section(blocks, '*Recent runs in your channels*');
    expect(runs.every((l) => l.includes(`/archives/${INCIDENT}/`))).toBe(true);
    expect(runs.map((l) => /#run-inc-(\d+)/.exec(l)?.[1])).toEqual(['11', '10', '9', '8', '7', '6', '5', '4', '3', '2']);
    expect(section(blocks, '*Recent backfills in your channels*')).toHaveLength(1);
  });

  it("a repair after a customer's last audit is said on its board: its numbers are stale until the next audit", async () => {
    const pool = testPool(opsUrl, 1);
    const store = new AlertStore(pool);
    const audit = (finishedAt: Date) => ({
      audit: 'hourly', customer: 'acme', profile: 'p1', finishedAt, durationMs: 5, periodLabel: 'last 48 hours', verdict: 'gap' as const,
      populations: { submitted: { total: 100, missing: 40, clickhouseMissing: null }, unsubmitted: { total: 10, missing: 0, clickhouseMissing: null } }, error: null,
    });
    await store.recordAudit(audit(new Date(Date.UTC(2026, 11, 7, 9, 30))));
    const before = JSON.stringify(await openHome(ALICE));
    expect(before).toContain('Submitted: 40 of 100 missing');
    expect(before).toContain('Repaired by backfill bf-done at 2026-12-07 09:40 UTC (26,114 historic rows written), after this audit');
    // The next audit, after the repair: the line goes.
    await store.recordAudit(audit(new Date(Date.UTC(2026, 11, 7, 10, 0))));
    expect(JSON.stringify(await openHome(ALICE))).not.toContain('Repaired by backfill');
    await pool.end();
  });

  it('someone in none of the channels sees no activity at all', async () => {
    const blocks = await openHome('U0STRANGER');
    expect(JSON.stringify(blocks)).not.toContain('acme');
    expect(JSON.stringify(blocks)).not.toContain('Recent runs');
  });
});
