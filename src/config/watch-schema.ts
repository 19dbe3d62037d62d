import cronParser from 'cron-parser';
import { z } from 'zod';

// The `watch:` section: scheduled audits. Shape errors are found by zod; the cross-field rules (a cron BullMQ can
// schedule, customers that exist, channels the bot may post in) by watchProblems(), run from the top-level schema
// so they are listed with every other problem of the file.

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

export const watchThresholdsSchema = z
  .object({
    submitted: z.number().min(0).max(1).default(0.01).describe('Alert when the 95% Wilson lower bound of the submitted missing rate is over this'),
    unsubmitted: z.number().min(0).max(1).default(0.05).describe('Alert when the 95% Wilson lower bound of the unsubmitted missing rate is over this'),
    clickhouse: z.number().int().min(0).default(0).describe('Alert when more scorecards than this are in historic but not in ClickHouse'),
  })
  .strict();

/** Who an alert mentions: Slack user IDs and user group IDs (the shape of slack.viewers). */
export const ownersSchema = z
  .object({
    users: z.array(z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'a Slack user ID, e.g. U0123ABCD')).default([]),
    userGroups: z.array(z.string().regex(/^S[A-Z0-9]{2,}$/, 'a Slack user group ID, e.g. S0123ABCD')).default([]),
  })
  .strict();
export type Owners = z.infer<typeof ownersSchema>;

const DURATION = /^[1-9]\d{0,4}(m|h|d)$/;

export const watchAuditSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes, e.g. "hourly-48h"'),
    cron: z.string().min(1).optional().describe('Cron expression (UTC), e.g. "0 * * * *"; or give `every`'),
    every: z
      .string()
      .regex(/^[1-9]\d{0,4}(s|m|h|d)$/, 'an interval in seconds, minutes, hours or days, e.g. "1h", "15m"')
      .optional()
      .describe('Interval, e.g. "1h"; or give `cron`'),
    lookback: z
      .string()
      .regex(/^last-[1-9]\d{0,3}(h|d)$/, 'last-<n>h or last-<n>d, e.g. "last-48h", "last-30d"')
      .default('last-48h'),
    customers: z.array(z.string()).default([]).describe('Customers audited; empty means all'),
    channel: z.string().min(1).describe('Channel ID the alerts go to; must be in slack.allowedChannels unless allowAllChannels'),
    thresholds: watchThresholdsSchema.default({ submitted: 0.01, unsubmitted: 0.05, clickhouse: 0 }),
    quietHours: z
      .object({ from: z.string().regex(HHMM, 'HH:MM (UTC), e.g. "22:00"'), to: z.string().regex(HHMM, 'HH:MM (UTC), e.g. "07:00"') })
      .strict()
      .optional()
      .describe('UTC hours in which new alerts wait (they are announced by the first audit after)'),
    maxAlertsPerHour: z.number().int().min(1).max(100).default(5).describe('New alerts per channel per hour; the rest are summarised in one message'),
    minMissing: z
      .number()
      .int()
      .min(1)
      .default(3)
      .describe('A new alert is posted only with at least this many missing (or partial) scorecards'),
    confirmAudits: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(2)
      .describe('A new alert is posted only after this many consecutive audits saw it, unless its missing rate is over 50%'),
    historyMonths: z
      .number()
      .int()
      .min(0)
      .max(13)
      .default(0)
      .describe('Months of history scanned with the lookback; 0 (default): the lookback only, the cheapest for an hourly audit'),
    owners: ownersSchema.optional().describe('Owners of the audited customers that name none of their own (customers[].owners, clusters.<name>.owners)'),
    escalateAfter: z
      .string()
      .regex(DURATION, 'a duration in minutes, hours or days, e.g. "2h", "90m"')
      .optional()
      .describe('An alert still open, unacknowledged and not snoozed this long after its post mentions its owners again, once (default "2h")'),
    escalationChannel: z
      .string()
      .min(1)
      .optional()
      .describe('Channel ID the escalation goes to (with a link to the alert); absent: the alert\'s thread. Must be allowed like `channel`'),
    spread: z
      .string()
      .regex(/^(auto|off|[1-9]\d{0,4}(s|m|h|d))$/, 'auto, off, or a duration shorter than the interval, e.g. "30m"')
      .default('auto')
      .describe(
        'Spread the customers\' starts evenly over this long: "auto" (default) spreads an audit of 20 customers or more over half its interval, "off" starts each customer as soon as the one before ends, or a duration such as "30m"',
      ),
    digest: z
      .string()
      .regex(HHMM, 'HH:MM (UTC), e.g. "09:00"')
      .optional()
      .describe('Once a day at this UTC time, one message in the channel: the open problems and the healthy customers'),
  })
  .strict();

export const watchSchema = z.array(watchAuditSchema).default([]);

export type WatchAudit = z.infer<typeof watchAuditSchema>;
export type WatchThresholds = z.infer<typeof watchThresholdsSchema>;

export function cronProblem(expr: string): string | null {
  try {
    cronParser.parseExpression(expr, { tz: 'UTC' });
    return null;
  } catch (err) {
    return `not a valid cron expression (${(err as Error).message}); e.g. "0 * * * *" (hourly) or "*/15 * * * *"`;
  }
}

/** The shortest gap between a cron's runs over about a week (e.g. 3,600,000 for "0 * * * *"). */
export function cronIntervalMs(expr: string, from: Date = new Date('2026-01-05T00:00:00Z')): number {
  const it = cronParser.parseExpression(expr, { tz: 'UTC', currentDate: from });
  let prev = it.next().getTime();
  let shortest = Infinity;
  for (let i = 0; i < 200; i++) {
    const next = it.next().getTime();
    shortest = Math.min(shortest, next - prev);
    prev = next;
    if (next - from.getTime() > 8 * 86_400_000) break;
  }
  return Number.isFinite(shortest) ? shortest : 3_600_000;
}

/** Interval in milliseconds of an `every` such as "1h". */
export function everyMs(every: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(every);
  if (!m) throw new Error(`bad interval ${every}`);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

export interface WatchIssue {
  path: (string | number)[];
  message: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Cross-field rules of `watch:`. It runs even when other parts of the file are wrong (so every problem is listed at
 * once), so it reads the raw value defensively and only judges what is well-formed.
 */
export function watchProblems(raw: unknown): WatchIssue[] {
  if (!isObj(raw) || !Array.isArray(raw.watch)) return [];
  const customers = new Set(Array.isArray(raw.customers) ? raw.customers.flatMap((c) => (isObj(c) && typeof c.name === 'string' ? [c.name] : [])) : []);
  const slack = isObj(raw.slack) ? raw.slack : {};
  const allowAll = slack.allowAllChannels === true;
  const allowed = new Set(Array.isArray(slack.allowedChannels) ? slack.allowedChannels.filter((c): c is string => typeof c === 'string') : []);
  const issues: WatchIssue[] = [];
  const names = new Set<string>();
  raw.watch.forEach((a, i) => {
    if (!isObj(a)) return;
    if (typeof a.name === 'string') {
      if (names.has(a.name)) issues.push({ path: ['watch', i, 'name'], message: `duplicate audit name "${a.name}"` });
      names.add(a.name);
    }
    const hasCron = typeof a.cron === 'string';
    const hasEvery = typeof a.every === 'string';
    if (hasCron === hasEvery) issues.push({ path: ['watch', i], message: 'give exactly one of cron (e.g. "0 * * * *") or every (e.g. "1h")' });
    if (hasCron) {
      const p = cronProblem(a.cron as string);
      if (p) issues.push({ path: ['watch', i, 'cron'], message: p });
    }
    if (Array.isArray(a.customers)) {
      a.customers.forEach((c, j) => {
        if (typeof c === 'string' && !customers.has(c)) {
          issues.push({ path: ['watch', i, 'customers', j], message: `unknown customer "${c}"; configured: ${[...customers].join(', ') || '(none)'}` });
        }
      });
    }
    if (typeof a.spread === 'string' && /^\d+(s|m|h|d)$/.test(a.spread) && (hasCron !== hasEvery)) {
      const interval = hasEvery && typeof a.every === 'string' && /^\d+(s|m|h|d)$/.test(a.every) ? everyMs(a.every) : hasCron && !cronProblem(a.cron as string) ? cronIntervalMs(a.cron as string) : null;
      if (interval !== null && everyMs(a.spread) >= interval) {
        issues.push({ path: ['watch', i, 'spread'], message: `spread ${a.spread} is not shorter than the audit's interval (${Math.round(interval / 60_000)} min); e.g. "auto" or half the interval` });
      }
    }
    for (const key of ['channel', 'escalationChannel'] as const) {
      const channel = a[key];
      if (typeof channel === 'string' && !allowAll && !allowed.has(channel)) {
        issues.push({ path: ['watch', i, key], message: `channel ${channel} is not in slack.allowedChannels (add it there, or set slack.allowAllChannels: true)` });
      }
    }
  });
  return issues;
}
