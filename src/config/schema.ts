import { z } from 'zod';
import { changesConfigSchema } from './changes-schema.js';
import { observabilitySchema } from './observability-schema.js';
import { redisSchema } from './redis-schema.js';
import { silenceProblems, silencesSchema } from './silence-schema.js';
import { ownersSchema, watchProblems, watchSchema } from './watch-schema.js';

// The one configuration file (YAML) with ${ENV} references for secrets. These keys are a contract: scripts and
// deployments rely on them, so the shape only grows.

const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a plain identifier such as "conversations"');

const connection = z.union([
  z.object({ url: z.string().min(1, 'must not be empty, e.g. postgres://bot_ro@db:5432/rentokil') }).strict(),
  z
    .object({
      command: z
        .string()
        .min(1)
        .describe('Command whose stdout is the URL, run without a shell; {name} {profile} {cluster} are substituted per argument'),
      cacheSeconds: z.number().int().positive().default(3600),
      env: z
        .array(
          z
            .string()
            .regex(/^[A-Za-z_][A-Za-z0-9_]*\*?$/, 'a variable name, or a prefix ending in *, e.g. AWS_PROFILE or AWS_*')
            .refine((n) => !/^SLACK_/i.test(n), 'Slack variables are never passed to a credential command'),
        )
        .default([])
        .describe('Environment variables passed to the command besides PATH and HOME (e.g. [AWS_PROFILE, AWS_*]); nothing else is passed'),
    })
    .strict(),
]);

const clickhouseCredentials = z.object({ username: z.string().min(1), password: z.string().optional() }).strict();

/**
 * One ClickHouse: the top-level `clickhouse:` (the default), a cluster's or a customer's own. A customer's is the
 * first of those three that is set, whole (blocks are not merged key by key); see clickhouse-of.ts.
 */
export const clickhouseSchema = z
  .object({
    url: z.string().url('e.g. http://clickhouse:8123'),
    reader: clickhouseCredentials.optional().describe('The read path (gap, check, watchdog): a user that can only SELECT'),
    writer: clickhouseCredentials
      .optional()
      .describe('Only the approved backfill job connects with it, to INSERT the rows ClickHouse lacks; absent: the server default user'),
    username: z.string().optional().describe('Not accepted: one credential for reading and writing; use reader and writer'),
    password: z.string().optional().describe('Not accepted: one credential for reading and writing; use reader and writer'),
    database: identifier.default('conversations'),
    table: identifier.default('scorecard_scores'),
    requestTimeoutMs: z.number().int().positive().default(60_000),
    settleMinutes: z
      .number()
      .int()
      .min(0)
      .max(1440)
      .default(60)
      .describe('Scorecards created or submitted this recently are not yet judged missing from ClickHouse, whose pipeline lags historic; counted as in flight'),
  })
  .strict()
  .superRefine((ch, ctx) => {
    for (const key of ['username', 'password'] as const) {
      if (ch[key] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'one credential for reading and writing is not accepted: use clickhouse.reader { username, password } and clickhouse.writer { username, password }',
        });
      }
    }
  });

export const customerSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes, e.g. "guitar-center"'),
    profile: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits, dots, dashes and underscores, e.g. "us-east-1"'),
    cluster: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits, dots, dashes and underscores, e.g. "us-east-1-prod"').optional(),
    postgres: connection.describe('Read-only credentials: every gap and check query runs on these'),
    writer: connection.optional().describe('Writer credentials: used only by an approved backfill job'),
    clickhouse: clickhouseSchema.optional().describe("This customer's own ClickHouse; absent: its cluster's, else the top-level clickhouse"),
    owners: ownersSchema.optional().describe("Who the watchdog's first post of an alert about this customer mentions; absent: its cluster's, else the audit's watch[].owners"),
  })
  .strict();

const clusterName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits, dots, dashes and underscores, e.g. "us-east-1-prod"');

/** What every customer of a cluster shares unless it says otherwise: 300 customers need no 300 blocks. */
export const clusterDefaultsSchema = z
  .object({
    profile: customerSchema.shape.profile.optional(),
    postgres: connection.optional().describe('e.g. { command: "cresta-cli connstring -i --read-only {cluster} {cluster} {customer}-{profile}" }'),
    writer: connection.optional(),
    clickhouse: clickhouseSchema.optional().describe("The cluster's ClickHouse, for its customers that have none of their own; absent: the top-level clickhouse"),
    owners: ownersSchema.optional().describe('Owners of the cluster\'s customers that name none of their own'),
  })
  .strict();

/** Where more customers come from: files (YAML, a customer or a list each), or a command printing them. */
export const customerSourceSchema = z.union([
  z.string().min(1).describe('A glob of YAML files relative to the config file, e.g. customers/*.yml'),
  z.object({ files: z.string().min(1).describe('A glob of YAML files relative to the config file, e.g. customers/*.yml') }).strict(),
  z
    .object({
      command: z.string().min(1).describe('Run without a shell; prints YAML/JSON customers, or lines "name profile [cluster]"'),
      env: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*\*?$/)).default([]).describe('Variables passed besides PATH and HOME'),
    })
    .strict(),
]);

export const gapSettingsSchema = z
  .object({
    statementTimeoutMs: z.number().int().positive().default(60_000),
    concurrency: z.number().int().min(1).max(64).default(4),
    historyMonths: z.number().int().min(1).max(13).default(6),
    lookbackMonths: z
      .number()
      .int()
      .min(0)
      .max(60)
      .default(24)
      .describe('Months a gap run may scan before its range, one at a time, to find when a loss already there on its first day began; 0 disables'),
    // Tries per window (and per report job), counting the first; with retryBackoffMs they decide how long a
    // database outage a run survives: 5 tries at 5 s wait 5+10+20+40 = 75 s in all.
    windowAttempts: z.number().int().min(1).max(10).default(5),
    retryBackoffMs: z.number().int().min(10).max(600_000).default(5_000).describe('First retry delay; doubles on each later try'),
    settleMinutes: z
      .number()
      .int()
      .min(0)
      .max(1440)
      .default(30)
      .describe('Scorecards created or submitted this recently (before the run started) are in flight: counted apart, never missing or partial'),
  })
  .strict();

export const backfillSettingsSchema = z
  .object({
    expiresAfter: z
      .string()
      .regex(/^[1-9]\d{0,3}(m|h|d)$/, 'a duration in minutes, hours or days, e.g. "24h", "90m", "2d"')
      .default('24h')
      .describe('How long a backfill request waits for approval before it expires'),
    chunkSize: z.number().int().min(1).max(10_000).default(500).describe('Scorecards per chunk (one transaction each)'),
    chunkAttempts: z.number().int().min(1).max(10).default(3).describe('Tries per chunk before the request fails, for errors that are not an outage'),
    retryBudget: z
      .string()
      .regex(/^[1-9]\d{0,3}(s|m|h)$/, 'a duration in seconds, minutes or hours, e.g. "2m", "90s"')
      .default('2m')
      .describe('How long a chunk waits out an outage of the writer or the ops database (retrying with backoff) before the request fails'),
    maxRowsPerSecond: z.number().int().positive().optional().describe('Cap on historic rows written per second (default: no cap)'),
    clickhouse: z.boolean().default(true).describe('Also insert the rows ClickHouse lacks (when clickhouse is configured)'),
    maxOpenPerUser: z.number().int().min(1).max(50).default(2).describe('Backfill requests one person may have open (planning, pending, approved, running) at once'),
    maxScorecards: z.number().int().min(1).default(200_000).describe('The most scorecards one backfill may write; a larger plan is refused with a shorter period to try'),
  })
  .strict();


export const configSchema = z
  .object({
    customersFrom: z
      .union([customerSourceSchema, z.array(customerSourceSchema)])
      .optional()
      .describe('More customers from files or a command, added to `customers` when the config file is loaded'),
    clusters: z.record(clusterName, clusterDefaultsSchema).optional().describe("Per-cluster defaults (profile, postgres, writer, clickhouse, owners) for customers that name the cluster"),
    customers: z
      .array(customerSchema)
      .min(1, 'list at least one customer')
      .superRefine((list, ctx) => {
        const seen = new Set<string>();
        list.forEach((c, i) => {
          if (c.name === 'all') ctx.addIssue({ code: 'custom', path: [i, 'name'], message: '"all" is reserved' });
          if (seen.has(c.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate name "${c.name}"` });
          seen.add(c.name);
        });
      }),
    clickhouse: clickhouseSchema
      .optional()
      .describe('The default ClickHouse: for every customer that has none of its own and whose cluster has none'),
    postgres: z
      .object({
        maxConnectionsPerServer: z
          .number()
          .int()
          .min(2)
          .max(1000)
          .default(10)
          .describe("Connections this process opens to one database server (host:port), over all its customers' read pools; times the number of processes, keep it under the server's max_connections"),
        checkReserve: z.number().int().min(0).max(100).default(2).describe('Of those, how many only /scorecard-check may use, so a long scan never makes a check wait'),
      })
      .strict()
      .default({ maxConnectionsPerServer: 10, checkReserve: 2 })
      .describe('The customer databases: how many connections a process may hold per server'),
    redis: redisSchema.optional().describe('Where the job queues and run state live: one of url (one server), sentinel or cluster, plus prefix'),
    ops: z
      .object({
        url: z.string().min(1).describe('The ops database as the runtime role: reads and writes the bot state, appends to the audit log'),
        migrationUrl: z
          .string()
          .min(1)
          .optional()
          .describe('The ops database as the role that owns schema scorecard_bot; serve, worker and ops:migrate apply migrations with it (absent: with url)'),
        startRetrySeconds: z
          .number()
          .int()
          .min(0)
          .max(3600)
          .default(60)
          .describe('How long serve and worker wait for an unreachable ops database at start before they exit non-zero with the cause'),
      })
      .strict()
      .optional(),
    slack: z
      .object({
        mode: z.enum(['socket', 'http']).default('socket'),
        botToken: z.string().startsWith('xoxb-', 'a bot token starts with xoxb-').optional(),
        appToken: z.string().startsWith('xapp-', 'an app-level token starts with xapp-').optional(),
        signingSecret: z.string().min(1).optional(),
        port: z.number().int().min(0).max(65535).default(3000).describe('HTTP mode port; 0 picks a free one'),
        apiUrl: z.string().url().optional(),
        allowedChannels: z.array(z.string()).default([]).describe('Channel IDs where the commands and buttons work; empty refuses every channel unless allowAllChannels is true'),
        allowAllChannels: z.boolean().default(false).describe('Explicitly allow every channel the bot is in (never direct messages)'),
        tableBlocks: z.boolean().default(true).describe('Post tables as Slack table blocks; false: monospace code blocks, for clients that cannot draw table blocks (e.g. local-slack in npm run console)'),
        tableImages: z
          .boolean()
          .default(false)
          .describe(
            "Post a thread's tables as PNG images, each with its CSV, for a client too narrow or too plain for text tables (npm run console's local-slack); replies that cannot carry files (ephemeral, response_url) get monospace lines instead",
          ),
        allowedUsers: z.array(z.string()).default([]),
        maxRunsPerUser: z.number().int().min(1).max(50).default(2).describe('Investigations one person may have in flight at once'),
        approvers: z
          .object({ users: z.array(z.string()).default([]), userGroups: z.array(z.string()).default([]) })
          .strict()
          .default({ users: [], userGroups: [] }),
        csvMaxRows: z
          .number()
          .int()
          .min(1)
          .default(500_000)
          .describe("Rows at most in a thread's missing-ID CSV (gzipped above 50,000); the rest are counted in its title, and the CLI's --csv writes them all"),
        viewers: z
          .object({ users: z.array(z.string()).default([]), userGroups: z.array(z.string()).default([]) })
          .strict()
          .default({ users: [], userGroups: [] })
          .describe("Who may see the App Home's data besides the members of slack.allowedChannels (users and user groups)"),
      })
      .strict()
      .optional(),
    gap: gapSettingsSchema.default({ statementTimeoutMs: 60_000, concurrency: 4, historyMonths: 6, lookbackMonths: 24, windowAttempts: 5, retryBackoffMs: 5_000, settleMinutes: 30 }),
    backfill: backfillSettingsSchema.default({ expiresAfter: '24h', chunkSize: 500, chunkAttempts: 3, retryBudget: '2m', clickhouse: true, maxOpenPerUser: 2, maxScorecards: 200_000 }),
    changes: changesConfigSchema.optional(),
    watch: watchSchema.describe('Scheduled audits that alert when a gap opens, worsens or closes (see README, Watchdog)'),
    silences: silencesSchema.describe('Planned work: problems of these customers are recorded and counted but not posted (see README, Watchdog)'),
    observability: observabilitySchema.optional().describe('The /metrics, /healthz and /readyz server of serve and worker; absent: not started'),
    shutdownTimeoutMs: z
      .number()
      .int()
      .min(0)
      .default(30_000)
      .describe('On SIGTERM, how long running jobs get to finish before the process exits anyway'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict()
  // Runs even when other keys are wrong, so watch's cross-field problems are listed with every other problem.
  .superRefine(
    (raw, ctx) => {
      for (const issue of [...watchProblems(raw), ...silenceProblems(raw)]) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    },
    { when: () => true },
  );

export type Config = z.infer<typeof configSchema>;
export type CustomerConfig = z.infer<typeof customerSchema>;
export type ConnectionConfig = z.infer<typeof connection>;
export type ClickhouseConfig = z.infer<typeof clickhouseSchema>;
export type GapSettings = z.infer<typeof gapSettingsSchema>;
export type BackfillSettings = z.infer<typeof backfillSettingsSchema>;
export type { RedisConfig } from './redis-schema.js';
export type SlackSettings = NonNullable<Config['slack']>;
