import pg from 'pg';
import { parseCliArgs } from '../cli/args.js';
import { createDatabaseIfMissing } from '../db/db-init-cli.js';
import { BotError } from '../shared/errors.js';
import { OpsStore } from './ops-store.js';

const USAGE = 'scorecard-bot ops:init --database-url URL [--create-database]   (the bot\'s own state; serve also migrates it at start)';

/** Creates the bot's ops database (optionally) and its schema. */
export async function opsInitCommand(argv: string[], io: { stdout: NodeJS.WritableStream; env: NodeJS.ProcessEnv }): Promise<number> {
  const { values } = parseCliArgs(argv, { 'database-url': { type: 'string' }, 'create-database': { type: 'boolean' } }, USAGE);
  const url = values['database-url'] ?? io.env.OPS_DATABASE_URL;
  if (!url) throw new BotError('BAD_INPUT', '--database-url is required.', { hint: `Usage: ${USAGE}` });
  if (values['create-database']) {
    const created = await createDatabaseIfMissing(url);
    if (created) io.stdout.write(`created database ${created}\n`);
  }
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await new OpsStore(pool).migrate();
    io.stdout.write('created ops schema scorecard_bot\n');
    return 0;
  } finally {
    await pool.end();
  }
}
