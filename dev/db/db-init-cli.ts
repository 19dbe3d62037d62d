import pg from 'pg';
import { createClient } from '@clickhouse/client';
import { parseCliArgs } from '../../src/cli/args.js';
import { BotError } from '../../src/shared/errors.js';
import { maskSecrets } from '../../src/shared/mask.js';
import { dbInit } from './db-init.js';
import { createDatabaseIfMissing } from '../../src/ops/create-database.js';

const USAGE =
  'scorecard-bot db:init --database-url URL [--create-database] [--readonly-role NAME] [--writer-role NAME] [--clickhouse-url URL] [--clickhouse-database conversations] [--clickhouse-table scorecard_scores]';

/** Dev, demo and test only: creates the contract tables. Never pointed at a customer's production database. */
export async function dbInitCommand(argv: string[], io: { stdout: NodeJS.WritableStream; env: NodeJS.ProcessEnv }): Promise<number> {
  const { values } = parseCliArgs(
    argv,
    {
      'database-url': { type: 'string' },
      'create-database': { type: 'boolean' },
      'readonly-role': { type: 'string' },
      'writer-role': { type: 'string' },
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
      writerRole: values['writer-role'],
      clickhouse: ch ? { client: ch, database: values['clickhouse-database'], table: values['clickhouse-table'] } : undefined,
    });
    for (const line of done) io.stdout.write(`created ${line}\n`);
    return 0;
  } finally {
    await client.end().catch(() => undefined);
    await ch?.close();
  }
}
