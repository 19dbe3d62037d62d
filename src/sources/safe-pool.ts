import pg from 'pg';

// Every PostgreSQL pool the bot opens (customer read pools, check pools, the ops pool, the backfill writer)
// comes from here, so none can crash the process or hang a run:
// - a client that loses its connection emits 'error'; pg-pool only listens while the client is idle, and an
//   'error' event without a listener kills the process. Every client gets a listener for its whole life.
// - client-side deadlines: a peer that stops answering (packets held, host gone) would otherwise hang a
//   connect or a query until the OS gives up (~15 minutes); keepAlive lets the OS notice a dead peer sooner.

export interface SafePoolOptions {
  url: string;
  max: number;
  applicationName: string;
  /** Deadline for opening a connection, and for waiting for a free one when all `max` are busy. */
  connectTimeoutMs: number;
  /** Client-side deadline per query; keep it a little above the server-side statement timeout. */
  queryTimeoutMs: number;
  /** Server-side statement_timeout for every session; omit when the caller sets one per transaction. */
  statementTimeoutMs?: number;
  /** Session default as a further lock under BEGIN READ ONLY. */
  readOnly?: boolean;
  idleTimeoutMs?: number;
  /** Told about connection errors the pool absorbed (idle or checked-out clients); never throws. */
  onError?: (err: Error) => void;
}

/** The client-side query deadline for a server-side statement timeout: a margin above it, so the server speaks first. */
export function clientDeadlineMs(statementTimeoutMs: number): number {
  return statementTimeoutMs + Math.min(10_000, Math.max(2_000, Math.round(statementTimeoutMs * 0.1)));
}

export function createSafePool(o: SafePoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: o.url,
    max: o.max,
    idleTimeoutMillis: o.idleTimeoutMs ?? 30_000,
    connectionTimeoutMillis: o.connectTimeoutMs,
    query_timeout: o.queryTimeoutMs,
    ...(o.statementTimeoutMs === undefined ? {} : { statement_timeout: o.statementTimeoutMs }),
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: o.applicationName,
    options: o.readOnly ? '-c default_transaction_read_only=on' : undefined,
  });
  const report = (err: Error): void => {
    try {
      o.onError?.(err);
    } catch {
      // a logger that throws must not turn an absorbed error into a crash
    }
  };
  pool.on('error', report);
  // The listener stays for the client's life: checked out, idle, or ended after a failure.
  pool.on('connect', (client) => client.on('error', report));
  return pool;
}
