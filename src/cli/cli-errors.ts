import { BotError, userFacing } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

/** The CLI's single error destination: a person reads the message and hint; the log gets the cause. */
export function reportCliError(err: unknown, stderr: NodeJS.WritableStream, logger?: Logger): number {
  const { message, hint } = userFacing(err);
  stderr.write(`error: ${message}\n`);
  if (hint) stderr.write(`${hint}\n`);
  if (!(err instanceof BotError) || err.code === 'INTERNAL') logger?.error({ err }, 'command failed');
  if (err instanceof BotError && ['BAD_INPUT', 'BAD_CONFIG', 'UNKNOWN_CUSTOMER'].includes(err.code)) return 2;
  return 1;
}
