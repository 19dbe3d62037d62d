import pg from 'pg';
import type { CustomerConfig } from '../config/schema.js';
import { BotError } from '../shared/errors.js';
import { maskSecrets } from '../shared/mask.js';
import type { ConnectionUrlResolver } from '../sources/connection-url.js';
import { HISTORIC_COLUMNS, HISTORIC_ROW_EXISTS, HISTORIC_SELECT, IN_SCOPE } from './mapping.js';

// The only code that holds writer credentials. The pool is opened by the backfill job and closed when it ends;
// nothing on the read path (gap, check, plan) ever receives it.

/** How the plan names the target without running a credential command: the URL masked, or the command's shape. */
export function describeWriterTarget(customer: CustomerConfig): string | null {
  const w = customer.writer;
  if (!w) return null;
  if ('url' in w) return maskSecrets(w.url);
  return `the URL printed by the writer credential command (resolved when the job starts)`;
}

export async function openWriterPool(customer: CustomerConfig, resolver: ConnectionUrlResolver, statementTimeoutMs: number): Promise<pg.Pool> {
  if (!customer.writer) {
    throw new BotError('BAD_CONFIG', `${customer.name} has no writer connection, so nothing can be backfilled.`, {
      hint: `Add customers[].writer for ${customer.name} in the config (used only by approved backfill jobs).`,
    });
  }
  const url = await resolver.resolve(customer.writer, customer, 'write');
  const pool = new pg.Pool({
    connectionString: url,
    max: 2,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
    application_name: 'scorecard-bot-backfill',
    statement_timeout: statementTimeoutMs,
  });
  pool.on('error', () => undefined);
  return pool;
}

export interface ChunkOutcome {
  historicRows: number;
  /** Planned scorecards that received at least one row. */
  scorecardsWritten: number;
}

// One statement: every director score of the chunk's scorecards that has no historic row for its scorecard and
// criterion. Under the per-customer advisory lock (taken by the statement before it, so this statement's snapshot
// sees everything a concurrent job committed), a retry, a resumed job or an overlapping job writes nothing twice.
const INSERT_CHUNK = `
WITH ins AS (
  INSERT INTO historic.scorecard_scores (${HISTORIC_COLUMNS.join(', ')})
  SELECT ${HISTORIC_SELECT}
  FROM director.scorecards d
  JOIN director.scores s ON s.customer = d.customer AND s.profile = d.profile AND s.scorecard_id = d.resource_id
  WHERE d.customer = $1 AND d.profile = $2 AND d.resource_id = ANY($3::text[])
    AND ${IN_SCOPE}
    AND NOT ${HISTORIC_ROW_EXISTS}
  RETURNING scorecard_id
)
SELECT count(*)::int AS rows, count(DISTINCT scorecard_id)::int AS scorecards FROM ins`;

/** Two int4 keys: a namespace for backfill and the customer/profile, so other advisory locks never collide. */
export const LOCK_SQL = `SELECT pg_advisory_xact_lock(hashtext('scorecard-bot/backfill'), hashtext($1 || '/' || $2))`;

/** Writes one chunk in one transaction; any error rolls the whole chunk back. */
export async function writeHistoricChunk(pool: pg.Pool, customer: string, profile: string, ids: string[]): Promise<ChunkOutcome> {
  const client = await pool.connect();
  let broken = false;
  // A connection that dies mid-chunk (server restart, terminated backend) also emits 'error' on the client; the
  // failing query reports it, so the event needs a listener that keeps it from crashing the process.
  const onError = (): void => {
    broken = true;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    await client.query(LOCK_SQL, [customer, profile]);
    const { rows } = await client.query<{ rows: number; scorecards: number }>(INSERT_CHUNK, [customer, profile, ids]);
    await client.query('COMMIT');
    return { historicRows: rows[0]?.rows ?? 0, scorecardsWritten: rows[0]?.scorecards ?? 0 };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw err;
  } finally {
    // A broken client keeps the listener: its socket may still report the termination after it is released.
    if (!broken) client.off('error', onError);
    client.release(broken);
  }
}
