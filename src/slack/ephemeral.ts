import { truncate } from '../shared/format.js';
import { SLACK_LIMITS } from './limits.js';
import { contextLine, escapeMrkdwn, mrkdwnSection } from './mrkdwn.js';
import type { EphemeralMessage } from './slack-message.js';

// Replies only the person who asked sees: a refusal (not allowed, at a limit) or a warning (something failed).

export type ShownError = string | { message: string; userMessage?: string; hint?: string | undefined };

/**
 * Escapes a hint but keeps channel links and mentions (`<#C01INC>`, `<@U0BOB>`, `<!subteam^S0SRE>`): a refusal
 * points at the channels to use, or names who can act.
 */
export function escapeHint(hint: string): string {
  return escapeMrkdwn(hint).replace(/&lt;(#[CGD][A-Z0-9]+|@[UW][A-Z0-9]+|!subteam\^[A-Z0-9]+)&gt;/g, '<$1>');
}

export function shownError(error: ShownError): { message: string; hint: string | undefined } {
  return typeof error === 'string' ? { message: error, hint: undefined } : { message: error.userMessage ?? error.message, hint: error.hint };
}

function ephemeral(emoji: string, error: ShownError): EphemeralMessage {
  const { message, hint } = shownError(error);
  const blocks = [mrkdwnSection(`${emoji} ${escapeMrkdwn(message)}`), ...(hint ? [contextLine(`:bulb: ${escapeHint(hint)}`)] : [])];
  return { response_type: 'ephemeral', text: truncate(hint ? `${message} ${hint}` : message, SLACK_LIMITS.sectionText), blocks };
}

/** A refusal (not allowed here, too many runs): what and why, with no usage line and no customer names. */
export function ephemeralNotice(error: ShownError): EphemeralMessage {
  return ephemeral(':no_entry:', error);
}

/** Something failed after the request was accepted: what happened and, when known, what to do. */
export function ephemeralWarning(error: ShownError): EphemeralMessage {
  return ephemeral(':warning:', error);
}

/** Answers a click with a line only the clicker sees, leaving the clicked message as it is. */
export async function replyEphemeral(respond: (msg: EphemeralMessage & { replace_original: false }) => Promise<unknown>, error: ShownError): Promise<void> {
  await respond({ ...ephemeralNotice(error), replace_original: false });
}
