import type { WatchAudit } from '../config/watch-schema.js';
import { formatDateTime } from '../shared/format.js';
import { escapeMrkdwn, mrkdwnSection } from '../slack/mrkdwn.js';
import type { SlackMessage } from '../slack/slack-message.js';

// Pure renderers of the watchdog's messages about itself: an audit that stopped running (and runs again), and a
// customer whose audit fails (and works again). Each is posted once per change, at the top of the audit's channel.

const scheduleOf = (a: Pick<WatchAudit, 'cron' | 'every'>): string => (a.cron ? `cron "${a.cron}"` : `every ${a.every ?? '1h'}`);
const at = (d: Date | null): string => (d ? formatDateTime(d.toISOString()) : 'never');

function message(text: string): SlackMessage {
  return { text, blocks: [mrkdwnSection(escapeMrkdwn(text))] };
}

export function staleAuditMessage(audit: Pick<WatchAudit, 'name' | 'cron' | 'every'>, lastCompleted: Date | null): SlackMessage {
  const last = lastCompleted ? `it last completed ${at(lastCompleted)}` : 'it has not completed yet';
  return message(
    `The audit ${audit.name} (${scheduleOf(audit)}) has stopped running: ${last}. Its schedule is being restored; check the workers and Redis. /readyz fails until it runs again.`,
  );
}

export function auditRunningAgainMessage(audit: Pick<WatchAudit, 'name'>, completedAt: Date | null): SlackMessage {
  return message(`The audit ${audit.name} is running again (completed ${at(completedAt)}).`);
}

export function customerAuditFailedMessage(audit: string, customer: string, reason: string): SlackMessage {
  return message(`Audit of ${customer} failed (audit ${audit}): ${reason} Nothing more is said about it until it works again.`);
}

export function customerAuditWorksAgainMessage(audit: string, customer: string): SlackMessage {
  return message(`Audit of ${customer} works again (audit ${audit}).`);
}
