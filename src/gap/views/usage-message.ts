import { truncate } from '../../shared/format.js';
import { escapeHint, shownError, type ShownError } from '../../slack/ephemeral.js';
import { SLACK_LIMITS } from '../../slack/limits.js';
import { contextLine, escapeMrkdwn, mrkdwnSection } from '../../slack/mrkdwn.js';
import type { EphemeralMessage } from '../../slack/slack-message.js';

export interface UsageOptions {
  command?: string;
  /** Period examples shown to the user. */
  periods?: string[];
  customerExample?: string;
}

/** The reply (for response_url or chat.postEphemeral) to a command that can't run: what went wrong and how to
 *  ask. `error` is a message, or an error with a user-facing message and a hint (the project's BotError). */
export function ephemeralUsage(error: ShownError, opts: UsageOptions = {}): EphemeralMessage {
  const command = opts.command ?? '/scorecard-gap';
  // Callers pass a configured customer; this default only serves renderer tests.
  const customer = opts.customerExample ?? 'rentokil';
  const periods = opts.periods ?? ['jan-2026', '2026-01-15..2026-01-28', '2026-01-23', 'last-14d'];
  const { message, hint } = shownError(error);
  const usage = `Usage: \`${command} <customer> <period>\``;
  const examples = periods.map((p) => `\`${command} ${customer} ${p}\``).join(', ');
  const blocks = [
    mrkdwnSection(`:warning: ${escapeMrkdwn(message)}`),
    mrkdwnSection(escapeMrkdwn(`${usage}\nFor example: ${examples}`)),
    ...(hint ? [contextLine(`:bulb: ${escapeHint(hint)}`)] : []),
  ];
  return { response_type: 'ephemeral', text: truncate(`${message} ${usage}`, SLACK_LIMITS.sectionText), blocks };
}
