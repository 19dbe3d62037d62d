import type pg from 'pg';
import { BotError } from '../shared/errors.js';
import { maskSecrets } from '../shared/mask.js';

/**
 * The only way gap and check code touches a customer database: every call is one `BEGIN READ ONLY` transaction
 * with a `statement_timeout`, so a bug (or a malicious string) cannot write, and a slow query cannot run forever.
 * The credentials behind the pool are the read-only ones as well: this is the second lock, not the only one.
 */
export interface ReadOnlyDb {
  readonly label: string;
  /** Runs fn inside a read-only transaction on one connection. */
  transaction<T>(fn: (q: <R = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<R[]>) => Promise<T>): Promise<T>;
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
}

export function createReadOnlyDb(pool: pg.Pool, opts: { statementTimeoutMs: number; label: string }): ReadOnlyDb {
  const timeout = Math.max(1, Math.floor(opts.statementTimeoutMs));
  const db: ReadOnlyDb = {
    label: opts.label,
    async transaction(fn) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (cause) {
        throw classifyPgError(cause, opts.label);
      }
      let broken = false;
      try {
        await client.query('BEGIN TRANSACTION READ ONLY');
        // SET LOCAL cannot take a bind parameter; the value is an integer we computed, never input.
        await client.query(`SET LOCAL statement_timeout = ${timeout}`);
        // Many short, similar queries: JIT compilation costs more than it saves (~60 ms a window, measured), and
        // a window's hash of historic IDs should not spill to disk at the 4 MB default.
        await client.query("SET LOCAL jit = off; SET LOCAL work_mem = '32MB'");
        const q = async <R>(sql: string, params: unknown[] = []): Promise<R[]> => (await client.query(sql, params)).rows as R[];
        const result = await fn(q);
        await client.query('COMMIT');
        return result;
      } catch (cause) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw classifyPgError(cause, opts.label);
      } finally {
        client.release(broken);
      }
    },
    query(sql, params) {
      return db.transaction((q) => q(sql, params));
    },
  };
  return db;
}

interface PgLikeError {
  code?: string;
  message?: string;
}

export function classifyPgError(cause: unknown, label: string): BotError {
  if (cause instanceof BotError) return cause;
  const e = (cause ?? {}) as PgLikeError;
  const detail = maskSecrets(e.message ?? String(cause));
  switch (e.code) {
    case '25006':
      return new BotError('READ_ONLY_VIOLATION', `Refused a write on ${label}: the read path is read-only.`, { cause, logMessage: detail });
    case '57014':
      return new BotError('QUERY_TIMEOUT', `A query on ${label} hit the statement timeout.`, {
        cause,
        logMessage: detail,
        hint: 'Try a shorter period, or raise gap.statementTimeoutMs in the config.',
      });
    case '42501':
      return new BotError('NOT_ALLOWED', `The read-only user has no access to a table on ${label}.`, { cause, logMessage: detail });
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'ETIMEDOUT':
    case 'ECONNRESET':
    case '57P01':
    case '57P03':
    case '08006':
    case '08001':
    case '3D000':
    case '28P01':
    case '28000':
      return new BotError('SOURCE_UNAVAILABLE', `Cannot reach the database of ${label}.`, {
        cause,
        logMessage: detail,
        hint: 'Check that the database is up and the credentials in the config are valid.',
      });
    default:
      if (/connect|terminat|timeout expired/i.test(detail)) {
        return new BotError('SOURCE_UNAVAILABLE', `Cannot reach the database of ${label}.`, { cause, logMessage: detail });
      }
      return new BotError('INTERNAL', `A query on ${label} failed.`, { cause, logMessage: detail });
  }
}
