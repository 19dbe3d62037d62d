import { loadConfig } from '../config/load-config.js';
import type { Config } from '../config/schema.js';
import { BotError } from '../shared/errors.js';

export async function configFrom(flag: string | undefined, env: NodeJS.ProcessEnv): Promise<Config> {
  const path = flag ?? env.SCORECARD_BOT_CONFIG;
  if (!path) {
    throw new BotError('BAD_CONFIG', 'No config file given.', {
      hint: 'Pass --config FILE or set SCORECARD_BOT_CONFIG (config/demo.yml runs against the demo data).',
    });
  }
  return loadConfig(path, env);
}
