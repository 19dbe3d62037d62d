import type { ActionsBlock, KnownBlock } from '@slack/types';
import { z } from 'zod';
import { formatDateTime } from '../shared/format.js';
import { contextLine } from '../slack/mrkdwn.js';
import type { OutgoingMessage } from '../slack/slack-message.js';

// Pure: on-call around an alert. Its Acknowledge button and Snooze menu, the status line the alert is edited to
// show ("Acknowledged by <@U0BOB> 10:42 UTC · snoozed until 2025-12-10 11:42 UTC by <@U0BOB>"), whether it is
// snoozed or due for its one escalation (its message is alert-blocks.ts's escalationMessage).

export const ACK_ACTION_ID = 'watch_ack';
export const SNOOZE_ACTION_ID = 'watch_snooze';
export const ONCALL_ACTIONS_BLOCK = 'watch_oncall';
export const ONCALL_STATUS_BLOCK = 'watch_oncall_status';
/** The summary's menus, one per summarised alert: "watch_oncall_menu_<alert id>". */
export const SUMMARY_MENU_PREFIX = 'watch_oncall_menu_';
export const SUMMARY_MENU_ACTION_ID = /^watch_oncall_menu_[1-9]\d{0,17}$/;
/** An actions block holds at most 25 elements: a summary of more alerts has menus for the first 25. */
export const SUMMARY_MENUS_MAX = 25;

export const SNOOZE_CHOICES = { '1h': 3_600_000, '4h': 4 * 3_600_000, '24h': 24 * 3_600_000, resolved: null } as const;
export type SnoozeChoice = keyof typeof SNOOZE_CHOICES;
const SNOOZE_LABELS: Record<SnoozeChoice, string> = { '1h': '1 hour', '4h': '4 hours', '24h': '24 hours', resolved: 'Until resolved' };

const alertIdSchema = z.string().regex(/^[1-9]\d{0,17}$/);
const snoozeValueSchema = z.tuple([alertIdSchema, z.enum(['1h', '4h', '24h', 'resolved'])]);
const menuValueSchema = z.tuple([alertIdSchema, z.enum(['ack', '1h', '4h', '24h', 'resolved'])]);

/** A summary menu's option: "<alert id> ack" or "<alert id> <snooze choice>"; null when it is not one. */
export function parseMenuValue(value: string): { alertId: string; choice: SnoozeChoice | 'ack' } | null {
  const parsed = menuValueSchema.safeParse(value.split(' '));
  return parsed.success ? { alertId: parsed.data[0], choice: parsed.data[1] } : null;
}

/**
 * The summary's controls: one menu per summarised alert (its placeholder names it), offering Acknowledge and the
 * snoozes, in one actions block.
 */
export function summaryMenus(alerts: readonly { alertId: string; label: string }[]): ActionsBlock | null {
  if (alerts.length === 0) return null;
  return {
    type: 'actions',
    block_id: ONCALL_ACTIONS_BLOCK,
    elements: alerts.slice(0, SUMMARY_MENUS_MAX).map((a) => ({
      type: 'static_select' as const,
      action_id: `${SUMMARY_MENU_PREFIX}${a.alertId}`,
      placeholder: { type: 'plain_text' as const, text: a.label.length > 140 ? `${a.label.slice(0, 139)}…` : a.label },
      options: [
        { text: { type: 'plain_text' as const, text: 'Acknowledge' }, value: `${a.alertId} ack` },
        ...(Object.keys(SNOOZE_CHOICES) as SnoozeChoice[]).map((c) => ({ text: { type: 'plain_text' as const, text: `Snooze: ${SNOOZE_LABELS[c].toLowerCase()}` }, value: `${a.alertId} ${c}` })),
      ],
    })),
  };
}

/** The Snooze option's value: "<alert id> <choice>"; null when it is not one. */
export function parseSnoozeValue(value: string): { alertId: string; choice: SnoozeChoice } | null {
  const parsed = snoozeValueSchema.safeParse(value.split(' '));
  return parsed.success ? { alertId: parsed.data[0], choice: parsed.data[1] } : null;
}

export const parseAckValue = (value: string): string | null => (alertIdSchema.safeParse(value).success ? value : null);

/** The alert's second row of controls: Acknowledge and the Snooze menu. */
export function oncallActions(alertId: string): ActionsBlock {
  return {
    type: 'actions',
    block_id: ONCALL_ACTIONS_BLOCK,
    elements: [
      { type: 'button', action_id: ACK_ACTION_ID, text: { type: 'plain_text', text: 'Acknowledge' }, value: alertId },
      {
        type: 'static_select',
        action_id: SNOOZE_ACTION_ID,
        placeholder: { type: 'plain_text', text: 'Snooze' },
        options: (Object.keys(SNOOZE_CHOICES) as SnoozeChoice[]).map((c) => ({ text: { type: 'plain_text' as const, text: SNOOZE_LABELS[c] }, value: `${alertId} ${c}` })),
      },
    ],
  };
}

export interface OncallState {
  ackedBy: string | null;
  ackedAt: string | null;
  snoozedBy: string | null;
  snoozedUntil: string | null;
  snoozedUntilResolved: boolean;
}

const hhmm = (iso: string): string => `${iso.slice(11, 16)} UTC`;

/** When a snooze in force ends: 'resolved', an ISO instant, or null when the alert is not snoozed at `now`. */
export function snoozedUntil(a: OncallState, now: Date): string | null {
  if (a.snoozedUntilResolved) return 'resolved';
  return a.snoozedUntil && Date.parse(a.snoozedUntil) > now.getTime() ? a.snoozedUntil : null;
}

/** "Acknowledged by <@U0BOB> 10:42 UTC · snoozed until 2025-12-10 11:42 UTC by <@U0ALICE>"; null when neither. */
export function oncallLine(a: OncallState, now: Date): string | null {
  const parts: string[] = [];
  if (a.ackedBy && a.ackedAt) parts.push(`acknowledged by <@${a.ackedBy}> ${hhmm(a.ackedAt)}`);
  const until = snoozedUntil(a, now);
  if (until) parts.push(`snoozed ${until === 'resolved' ? 'until resolved' : `until ${formatDateTime(until)}`}${a.snoozedBy ? ` by <@${a.snoozedBy}>` : ''}`);
  if (parts.length === 0) return null;
  const line = parts.join(' · ');
  return line.charAt(0).toUpperCase() + line.slice(1);
}

/**
 * The alert as posted, with its status line put in (before its buttons) or replaced; the rest untouched. In a
 * summary (`summarised`: the alert's id and subject) each summarised alert has a line of its own.
 */
export function withOncallStatus(msg: OutgoingMessage, line: string | null, summarised?: { alertId: string; subject: string }): OutgoingMessage {
  const id = summarised ? `${ONCALL_STATUS_BLOCK}_${summarised.alertId}` : ONCALL_STATUS_BLOCK;
  const blocks = ((msg.blocks ?? []) as KnownBlock[]).filter((b) => b.block_id !== id);
  if (line) {
    const text = summarised ? `${summarised.subject}: ${line.charAt(0).toLowerCase()}${line.slice(1)}` : line;
    const status: KnownBlock = { ...contextLine(`:bust_in_silhouette: ${text}`), block_id: id };
    const at = blocks.findIndex((b) => b.type === 'actions');
    blocks.splice(at < 0 ? blocks.length : at, 0, status);
  }
  return { ...msg, blocks };
}

export interface EscalationRule {
  /** watch[].escalateAfter in ms. */
  afterMs: number;
}

/**
 * Due for its one escalation: open, posted alone or in a summary, never escalated, not acknowledged, not snoozed
 * now, and `afterMs` past its announcement (or past the end of a snooze that ran longer).
 */
export function escalationDue(
  a: OncallState & { status: string; announcedAt: string | null; threadTs: string | null; escalatedAt: string | null },
  now: Date,
  rule: EscalationRule,
): boolean {
  if (a.status !== 'open' || !a.announcedAt || !a.threadTs || a.escalatedAt || a.ackedAt) return false;
  if (snoozedUntil(a, now)) return false;
  const due = Math.max(Date.parse(a.announcedAt) + rule.afterMs, a.snoozedUntil ? Date.parse(a.snoozedUntil) : 0);
  return now.getTime() >= due;
}
