import { parseConfig } from '../../src/config/load-config.js';
import { BotError } from '../../src/shared/errors.js';

/** The message a config file is refused with (every problem listed); fails the test when the file is accepted. */
export function configProblems(text: string): string {
  try {
    parseConfig(text, {});
  } catch (err) {
    if (err instanceof BotError) return err.userMessage;
    throw err;
  }
  throw new Error('expected a config error');
}
