import type pg from 'pg';
import type { Connectable } from './budgeted-pool.js';
import { BotError, type BotErrorOptions, type ErrorCode } from '../shared/errors.js';
import { maskSecrets } from '../shared/mask.js';
import { describeCause, spokenDuration, subjectOf, type Cause, type CauseFacts, type RetryBudget, type Store } from '../shared/user-messages.js';

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

export function createReadOnlyDb(pool: Connectable, opts: { statementTimeoutMs: number; label: string } & ClassifyContext): ReadOnlyDb {
  const timeout = Math.max(1, Math.floor(opts.statementTimeoutMs));
  const { label: _label, ...context } = opts;
  const classify = (cause: unknown): SourceError | BotError => classifyPgError(cause, opts.label, context);
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
    opts: BotErrorOptions = {},
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

/**
 * What the classifier knows besides the driver's error: whose database (for the sentence), the names the bot
 * used (from the config), the deadlines, and how long the run retries. All of it goes into the user message
 * through the table in src/shared/user-messages.ts; the driver's own text goes to the log only.
 */
export interface ClassifyContext extends Deadlines {
  store?: Store;
  customer?: string;
  profile?: string;
  user?: string;
  database?: string;
  statementTimeoutMs?: number;
  retry?: RetryBudget;
}

/** "acme/eu-west-1" -> customer acme, profile eu-west-1; "ops" -> the ops database. */
function contextOfLabel(label: string): ClassifyContext {
  if (label === 'ops') return { store: 'ops' };
  const [customer, profile] = label.split('/');
  return { store: 'customer', customer, ...(profile ? { profile } : {}) };
}

/** The one mapping from a driver error to what a person reads. Never includes a password (messages are masked). */
export function classifyPgError(cause: unknown, label: string, context: ClassifyContext = {}): SourceError | BotError {
  if (cause instanceof BotError) return cause;
  const e = (cause ?? {}) as PgLikeError;
  const detail = maskSecrets(e.message ?? String(cause));
  const innerCode = (e.cause as PgLikeError | undefined)?.code;
  const code = e.code ?? innerCode;
  const base: CauseFacts = { ...contextOfLabel(label), ...context };
  const make = (c: ErrorCode, failure: SourceFailure, kind: Cause, facts: Partial<CauseFacts> = {}): SourceError => {
    const all = { ...base, ...facts };
    const shown = describeCause(kind, all);
    return new SourceError(c, shown.message, label, failure, { cause, logMessage: `${label}: ${detail}`, hint: shown.hint, kind, facts: all });
  };

  // Client-side deadlines first: their wrapped cause may carry a socket code that would read as "dropped".
  if (/Query read timeout/i.test(detail)) {
    return make('SOURCE_STALLED', 'query_stalled', 'stopped_answering', { timeoutMs: context.queryTimeoutMs });
  }
  if (/connection timeout|timeout expired/i.test(detail)) {
    const reason = `no answer to the connection attempt${context.connectTimeoutMs ? ` within ${spokenDuration(context.connectTimeoutMs)}` : ''}`;
    return make('SOURCE_STALLED', 'connect_stalled', 'stopped_answering', { reason });
  }
  if (/timeout exceeded when trying to connect/i.test(detail)) {
    const reason = `every connection the bot may open is busy${context.connectTimeoutMs ? ` and none became free within ${spokenDuration(context.connectTimeoutMs)}` : ''}`;
    return make('SOURCE_STALLED', 'pool_busy', 'capacity', { reason });
  }
  switch (code) {
    case '25006':
      return make('READ_ONLY_VIOLATION', 'read_only', 'read_only_violation');
    case '57014':
      return make('QUERY_TIMEOUT', 'statement_timeout', 'timeout', { timeoutMs: context.statementTimeoutMs, timeoutSetting: 'gap.statementTimeoutMs' });
    case '42501':
      return make('NOT_ALLOWED', 'permission_denied', 'permission_denied');
    case '3D000':
      return make('DATABASE_MISSING', 'database_missing', 'database_missing');
    case '28P01':
    case '28000':
      return make('AUTH_FAILED', 'auth_failed', 'auth_refused');
    case 'ECONNREFUSED': {
      const where = e.address ? `${e.address}${e.port ? `:${e.port}` : ''}` : 'the configured host';
      return make('SOURCE_UNAVAILABLE', 'refused', 'unreachable', { reason: `nothing is listening at ${where} (connection refused)` });
    }
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return make('SOURCE_UNAVAILABLE', 'unknown_host', 'unreachable', { reason: `the host ${e.hostname ? `"${e.hostname}" ` : ''}is unknown (DNS lookup failed)` });
    case '53300':
      return make('SOURCE_UNAVAILABLE', 'capacity', 'capacity', { reason: 'too many clients' });
    case '57P03':
      return make('SOURCE_UNAVAILABLE', 'capacity', 'capacity', { reason: 'it is starting up, shutting down or recovering' });
    case 'ETIMEDOUT':
      return make('SOURCE_STALLED', 'connect_stalled', 'stopped_answering', { reason: 'the connection attempt timed out' });
  }
  if (code !== undefined && DROPPED_CODES.has(code)) return make('SOURCE_UNAVAILABLE', 'dropped', 'stopped_answering', { reason: 'the connection was cut' });
  if (/terminat|connection error|not queryable|pool after calling end|ECONNRESET|socket hang up/i.test(detail)) {
    return make('SOURCE_UNAVAILABLE', 'dropped', 'stopped_answering', { reason: 'the connection was cut' });
  }
  if (/connect/i.test(detail)) return make('SOURCE_UNAVAILABLE', 'other', 'unreachable');
  const shown = describeCause('internal', { text: `while querying ${subjectOf(base)}` });
  return new BotError('INTERNAL', shown.message, { cause, logMessage: `${label}: ${detail}`, kind: 'internal' });
}
