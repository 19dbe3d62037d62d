import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type pg from 'pg';

// The ops database's schema is a list of versioned migrations (0001_..., 0002_... in this folder), applied by
// node-pg-migrate. Its advisory lock (pg_advisory_lock, mode "wait") makes a second process that starts at the
// same time wait for the first and then find nothing left to do, instead of racing it or failing.

const DIR = fileURLToPath(new URL('.', import.meta.url));
/** Only NNNN_name.ts / NNNN_name.js are migrations: this runner, declaration and map files are not. */
const NOT_A_MIGRATION = '(?!\\d{4}_[a-z0-9-]+\\.(ts|js)$).*';

export const MIGRATIONS_TABLE = 'pgmigrations';
export const MIGRATIONS_SCHEMA = 'scorecard_bot';

/** Applies every pending migration on one client (connected by the caller); returns the names applied. */
export async function runOpsMigrations(client: pg.ClientBase, log: (line: string) => void = () => undefined): Promise<string[]> {
  const applied = await runner({
    dbClient: client,
    dir: DIR,
    ignorePattern: NOT_A_MIGRATION,
    direction: 'up',
    migrationsTable: MIGRATIONS_TABLE,
    migrationsSchema: MIGRATIONS_SCHEMA,
    createMigrationsSchema: true,
    checkOrder: true,
    singleTransaction: true,
    advisoryLockMode: 'wait',
    log,
    logger: { debug: () => undefined, info: log, warn: log, error: log },
  });
  return applied.map((m) => m.name);
}
