import { SLACK_LIMITS, type SlackMessage } from './limits.js';
import { contextLine, escapeMrkdwn, mrkdwnSection } from './mrkdwn.js';
import { truncate } from '../shared/format.js';

// Failure messages: one in the thread when an investigation fails, one only the requester sees when the command
// itself is wrong.

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

export interface UsageOptions {
  command?: string;
  /** Period examples shown to the user. */
  periods?: string[];
  customerExample?: string;
}

export type EphemeralMessage = SlackMessage & { response_type: 'ephemeral' };

type ShownError = string | { message: string; userMessage?: string; hint?: string | undefined };

/** Escapes a hint but keeps channel links (`<#C01INC>`): a refusal points at the channels to use instead. */
function escapeHint(hint: string): string {
  return escapeMrkdwn(hint).replace(/&lt;#([CGD][A-Z0-9]+)&gt;/g, '<#$1>');
}

function shown(error: ShownError): { message: string; hint: string | undefined } {
  return typeof error === 'string' ? { message: error, hint: undefined } : { message: error.userMessage ?? error.message, hint: error.hint };
}

/** A refusal (not allowed here, too many runs): what and why, with no usage line and no customer names. */
export function ephemeralNotice(error: ShownError): EphemeralMessage {
  const { message, hint } = shown(error);
  const blocks = [mrkdwnSection(`:no_entry: ${escapeMrkdwn(message)}`), ...(hint ? [contextLine(`:bulb: ${escapeHint(hint)}`)] : [])];
  return { response_type: 'ephemeral', text: truncate(hint ? `${message} ${hint}` : message, SLACK_LIMITS.sectionText), blocks };
}

/** The reply (for response_url or chat.postEphemeral) to a command that can't run: what went wrong and how to
 *  ask. `error` is a message, or an error with a user-facing message and a hint (the project's BotError). */
export function ephemeralUsage(error: ShownError, opts: UsageOptions = {}): EphemeralMessage {
  const command = opts.command ?? '/scorecard-gap';
  // Callers pass a configured customer; this default only serves renderer tests.
  const customer = opts.customerExample ?? 'rentokil';
  const periods = opts.periods ?? ['jan-2026', '2026-01-15..2026-01-28', '2026-01-23', 'last-14d'];
  const { message, hint } = shown(error);
  const usage = `Usage: \`${command} <customer> <period>\``;
  const examples = periods.map((p) => `\`${command} ${customer} ${p}\``).join(', ');
  const blocks = [
    mrkdwnSection(`:warning: ${escapeMrkdwn(message)}`),
    mrkdwnSection(escapeMrkdwn(`${usage}\nFor example: ${examples}`)),
    ...(hint ? [contextLine(`:bulb: ${escapeHint(hint)}`)] : []),
  ];
  return { response_type: 'ephemeral', text: truncate(`${message} ${usage}`, SLACK_LIMITS.sectionText), blocks };
}
