import pg from 'pg';
import { BotError } from '../shared/errors.js';
import { maskSecrets } from '../shared/mask.js';

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
