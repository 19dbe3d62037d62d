import pg from 'pg';
import { parseCliArgs } from './args.js';
import { configFrom } from './config-source.js';
import { createDatabaseIfMissing } from '../ops/create-database.js';
import { BotError } from '../shared/errors.js';
import { maskSecrets } from '../shared/mask.js';
import { runOpsMigrations } from '../ops/migrations/run.js';
import type { CliIo } from './cli-io.js';

const USAGE = 'scorecard-bot ops:init --database-url URL [--create-database]   (the bot\'s own state; serve also migrates it at start)';
const MIGRATE_USAGE = 'scorecard-bot ops:migrate [--database-url URL | --config FILE]   (--config: ops.migrationUrl, else ops.url; serve and worker also run it at start)';

type Io = Pick<CliIo, 'stdout' | 'env'>;

async function migrateAt(url: string, io: Io): Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: 'scorecard-bot-migrate' });
  await client.connect();
  try {
    const applied = await runOpsMigrations(client).catch((err: unknown) => {
      // The runtime role of a two-role setup may not create or alter anything: say which URL to migrate with.
      if ((err as { code?: string }).code === '42501') {
        throw new BotError('NOT_ALLOWED', `This role may not change the ops database's schema (${maskSecrets((err as Error).message)}).`, {
          cause: err,
          hint: 'Migrate as the role that owns schema scorecard_bot: set ops.migrationUrl in the config, or pass --database-url with that role (README, "The ops database roles").',
        });
      }
      throw err;
    });
    io.stdout.write(applied.length === 0 ? 'ops database is up to date\n' : `applied ${applied.join(', ')}\n`);
  } finally {
    await client.end();
  }
}

/** Creates the bot's ops database (optionally) and applies its migrations. */
export async function opsInitCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCliArgs(argv, { 'database-url': { type: 'string' }, 'create-database': { type: 'boolean' } }, USAGE);
  const url = values['database-url'] ?? io.env.OPS_DATABASE_URL;
  if (!url) throw new BotError('BAD_INPUT', '--database-url is required.', { hint: `Usage: ${USAGE}` });
  if (values['create-database']) {
    const created = await createDatabaseIfMissing(url);
    if (created) io.stdout.write(`created database ${created}\n`);
  }
  await migrateAt(url, io);
  io.stdout.write('created ops schema scorecard_bot\n');
  return 0;
}

/** Applies pending migrations, under node-pg-migrate's advisory lock (a second process waits, then finds none). */
export async function opsMigrateCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCliArgs(argv, { 'database-url': { type: 'string' }, config: { type: 'string' } }, MIGRATE_USAGE);
  let url = values['database-url'] ?? (values.config ? undefined : io.env.OPS_DATABASE_URL);
  if (!url && (values.config || io.env.SCORECARD_BOT_CONFIG)) {
    // The schema's owner applies migrations when the config names one; the runtime role (ops.url) may not be able to.
    const ops = (await configFrom(values.config, io.env)).ops;
    url = ops?.migrationUrl ?? ops?.url;
  }
  if (!url) throw new BotError('BAD_INPUT', 'Which ops database? Give --database-url URL, or a config with ops.url.', { hint: `Usage: ${MIGRATE_USAGE}` });
  await migrateAt(url, io);
  return 0;
}
