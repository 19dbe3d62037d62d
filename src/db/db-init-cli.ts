import pg from 'pg';
import { createClient } from '@clickhouse/client';
import { parseCliArgs } from '../cli/args.js';
import { BotError } from '../shared/errors.js';
import { maskSecrets } from '../shared/mask.js';
import { dbInit } from './db-init.js';

const USAGE =
  'scorecard-bot db:init --database-url URL [--create-database] [--readonly-role NAME] [--clickhouse-url URL] [--clickhouse-database conversations] [--clickhouse-table scorecard_scores]';

/** Dev, demo and test only: creates the contract tables. Never pointed at a customer's production database. */
export async function dbInitCommand(argv: string[], io: { stdout: NodeJS.WritableStream; env: NodeJS.ProcessEnv }): Promise<number> {
  const { values } = parseCliArgs(
    argv,
    {
      'database-url': { type: 'string' },
      'create-database': { type: 'boolean' },
      'readonly-role': { type: 'string' },
      'clickhouse-url': { type: 'string' },
      'clickhouse-database': { type: 'string', default: 'conversations' },
      'clickhouse-table': { type: 'string', default: 'scorecard_scores' },
    },
    USAGE,
  );
  const url = values['database-url'] ?? io.env.DATABASE_URL;
  if (!url) throw new BotError('BAD_INPUT', '--database-url is required.', { hint: `Usage: ${USAGE}` });
  if (values['create-database']) {
    const created = await createDatabaseIfMissing(url);
    if (created) io.stdout.write(`created database ${created}\n`);
  }
  const client = new pg.Client({ connectionString: url });
  const ch = values['clickhouse-url'] ? createClient({ url: values['clickhouse-url'] }) : null;
  try {
    await client.connect().catch((cause: unknown) => {
      throw new BotError('SOURCE_UNAVAILABLE', `Cannot connect to ${maskSecrets(url)}.`, { cause });
    });
    const done = await dbInit(client, {
      readOnlyRole: values['readonly-role'],
      clickhouse: ch ? { client: ch, database: values['clickhouse-database'], table: values['clickhouse-table'] } : undefined,
    });
    for (const line of done) io.stdout.write(`created ${line}\n`);
    return 0;
  } finally {
    await client.end().catch(() => undefined);
    await ch?.close();
  }
}

/** Connects to the server's `postgres` database and creates the target database when it does not exist. */
export async function createDatabaseIfMissing(url: string): Promise<string | null> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(name)) throw new BotError('BAD_INPUT', `"${name}" is not a database name I will create.`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  try {
    await client.connect();
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return null;
    await client.query(`CREATE DATABASE "${name}"`);
    return name;
  } catch (cause) {
    if (cause instanceof BotError) throw cause;
    throw new BotError('SOURCE_UNAVAILABLE', `Cannot create the database ${name} on ${maskSecrets(admin.host)}.`, { cause });
  } finally {
    await client.end().catch(() => undefined);
  }
}
