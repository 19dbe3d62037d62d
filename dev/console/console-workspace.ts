import { stringify } from 'yaml';
import type { ConsoleSettings } from './console-settings.js';

// The console's two generated configs: local-slack's workspace (#incident; alice asks, bob approves, eve neither)
// and the bot's own config, bound to that workspace's IDs so the channel allowlist and approvers work as in
// production. Pure: the caller writes them under .cache/console/.

export const WORKSPACE = {
  teamId: 'T0CONSOLE',
  channel: { id: 'C0INCIDENT', name: 'incident' },
  bot: { appId: 'A0SCORECARD', userId: 'U0SCORECARD', name: 'scorecard-bot' },
  users: {
    alice: { id: 'U0ALICE', name: 'alice', real_name: 'Alice (requester)' },
    bob: { id: 'U0BOB', name: 'bob', real_name: 'Bob (approver)' },
    eve: { id: 'U0EVE', name: 'eve', real_name: 'Eve' },
  },
} as const;

export interface ConsoleTokens {
  botToken: string;
  appToken: string;
  signingSecret: string;
}

/** local-slack's --config: one Socket Mode app, three people and #incident. */
export function workspaceYaml(tokens: ConsoleTokens): string {
  const people = Object.values(WORKSPACE.users);
  return stringify({
    workspace: { name: 'Scorecard console', domain: 'scorecard-console', teamId: WORKSPACE.teamId },
    apps: [
      {
        appId: WORKSPACE.bot.appId,
        botUserId: WORKSPACE.bot.userId,
        botName: WORKSPACE.bot.name,
        botToken: tokens.botToken,
        appToken: tokens.appToken,
        signingSecret: tokens.signingSecret,
        mode: 'socket',
      },
    ],
    users: people.map((p) => ({ ...p })),
    channels: [{ ...WORKSPACE.channel, members: [...people.map((p) => p.id), WORKSPACE.bot.userId] }],
  });
}

/** The console's backfill writer: SELECT, and INSERT on historic.scorecard_scores only (never the superuser). */
export const CONSOLE_WRITER_ROLE = 'scorecard_console_writer';

export interface BotConfigInput {
  settings: ConsoleSettings;
  tokens: ConsoleTokens;
  clickhouseUrl: string;
  /** local-slack's Web API base, e.g. http://localhost:3100/api/ */
  apiUrl: string;
  deploymentsRepo: string;
}

/** The bot's config for the console: the demo config's shape, on the console's own databases and workspace. */
export function botConfigYaml(input: BotConfigInput): string {
  const { settings: s, tokens } = input;
  const admin = s.DEMO_ADMIN_URL.replace(/\/+$/, '');
  const readonly = admin.replace(/\/\/[^@/]*@/, '//scorecard_bot_ro@');
  const writer = admin.replace(/\/\/[^@/]*@/, `//${CONSOLE_WRITER_ROLE}@`);
  const customers = s.CONSOLE_CUSTOMERS.map((name) => ({
    name,
    profile: 'us-east-1',
    cluster: 'us-east-1-prod',
    postgres: { url: `${readonly}/${s.CONSOLE_DATABASE}` },
    writer: { url: `${writer}/${s.CONSOLE_DATABASE}` },
  }));
  return stringify({
    customers,
    clickhouse: { url: input.clickhouseUrl, database: s.CONSOLE_CLICKHOUSE_DATABASE, table: 'scorecard_scores' },
    redis: { url: s.REDIS_URL, prefix: s.CONSOLE_REDIS_PREFIX },
    ops: { url: `${admin}/${s.CONSOLE_OPS_DATABASE}` },
    slack: {
      mode: 'socket',
      botToken: tokens.botToken,
      appToken: tokens.appToken,
      apiUrl: input.apiUrl,
      allowedChannels: [WORKSPACE.channel.id],
      approvers: { users: [WORKSPACE.users.bob.id], userGroups: [] },
      // local-slack's UI shows a table block as "[table]" and a ``` fence as literal backticks, and its thread pane is
      // 380 px wide: thread tables go out as images with their CSV, the rest (ephemeral replies) as monospace lines.
      tableBlocks: false,
      tableImages: true,
    },
    changes: [
      {
        type: 'git',
        name: 'apiserver prod releases',
        path: input.deploymentsRepo,
        paths: ['apps/apiserver/releases/**'],
        subject: 'prod-main|prod-early',
        kind: 'deploy',
        extract: [{ name: 'tag', pattern: '^\\s*tag:\\s*(\\S+)' }],
        title: 'apiserver release {tag}',
      },
    ],
    // /metrics and /readyz of the console's bot: this machine only, on a free port.
    observability: { host: '127.0.0.1', port: 0 },
    shutdownTimeoutMs: 5000,
  });
}
