import pg from 'pg';
import type { CustomerConfig } from '../config/schema.js';
import { BotError } from '../shared/errors.js';
import type { ConnectionUrlResolver } from '../sources/connection-url.js';
import { postgresIdentityOfUrl, type PostgresIdentity } from './writer-identity.js';
import { HISTORIC_COLUMNS, HISTORIC_ROW_EXISTS, HISTORIC_SELECT, IN_SCOPE, scorecardDigest, scoresAggregate } from './mapping.js';

// The only code that holds writer credentials. The pool is opened by the backfill job and closed when it ends;
// nothing on the read path (gap, check, plan) ever receives it.

/** The writer pool, and who it writes to (host, port, database, user: never the password). */
export async function openWriterPool(customer: CustomerConfig, resolver: ConnectionUrlResolver, statementTimeoutMs: number): Promise<{ pool: pg.Pool; identity: PostgresIdentity }> {
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
  // A connection the server ends while idle, checked out or ending must fail its query, never crash the worker.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return { pool, identity: postgresIdentityOfUrl(url) };
}

export interface ChunkOutcome {
  historicRows: number;
  /** Planned scorecards that received at least one row. */
  scorecardsWritten: number;
  /** Planned scorecards whose digest still matches: written (or already present), and mirrored to ClickHouse. */
  matched: string[];
  /** Planned scorecards whose digest no longer matches (a score added or changed, deleted...): left alone. */
  changed: string[];
}

/** One planned scorecard of a chunk: its digest at approval, and whether historic needs rows (not clickhouse_only). */
export interface ChunkItem {
  scorecardId: string;
  digest: string;
  historic: boolean;
}

// One statement: the digest of each planned scorecard is recomputed from director as it is now, and only those that
// still match what was approved are written: every director score that has no historic row for its scorecard and
// criterion. Under the per-customer advisory lock (taken by the statement before it, so this statement's snapshot
// sees everything a concurrent job committed), a retry, a resumed job or an overlapping job writes nothing twice.
const INSERT_CHUNK = `
WITH planned AS (
  SELECT p.id, p.digest, p.historic FROM unnest($3::text[], $4::text[], $5::boolean[]) AS p(id, digest, historic)
), ok AS (
  SELECT p.id, p.historic
  FROM planned p
  JOIN director.scorecards d ON d.customer = $1 AND d.profile = $2 AND d.resource_id = p.id
  CROSS JOIN LATERAL (
    SELECT ${scoresAggregate('ds')} AS agg FROM director.scores ds
    WHERE ds.customer = d.customer AND ds.profile = d.profile AND ds.scorecard_id = d.resource_id
  ) sc
  WHERE ${IN_SCOPE} AND ${scorecardDigest('d', 'sc.agg')} = p.digest
), ins AS (
  INSERT INTO historic.scorecard_scores (${HISTORIC_COLUMNS.join(', ')})
  SELECT ${HISTORIC_SELECT}
  FROM ok
  JOIN director.scorecards d ON d.customer = $1 AND d.profile = $2 AND d.resource_id = ok.id
  JOIN director.scores s ON s.customer = d.customer AND s.profile = d.profile AND s.scorecard_id = d.resource_id
  WHERE ok.historic AND NOT ${HISTORIC_ROW_EXISTS}
  RETURNING scorecard_id
)
SELECT (SELECT count(*) FROM ins)::int AS rows,
       (SELECT count(DISTINCT scorecard_id) FROM ins)::int AS scorecards,
       (SELECT coalesce(array_agg(id), '{}') FROM ok) AS matched,
       (SELECT coalesce(array_agg(p.id), '{}') FROM planned p WHERE NOT EXISTS (SELECT 1 FROM ok WHERE ok.id = p.id)) AS changed`;

/** Two int4 keys: a namespace for backfill and the customer/profile, so other advisory locks never collide. */
export const LOCK_SQL = `SELECT pg_advisory_xact_lock(hashtext('scorecard-bot/backfill'), hashtext($1 || '/' || $2))`;

/** Writes one chunk in one transaction; any error rolls the whole chunk back. */
export async function writeHistoricChunk(pool: pg.Pool, customer: string, profile: string, items: ChunkItem[]): Promise<ChunkOutcome> {
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
    const { rows } = await client.query<{ rows: number; scorecards: number; matched: string[]; changed: string[] }>(INSERT_CHUNK, [
      customer,
      profile,
      items.map((i) => i.scorecardId),
      items.map((i) => i.digest),
      items.map((i) => i.historic),
    ]);
    await client.query('COMMIT');
    const r = rows[0];
    return { historicRows: r?.rows ?? 0, scorecardsWritten: r?.scorecards ?? 0, matched: r?.matched ?? [], changed: r?.changed ?? [] };
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
