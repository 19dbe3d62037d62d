// Threat: any workspace member who opened the bot's Home tab saw every customer's missing rates, open alerts and
// pending backfills. Now the board is shown only to members of the allowed channels and to slack.viewers (users
// and user groups); everyone else sees one line. Through the emulator, with signed app_home_opened events.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { createServeContext, type ServeContext } from '../../src/main.js';
import { createLogger } from '../../src/shared/logger.js';
import { AlertStore } from '../../src/watch/alert-store.js';
import { createEmptyDatabase, REDIS_URL, testPool, deleteRedisKeys } from '../support/demo-database.js';
import { parseConfig } from '../../src/config/load-config.js';
import { startSlackEmulator, type SlackEmulator } from '../support/slack-emulator.js';
import { openHomeTab } from '../support/slack-requests.js';
import { WebClient } from '@slack/web-api';
import { createUsergroupResolver } from '../../src/slack/usergroups.js';
import { createViewerAccess } from '../../src/slack/viewer-access.js';

const SECRET = 'home-gate-secret';
const CHANNEL = 'C0INCIDENT';
const [MEMBER, VIEWER, IN_GROUP, OUTSIDER] = ['U0MEMBER', 'U0VIEWER', 'U0INGROUP', 'U0OUTSIDER'];
const GROUP = 'S0SRE';

let slack: SlackEmulator;
let ctx: ServeContext;
let eventsUrl: string;
let dropOps: () => Promise<void>;
const prefix = `home-gate-${process.pid}`;

async function openHome(user: string): Promise<string> {
  return JSON.stringify(await openHomeTab(slack, eventsUrl, SECRET, user));
}

beforeAll(async () => {
  slack = await startSlackEmulator();
  // 1,500 members: the membership is read over two pages of conversations.members.
  const crowd = Array.from({ length: 1_499 }, (_, i) => `U0CROWD${i}`);
  slack.setChannelMembers(CHANNEL, [...crowd.slice(0, 1_200), MEMBER, ...crowd.slice(1_200)]);
  slack.setUsergroup(GROUP, [IN_GROUP]);
  const ops = await createEmptyDatabase('sgb_home');
  dropOps = ops.drop;
  const config: Config = parseConfig(
    JSON.stringify({
      customers: [{ name: 'acme', profile: 'p1', postgres: { url: 'postgres://ro@127.0.0.1:5432/none' } }],
      redis: { url: REDIS_URL, prefix },
      ops: { url: ops.url },
      slack: { mode: 'http', botToken: 'xoxb-test', signingSecret: SECRET, port: 0, apiUrl: slack.apiUrl, allowedChannels: [CHANNEL], viewers: { users: [VIEWER], userGroups: [GROUP] } },
      logLevel: 'silent',
    }),
    {},
  );
  ctx = await createServeContext(config, { listen: true, workers: false, logger: createLogger({ level: 'silent' }) });
  eventsUrl = `http://127.0.0.1:${await ctx.start()}/slack/events`;
  // What the board would show: acme's last audit, 42 missing.
  const pool = testPool(ops.url, 1);
  await new AlertStore(pool).recordAudit({
    audit: 'hourly',
    customer: 'acme',
    profile: 'p1',
    finishedAt: new Date(),
    durationMs: 10,
    periodLabel: 'last 48 hours',
    verdict: 'gap',
    populations: { submitted: { total: 1000, missing: 42, clickhouseMissing: null }, unsubmitted: { total: 10, missing: 0, clickhouseMissing: null } },
    error: null,
  });
  await pool.end();
}, 120_000);

afterAll(async () => {
  await ctx?.close();
  await slack?.close();
  await dropOps?.();
  await deleteRedisKeys(`${prefix}*`);
});

describe('who sees the App Home board', () => {
  it('a member of the allowed channel, a listed viewer and a member of a viewer group see it', async () => {
    for (const user of [MEMBER, VIEWER, IN_GROUP]) {
      const board = await openHome(user);
      expect(board, user).toContain('*acme*');
      expect(board, user).toContain('Submitted: 42 of 1,000 missing');
    }
  });

  it('an outsider sees one line and no data', async () => {
    const view = await openHome(OUTSIDER);
    expect(view).not.toContain('acme');
    expect(view).not.toContain('42');
    expect(view).toContain("it is for the members of the bot's channels");
    const blocks = JSON.parse(view) as unknown[];
    expect(blocks).toHaveLength(2);
  });

  it('a page button of the board follows the same gate: a member gets the board, an outsider one line', async () => {
    const click = async (user: string): Promise<string> => {
      const before = slack.homeViews.filter((v) => v.userId === user).length;
      const payload = {
        type: 'block_actions',
        user: { id: user },
        team: { id: 'T0TEST' },
        api_app_id: 'A0TEST',
        container: { type: 'view', view_id: 'V1' },
        view: { id: 'V1', type: 'home' },
        actions: [{ type: 'button', action_id: 'watch_home_page_next', value: '1', action_ts: '1700000000.000001' }],
        trigger_id: 't',
      };
      const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
      const ts = Math.floor(Date.now() / 1000);
      const sig = 'v0=' + createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex');
      const res = await fetch(eventsUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': sig }, body });
      expect(res.status).toBe(200);
      const view = await slack.waitFor(() => slack.homeViews.filter((v) => v.userId === user)[before], 20_000);
      return JSON.stringify(view.view.blocks);
    };
    expect(await click(MEMBER)).toContain('*acme*');
    const outsider = await click(OUTSIDER);
    expect(outsider).not.toContain('acme');
    expect(outsider).toContain("it is for the members of the bot's channels");
  });

  it('refuses when Slack cannot say who is in the channel', async () => {
    // A fresh gate (the serve's has the channel cached): its one read of the channel fails.
    const web = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    const access = createViewerAccess(web, createUsergroupResolver(web), { allowedChannels: [CHANNEL], allowedUsers: [], viewers: { users: [], userGroups: [] } }, { logger: createLogger({ level: 'silent' }) });
    slack.failNext('conversations.members', 'internal_error');
    const refused = await access.canView(MEMBER);
    expect(refused).toEqual({ ok: false, reason: expect.stringContaining('could not check with Slack') });
    // Not remembered: the next look succeeds.
    expect(await access.canView(MEMBER)).toEqual({ ok: true });
  });
});
