import { randomBytes } from 'node:crypto';
import { BotError, userFacing } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { UserMessage } from '../shared/user-messages.js';

/**
 * What a person (stderr) or a script (--json) reads for a failed command, from the table of user messages. A bug
 * gets an error id, logged with its cause, for the person to quote.
 */
export function cliFailure(err: unknown, logger?: Logger): UserMessage & { code: string } {
  const bug = !(err instanceof BotError) || err.code === 'INTERNAL';
  const errorId = bug ? randomBytes(4).toString('hex') : undefined;
  if (bug) logger?.error({ err, errorId }, 'command failed');
  return { code: err instanceof BotError ? err.code : 'INTERNAL', ...userFacing(err, errorId ? `error id ${errorId}` : undefined) };
}

/** The CLI's single error destination: a person reads the message and hint; the log gets the cause. */
export function reportCliError(err: unknown, stderr: NodeJS.WritableStream, logger?: Logger, shown: UserMessage = cliFailure(err, logger)): number {
  const { message, hint } = shown;
  stderr.write(`error: ${message}\n`);
  if (hint) stderr.write(`${hint}\n`);
  if (err instanceof BotError && ['BAD_INPUT', 'BAD_CONFIG', 'UNKNOWN_CUSTOMER'].includes(err.code)) return 2;
  return 1;
}
