import type pg from 'pg';
import type { Connectable } from './budgeted-pool.js';
import { BotError, type ErrorCode } from '../shared/errors.js';
import { maskSecrets } from '../shared/mask.js';
import { formatDuration } from '../shared/format.js';

/**
 * The only way gap and check code touches a customer database: every call is one `BEGIN READ ONLY` transaction
 * with a `statement_timeout`, so a bug (or a malicious string) cannot write, and a slow query cannot run forever.
 * The credentials behind the pool are the read-only ones as well: this is the second lock, not the only one.
 */
export type QueryFn = <R = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<R[]>;

export interface ReadOnlyDb {
  readonly label: string;
  /** Runs fn inside a read-only transaction on one connection; fn may run twice (once more after a dropped connection). */
  transaction<T>(fn: (q: QueryFn) => Promise<T>): Promise<T>;
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
}

/** Client-side deadlines of the pool behind a ReadOnlyDb, named in the messages when they expire. */
export interface Deadlines {
  connectTimeoutMs?: number;
  queryTimeoutMs?: number;
}

export function createReadOnlyDb(pool: Connectable, opts: { statementTimeoutMs: number; label: string } & Deadlines): ReadOnlyDb {
  const timeout = Math.max(1, Math.floor(opts.statementTimeoutMs));
  const classify = (cause: unknown): SourceError | BotError => classifyPgError(cause, opts.label, opts);
  const db: ReadOnlyDb = {
    label: opts.label,
    // A read-only transaction can be repeated safely: one connection dropped under it (server restart, failover,
    // a terminated backend) is retried once on a fresh connection before anyone has to hear about it.
    async transaction(fn) {
      try {
        return await once(fn);
      } catch (err) {
        if (err instanceof SourceError && err.failure === 'dropped') return once(fn);
        throw err;
      }
    },
    query(sql, params) {
      return db.transaction((q) => q(sql, params));
    },
  };
  return db;

  async function once<T>(fn: (q: QueryFn) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (cause) {
      throw classify(cause);
    }
    // pg-pool stops listening to a client while it is checked out; a connection dropped mid-transaction must
    // be noticed (the client is thrown away, not returned) and must never become an unhandled 'error' event.
    let lost: Error | null = null;
    const onError = (err: Error): void => {
      lost ??= err;
    };
    client.on('error', onError);
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
      let failure = classify(cause);
      if (lost && !(failure instanceof SourceError)) failure = classify(lost);
      // After a client-side deadline or a lost connection a ROLLBACK would queue behind the stuck statement
      // (or fail): throw the connection away instead.
      if (lost || (failure instanceof SourceError && failure.connectionLost)) broken = true;
      else {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
      }
      throw failure;
    } finally {
      client.off('error', onError);
      client.release(broken || lost !== null);
    }
  }
}

/** What went wrong with a customer database, for people (userMessage) and for the code that retries or reports. */
export type SourceFailure =
  | 'refused'
  | 'unknown_host'
  | 'database_missing'
  | 'auth_failed'
  | 'permission_denied'
  | 'dropped'
  | 'connect_stalled'
  | 'query_stalled'
  | 'pool_busy'
  | 'statement_timeout'
  | 'read_only'
  /** The server takes no more connections now (53300 too many clients, 57P03 cannot connect now): wait and retry. */
  | 'capacity'
  | 'other';

/**
 * A BotError that also says which database (`source`, e.g. "acme/eu-west-1") and what kind of failure, so a job
 * can say "waiting for the database of acme" instead of a generic failure. `stalled`: a client-side deadline.
 */
export class SourceError extends BotError {
  constructor(
    code: ErrorCode,
    userMessage: string,
    readonly source: string,
    readonly failure: SourceFailure,
    opts: { hint?: string; cause?: unknown; logMessage?: string } = {},
  ) {
    super(code, userMessage, opts);
    this.name = 'SourceError';
  }

  get stalled(): boolean {
    return this.failure === 'connect_stalled' || this.failure === 'query_stalled' || this.failure === 'pool_busy';
  }

  /** The connection this happened on cannot be reused. */
  get connectionLost(): boolean {
    return this.failure === 'dropped' || this.failure === 'query_stalled';
  }

  /** Worth dropping cached credentials and the pool: the URL may be stale (rotated password, moved host). */
  get refreshCredentials(): boolean {
    return ['refused', 'unknown_host', 'database_missing', 'auth_failed', 'connect_stalled'].includes(this.failure);
  }
}

interface PgLikeError {
  code?: string;
  message?: string;
  address?: string;
  port?: number;
  hostname?: string;
  cause?: unknown;
}

const DROPPED_CODES = new Set(['57P01', '57P02', '08006', '08003', '08000', 'ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** The one mapping from a driver error to what a person reads. Never includes a password (messages are masked). */
export function classifyPgError(cause: unknown, label: string, deadlines: Deadlines = {}): SourceError | BotError {
  if (cause instanceof BotError) return cause;
  const e = (cause ?? {}) as PgLikeError;
  const detail = maskSecrets(e.message ?? String(cause));
  const innerCode = (e.cause as PgLikeError | undefined)?.code;
  const code = e.code ?? innerCode;
  const make = (c: ErrorCode, failure: SourceFailure, message: string, hint?: string): SourceError =>
    new SourceError(c, message, label, failure, { cause, logMessage: `${label}: ${detail}`, hint });
  // PostgreSQL's own sentence, masked and short: it names the database, role or table, never a password.
  const pgSays = detail.length > 160 ? `${detail.slice(0, 159)}…` : detail;

  // Client-side deadlines first: their wrapped cause may carry a socket code that would read as "dropped".
  if (/Query read timeout/i.test(detail)) {
    const within = deadlines.queryTimeoutMs ? ` within ${formatDuration(deadlines.queryTimeoutMs)}` : '';
    return make('SOURCE_STALLED', 'query_stalled', `The database of ${label} stopped answering: no reply to a query${within}.`, 'The connection may be stalled or the server overloaded; the run retries.');
  }
  if (/connection timeout|timeout expired/i.test(detail)) {
    const within = deadlines.connectTimeoutMs ? ` within ${formatDuration(deadlines.connectTimeoutMs)}` : '';
    return make('SOURCE_STALLED', 'connect_stalled', `The database of ${label} did not answer the connection attempt${within}.`);
  }
  if (/timeout exceeded when trying to connect/i.test(detail)) {
    const within = deadlines.connectTimeoutMs ? ` within ${formatDuration(deadlines.connectTimeoutMs)}` : '';
    return make('SOURCE_STALLED', 'pool_busy', `No connection to the database of ${label} became free${within}: every one is busy.`);
  }
  switch (code) {
    case '25006':
      return make('READ_ONLY_VIOLATION', 'read_only', `Refused a write on ${label}: the read path is read-only.`);
    case '57014':
      return make('QUERY_TIMEOUT', 'statement_timeout', `A query on ${label} hit the statement timeout.`, 'Try a shorter period, or raise gap.statementTimeoutMs in the config.');
    case '42501':
      return make('NOT_ALLOWED', 'permission_denied', `The read-only user has no permission on the database of ${label} (${pgSays}).`, 'Grant the read-only role CONNECT on the database and SELECT on the contract tables (README, The read-only role, lists the grants).');
    case '3D000':
      return make('DATABASE_MISSING', 'database_missing', `The database of ${label} does not exist (${pgSays}).`, "Check the database name in the customer's postgres URL.");
    case '28P01':
    case '28000':
      return make('AUTH_FAILED', 'auth_failed', `The database of ${label} refused the login (${pgSays}).`, "Check the user and password of the customer's postgres URL or credential command.");
    case 'ECONNREFUSED':
      return make(
        'SOURCE_UNAVAILABLE',
        'refused',
        `Cannot reach the database of ${label}: nothing is listening at ${e.address ?? 'the host'}${e.port ? `:${e.port}` : ''} (connection refused).`,
        'Check that PostgreSQL is running there, and the host and port in the config.',
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return make(
        'SOURCE_UNAVAILABLE',
        'unknown_host',
        `Cannot reach the database of ${label}: the host ${e.hostname ? `"${e.hostname}" ` : ''}is unknown (DNS lookup failed).`,
        "Check the host name in the customer's postgres URL.",
      );
    case '53300':
      return make(
        'SOURCE_UNAVAILABLE',
        'capacity',
        `The database server of ${label} has no free connections (${pgSays}).`,
        "It is at its max_connections; the run retries with backoff. If it keeps happening, keep postgres.maxConnectionsPerServer times the bot's processes (and everyone else's connections) under the server's max_connections.",
      );
    case '57P03':
      return make(
        'SOURCE_UNAVAILABLE',
        'capacity',
        `The database server of ${label} cannot accept connections now: it is starting up, shutting down or recovering (${pgSays}).`,
        'The run retries with backoff; a restart or failover usually takes a minute.',
      );
    case 'ETIMEDOUT':
      return make('SOURCE_STALLED', 'connect_stalled', `The database of ${label} did not answer the connection attempt (timed out).`);
  }
  if (code !== undefined && DROPPED_CODES.has(code)) return dropped(make, label, pgSays);
  if (/terminat|connection error|not queryable|pool after calling end|ECONNRESET|socket hang up/i.test(detail)) return dropped(make, label, pgSays);
  if (/connect/i.test(detail)) return make('SOURCE_UNAVAILABLE', 'other', `Cannot reach the database of ${label} (${pgSays}).`);
  return new BotError('INTERNAL', `A query on ${label} failed.`, { cause, logMessage: `${label}: ${detail}` });
}

function dropped(make: (c: ErrorCode, f: SourceFailure, m: string, h?: string) => SourceError, label: string, pgSays: string): SourceError {
  return make('SOURCE_UNAVAILABLE', 'dropped', `The connection to the database of ${label} was dropped (${pgSays}).`, 'The run retries; if it keeps happening, check the server and the network.');
}
