import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BotError } from '../shared/errors.js';

/** node:util parseArgs with our error type, so a typo gets the usage line instead of a stack trace. */
export function parseCliArgs<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, usage: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (cause) {
    throw new BotError('BAD_INPUT', (cause as Error).message, { hint: `Usage: ${usage}` });
  }
}
