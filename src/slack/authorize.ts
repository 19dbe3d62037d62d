import type { Config } from '../config/schema.js';
import { BotError } from '../shared/errors.js';

type SlackSettings = NonNullable<Config['slack']>;
export type SlackAccess = Pick<SlackSettings, 'allowedChannels' | 'allowedUsers'> & { allowAllChannels?: boolean };

// One gate for both commands and every button. Closed by default: the bot answers only in channels the config
// names (or every channel when it says allowAllChannels), never in direct messages, whose answers nobody else can
// see or audit.

/** D... is a direct message; an explicitly listed DM id is the only way to allow one. */
export function isDirectMessage(channel: string): boolean {
  return /^D[A-Z0-9]+$/.test(channel);
}

function channelHint(settings: SlackAccess): string {
  return settings.allowedChannels.length > 0
    ? `Use it in one of: ${settings.allowedChannels.map((c) => `<#${c}>`).join(', ')}`
    : 'Ask an owner of the bot to add this channel to slack.allowedChannels.';
}

/** Checked when `serve` starts: an empty list used to mean "everywhere"; now that must be said explicitly. */
export function assertChannelPolicy(settings: SlackAccess): void {
  if (settings.allowedChannels.length === 0 && settings.allowAllChannels !== true) {
    throw new BotError('BAD_CONFIG', 'slack.allowedChannels is empty, so the bot would answer in no channel; serve refuses to start.', {
      hint: 'List the channel IDs in slack.allowedChannels (e.g. allowedChannels: [C01INCIDENT]), or set slack.allowAllChannels: true to allow every channel the bot is in.',
    });
  }
}

export function authorize(settings: SlackAccess, channel: string, user: string): void {
  const listed = settings.allowedChannels.includes(channel);
  if (isDirectMessage(channel) && !listed) {
    throw new BotError('NOT_ALLOWED', 'This bot does not answer in direct messages.', { hint: channelHint(settings) });
  }
  if (!listed && settings.allowAllChannels !== true) {
    throw new BotError('NOT_ALLOWED', 'This bot is not enabled in this channel.', { hint: channelHint(settings) });
  }
  if (settings.allowedUsers.length > 0 && !settings.allowedUsers.includes(user)) {
    throw new BotError('NOT_ALLOWED', 'You are not on the list of people who may run investigations.', {
      hint: 'Ask an owner of the bot to add your Slack user ID to slack.allowedUsers.',
    });
  }
}

export interface ApprovalRequest {
  channel: string;
  /** Who clicked Approve. */
  approver: string;
  /** Who asked for the backfill. */
  requester: string;
  /** The approver's user groups (from usergroups.users.list); passed in so this rule stays pure. */
  approverGroups?: string[];
}

/**
 * Approving a backfill: the channel and user gates as for any action, then a configured approver (by user or by
 * user group), and never the person who asked: a write needs two people.
 */
/** Who can approve, as Slack mentions: "<@U0BOB>, <@U0GRACE> or anyone in <!subteam^S0SRE>". */
export function approversLine(approvers: SlackSettings['approvers']): string {
  const people = [...approvers.users.map((u) => `<@${u}>`), ...approvers.userGroups.map((g) => `anyone in <!subteam^${g}>`)];
  if (people.length <= 1) return people.join('');
  return `${people.slice(0, -1).join(', ')} or ${people[people.length - 1]}`;
}

export function authorizeApproval(settings: SlackAccess & Pick<SlackSettings, 'approvers'>, req: ApprovalRequest): void {
  authorize(settings, req.channel, req.approver);
  const { users, userGroups } = settings.approvers;
  if (users.length === 0 && userGroups.length === 0) {
    throw new BotError('NOT_ALLOWED', 'No approvers are configured, so no backfill can be approved.', {
      hint: 'Ask an owner of the bot to set slack.approvers.users or slack.approvers.userGroups.',
    });
  }
  if (req.approver === req.requester) {
    throw new BotError('NOT_ALLOWED', 'You cannot approve your own backfill request; another approver has to.');
  }
  const isApprover = users.includes(req.approver) || (req.approverGroups ?? []).some((g) => userGroups.includes(g));
  if (!isApprover) {
    throw new BotError('NOT_ALLOWED', 'Only an approver can approve a backfill.', {
      hint: `Ask ${approversLine(settings.approvers)}.`,
    });
  }
}

export function permalink(channel: string, ts: string): string {
  return `https://slack.com/archives/${channel}/p${ts.replace('.', '')}`;
}
