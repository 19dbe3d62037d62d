import { writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { parseCliArgs } from '../cli/args.js';
import { configFrom } from '../cli/config-source.js';
import { maskDeep } from '../shared/mask.js';
import { configSchema } from './schema.js';

export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema, { io: 'input' });
}

/** `config:check` validates and prints the effective config with secrets masked; `config:schema` writes the JSON Schema. */
export async function configCommand(sub: 'check' | 'schema', argv: string[], io: { stdout: NodeJS.WritableStream; env: NodeJS.ProcessEnv }): Promise<number> {
  const { values } = parseCliArgs(argv, { config: { type: 'string' }, out: { type: 'string' } }, `scorecard-bot config:${sub} [--config FILE] [--out FILE]`);
  if (sub === 'schema') {
    const text = JSON.stringify(configJsonSchema(), null, 2) + '\n';
    if (values.out) await writeFile(values.out, text);
    else io.stdout.write(text);
    return 0;
  }
  const config = await configFrom(values.config, io.env);
  io.stdout.write(JSON.stringify(maskDeep(config), null, 2) + '\n');
  return 0;
}
