import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServeContext, type ServeContext } from '../../src/main.js';
import { buildDemoDeploymentsRepo, FLAG, PROD_RELEASES } from '../../dev/demo/deployments-repo.js';
import { createLogger } from '../../src/shared/logger.js';
import { createDemoDatabase, type DemoDatabase } from '../support/demo-database.js';
import { startSlackEmulator, type SlackEmulator, type StoredMessage } from '../support/slack-emulator.js';
import { messageTables, tableTitled } from '../support/slack-tables.js';
import { postSigned, slashCommandBody } from '../support/slack-requests.js';

// The job path (serve: slash command -> BullMQ -> thread) with change sources configured: the loader is wired from
// the config into the workers, the thread carries "What changed around then" with linked commits and the release
// timeline, and an `all` run posts the correlation table. Slack's Web API is emulated at the HTTP boundary.

const SECRET = 'test-signing-secret';
const CHANNEL = 'C0CHANGES';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const shortUtc = (iso: string): string => {
  const d = new Date(iso);
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
};

let demo: DemoDatabase;
let slack: SlackEmulator;
let ctx: ServeContext;
let url: string;
const repo = join(mkdtempSync(join(tmpdir(), 'sgb-changes-slack-')), 'deployments');

beforeAll(async () => {
  await buildDemoDeploymentsRepo(repo);
  demo = await createDemoDatabase({ scale: 0.002, seed: 9, customers: ['rentokil', 'spirit'], from: '2025-08-01', to: '2026-02-15', clickhouse: false });
  slack = await startSlackEmulator();
  const config = demo.config({
    slack: { mode: 'http', botToken: 'xoxb-test-token', signingSecret: SECRET, port: 0, apiUrl: slack.apiUrl, allowedChannels: [CHANNEL], allowedUsers: [], approvers: { users: [], userGroups: [] } },
    changes: [
      {
        type: 'git',
        name: 'apiserver prod releases',
        path: repo,
        paths: ['apps/apiserver/releases/**'],
        subject: 'prod-main|prod-early',
        extract: [{ name: 'tag', pattern: '^\\s*tag:\\s*(\\S+)' }],
        title: 'apiserver release {tag}',
        link: 'https://github.com/example/flux-deployments/commit/{sha}',
      },
      { type: 'git', name: 'apiserver prod flags', path: repo, paths: ['apps/apiserver/config/us-east-1-prod/**'], subject: 'enable|disable', kind: 'flag', link: 'https://github.com/example/flux-deployments/commit/{sha}' },
      { type: 'file', name: 'incidents', path: join(repo, 'no-such-file.yml') },
    ],
  });
  ctx = await createServeContext(config, { listen: true, logger: createLogger({ level: 'silent' }), lockDurationMs: 5000, stalledIntervalMs: 2000 });
  url = `http://127.0.0.1:${await ctx.start()}/slack/events`;
});

afterAll(async () => {
  await ctx?.close();
  await slack?.close();
  await demo?.drop();
});

const command = (text: string, user: string) => slashCommandBody({ command: '/scorecard-gap', text, response_url: slack.responseUrl(), user_id: user, channel_id: CHANNEL });
const textOf = (m: StoredMessage): string => JSON.stringify(m.blocks ?? []) + (m.text ?? '');

async function runToEnd(text: string, user: string, started: RegExp): Promise<StoredMessage[]> {
  expect((await postSigned(url, SECRET, command(text, user))).status).toBe(200);
  const root = await slack.waitFor(() => slack.messages(CHANNEL).find((m) => started.test(m.text ?? '')), 30_000);
  await slack.waitFor(() => slack.callsTo('chat.update').some((c) => c.args.ts === root.ts && /Details in the thread|No gap/.test(String(c.args.text))), 120_000);
  return slack.threadReplies(CHANNEL, root.ts);
}

describe('/scorecard-gap with change sources', () => {
  it('spirit: the thread places the first missing scorecard after the Jan 8 release and shows the release timeline', async () => {
    const replies = await runToEnd('spirit jan-2026', 'U0ALICE', /Investigating spirit, Jan 2026/);
    expect(slack.rejected).toEqual([]);
    const section = replies.find((m) => textOf(m).includes('What changed around then'));
    expect(section).toBeDefined();
    const text = textOf(section!);
    const first = demo.truth.perCustomer.spirit!.firstMissing.submitted!.createdAt;
    expect(text).toContain(`First missing (submitted) ${shortUtc(first)} UTC*: nearest change before: deploy <https://github.com/example/flux-deployments/commit/`);
    expect(text).toContain(`|apiserver release ${PROD_RELEASES[1].tag}>`);
    expect(text).toMatch(new RegExp(`Recovered \\(submitted\\) from Jan 29\\*: changes that day: flag <https://[^|]+\\|apiserver: enable ${FLAG}`));
    expect(text).toContain('Unavailable: incidents (cannot read');
    expect(text).not.toMatch(/caused by/i);
    const timeline = tableTitled(messageTables(replies), 'Release timeline');
    expect(timeline.rows.map((r) => r[2]).filter((c) => c?.startsWith('apiserver release'))).toEqual(PROD_RELEASES.map((p) => `apiserver release ${p.tag}`));
  });

  it('all: the correlation table, first missing against the release before and after', async () => {
    const replies = await runToEnd('all jan-2026', 'U0CAROL', /Investigating all 2 customers/);
    const table = tableTitled(messageTables(replies), 'Correlation with missing scorecards');
    expect(table.rows[0]).toEqual(['Customer', 'First missing', 'Release before', 'Release after', 'Release timeline']);
    const row = (c: string): string[] => table.rows.find((r) => r[0] === c) ?? [];
    // The investigation's "Correlation with Missing Scorecards", from the dataset's first missing scorecards.
    expect(demo.truth.perCustomer.spirit!.firstMissing.submitted!.createdAt.slice(0, 10)).toBe('2026-01-08');
    expect(row('spirit')[4]).toBe('Same day as Jan 8 release');
    expect(demo.truth.perCustomer.rentokil!.firstMissing.submitted!.createdAt.slice(0, 10)).toBe('2025-12-31');
    expect(row('rentokil')[4]).toBe('After Dec 17 release (14 days later)');
    expect(row('rentokil')[2]).toContain(PROD_RELEASES[0].tag);
    expect(row('rentokil')[3]).toContain(PROD_RELEASES[1].tag);
    // Each customer's recovery next to the flag commit, under its findings.
    for (const c of ['rentokil', 'spirit']) {
      const own = replies.find((m) => textOf(m).includes(`What changed around then*: ${c}`));
      expect(textOf(own!)).toMatch(new RegExp(`Recovered \\(submitted\\) from Jan 29\\*: changes that day: flag <https://[^|]+\\|apiserver: enable ${FLAG}`));
    }
  });
});
