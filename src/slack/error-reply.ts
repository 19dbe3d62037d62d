import { randomBytes } from 'node:crypto';
import { BotError, isPermanent, userFacing, type ErrorCode } from '../shared/errors.js';
import { describeCause } from '../shared/user-messages.js';
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

/**
 * The reply for any error, rendered from the table of user messages. `errorId` (logged with the fault) is what a
 * person quotes when the cause is a bug.
 */
export function errorReply(err: unknown, errorId?: string): EphemeralMessage {
  if (err instanceof BotError) return isRefusal(err) ? ephemeralNotice(err) : ephemeralWarning(userFacing(err, errorId ? `error id ${errorId}` : undefined));
  if (isQueueDown(err)) return ephemeralWarning(describeCause('unreachable', { store: 'redis', reason: 'nothing was started' }));
  if (isNotInChannel(err)) return ephemeralWarning(describeCause('not_allowed', { text: 'I cannot post in this channel.', hint: 'Invite me first: /invite @scorecard-gap-bot' }));
  return ephemeralWarning(userFacing(err, errorId ? `error id ${errorId}` : undefined));
}

/**
 * Logs a handler's error once: "<name> refused" for refusals, "<name> failed" with the cause and an error id for
 * faults. Returns that id, for the reply.
 */
export function logHandlerError(logger: Logger, name: string, err: unknown, who: { user: string; channel: string }): string | undefined {
  if (isRefusal(err)) {
    const e = err as BotError;
    logger.info({ ...who, code: e.code, reason: e.userMessage }, `${name} refused`);
    return undefined;
  }
  const errorId = randomBytes(4).toString('hex');
  logger.error({ ...who, errorId, err }, `${name} failed`);
  return errorId;
}
