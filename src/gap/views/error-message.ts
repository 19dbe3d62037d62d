import { truncate } from '../../shared/format.js';
import { SLACK_LIMITS } from '../../slack/limits.js';
import { contextLine, escapeMrkdwn, mrkdwnSection } from '../../slack/mrkdwn.js';
import type { SlackMessage } from '../../slack/slack-message.js';

// The thread's message when an investigation (or one of its windows) fails.

export interface ErrorMessageInput {
  customer?: string;
  /** The window that failed: a label, or its [from, to) instants. */
  window?: string | { from: string; to: string };
  message: string;
  hint?: string;
}

function windowLabel(w: ErrorMessageInput['window']): string | null {
  if (w === undefined) return null;
  return typeof w === 'string' ? w : `${w.from} to ${w.to}`;
}

export function errorMessage(input: ErrorMessageInput): SlackMessage {
  const what = input.customer ? `Investigating ${input.customer} failed` : 'The investigation failed';
  const where = windowLabel(input.window);
  const text = truncate(`${what}${where ? ` in window ${where}` : ''}: ${input.message}`, SLACK_LIMITS.sectionText);
  const head = `:x: *${escapeMrkdwn(what)}*${where ? ` in window \`${escapeMrkdwn(where)}\`` : ''}`;
  const quoted = escapeMrkdwn(input.message)
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
  const blocks = [mrkdwnSection(`${head}\n${quoted}`)];
  return { text, blocks: input.hint ? [...blocks, contextLine(`:bulb: ${escapeMrkdwn(input.hint)}`)] : blocks };
}
