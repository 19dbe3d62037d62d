import { BotError, isPermanent, userFacing, type ErrorCode } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { ephemeralNotice, ephemeralWarning } from './ephemeral.js';
import type { EphemeralMessage } from './slack-message.js';

// The one mapping from an error to what the person in Slack reads, and to what the log gets. A refusal is routine
// (info); anything else is a fault (error, with the cause).

/** Refused requests: the person can change something (channel, input, wait), nothing is broken. */
const REFUSALS: ReadonlySet<ErrorCode> = new Set(['NOT_ALLOWED', 'TOO_MANY_RUNS']);

function isQueueDown(err: unknown): boolean {
  const msg = String((err as Error)?.message ?? err);
  return /ECONNREFUSED|Connection is closed|Stream isn't writeable|enableOfflineQueue|Reached the max retries/i.test(msg);
}

function isNotInChannel(err: unknown): boolean {
  return /not_in_channel|channel_not_found/.test(String((err as Error)?.message ?? err));
}

export function isRefusal(err: unknown): boolean {
  return err instanceof BotError && (REFUSALS.has(err.code) || isPermanent(err));
}

export function errorReply(err: unknown): EphemeralMessage {
  if (err instanceof BotError) return isRefusal(err) ? ephemeralNotice(err) : ephemeralWarning(err);
  if (isQueueDown(err)) {
    return ephemeralWarning({ message: 'The job queue (Redis) is unavailable, so nothing was started.', hint: "Try again in a minute; if it persists, check the bot's Redis." });
  }
  if (isNotInChannel(err)) return ephemeralWarning({ message: 'I cannot post in this channel.', hint: 'Invite me first: /invite @scorecard-gap-bot' });
  return ephemeralWarning(userFacing(err));
}

/** Logs a handler's error once: "<name> refused" for refusals, "<name> failed" with the cause for faults. */
export function logHandlerError(logger: Logger, name: string, err: unknown, who: { user: string; channel: string }): void {
  if (isRefusal(err)) {
    const e = err as BotError;
    logger.info({ ...who, code: e.code, reason: e.userMessage }, `${name} refused`);
  } else {
    logger.error({ ...who, err }, `${name} failed`);
  }
}
