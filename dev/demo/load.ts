import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import pg from 'pg';
import { dayMs } from './numbers.js';
import {
  cohortParams,
  CREATE_MEMBERS,
  DELETE_OWNED,
  EXISTING_ROWS,
  TIER_COUNTS,
  HISTORIC_AS_CLICKHOUSE_TSV,
  INSERT_CHATS,
  INSERT_HISTORIC,
  INSERT_MEMBERS_FROM_COHORTS,
  INSERT_MEMBERS_FROM_NAMED,
  INSERT_SCORECARDS,
  INSERT_SCORES,
  namedParams,
  UPSERT_TEMPLATES,
} from './load-sql.js';
import type { NamedScorecard } from './named.js';
import type { Cohort, DemoPlan } from './plan.js';

// The shell around the plan: turns it into rows with set-based SQL, chunk by chunk (one transaction each), on up
// to `concurrency` PostgreSQL connections, and mirrors each chunk's historic rows into ClickHouse (one batched
// TabSeparated insert per chunk) once the chunk is committed.

export interface LoadOptions {
  pg: pg.Pool | pg.Client;
  clickhouse: ClickHouseClient | null;
  clickhouseDatabase: string;
  clickhouseTable: string;
  onProgress?: (line: string) => void;
  /** Delete the plan's customers' rows in its date range first; without it a non-empty range is refused. */
  replace?: boolean;
  /** Parallel connections when `pg` is a Pool (default 2). */
  concurrency?: number;
  /** Approximate rows (scorecards, chats, scores, historic) per chunk (default 300k: ~100k ClickHouse rows an insert). */
  chunkRows?: number;
}

export interface LoadResult {
  chunks: number;
  scorecards: number;
  chats: number;
  scores: number;
  historic: number;
  clickhouse: number;
  elapsedMs: number;
  /** All rows written (PostgreSQL and ClickHouse) per second of wall time, ANALYZE included. */
  rowsPerSecond: number;
}

export class DemoDataExistsError extends Error {
  override name = 'DemoDataExistsError';
}

type Chunk = { kind: 'named'; named: NamedScorecard[] } | { kind: 'cohorts'; cohorts: Cohort[] };
type Counts = Omit<LoadResult, 'chunks' | 'elapsedMs' | 'rowsPerSecond'>;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function chunksOf(plan: DemoPlan, chunkRows: number): Chunk[] {
  const chunks: Chunk[] = [];
  if (plan.named.length > 0) chunks.push({ kind: 'named', named: plan.named });
  const sorted = [...plan.cohorts].sort((a, b) => (a.customer < b.customer ? -1 : a.customer > b.customer ? 1 : a.hourMs - b.hourMs));
  let current: Cohort[] = [];
  let rows = 0;
  for (const c of sorted) {
    current.push(c);
    rows += c.count * (2 + (c.scoreMin + c.scoreMax)); // scorecard + chat + ~2 x average scores (director + historic)
    if (rows >= chunkRows) {
      chunks.push({ kind: 'cohorts', cohorts: current });
      current = [];
      rows = 0;
    }
  }
  if (current.length > 0) chunks.push({ kind: 'cohorts', cohorts: current });
  return chunks;
}

export type TierCounts = Pick<Counts, 'scorecards' | 'scores' | 'historic' | 'clickhouse'>;

/** What each tier holds of the plan's range now: compared with the ground truth before demo data is reused. */
export async function tierCounts(plan: DemoPlan, options: Pick<LoadOptions, 'pg' | 'clickhouse' | 'clickhouseDatabase' | 'clickhouseTable'>): Promise<TierCounts> {
  const range = [plan.customers, plan.profileId, new Date(dayMs(plan.from)).toISOString(), new Date(dayMs(plan.to)).toISOString()];
  const row = (await options.pg.query<Record<string, string>>(TIER_COUNTS, range)).rows[0] ?? {};
  let clickhouse = 0;
  if (options.clickhouse) {
    const rs = await options.clickhouse.query({
      query: `SELECT count() AS n FROM ${options.clickhouseDatabase}.${options.clickhouseTable}
        WHERE customer_id IN {customers:Array(String)} AND profile_id = {profile:String}
          AND scorecard_created_at >= {from:DateTime64(3, 'UTC')} AND scorecard_created_at < {to:DateTime64(3, 'UTC')}`,
      query_params: { customers: plan.customers, profile: plan.profileId, from: `${plan.from} 00:00:00.000`, to: `${plan.to} 00:00:00.000` },
      format: 'JSONEachRow',
    });
    clickhouse = Number(((await rs.json()) as { n: number | string }[])[0]?.n ?? 0);
  }
  return { scorecards: Number(row.scorecards ?? 0), scores: Number(row.scores ?? 0), historic: Number(row.historic ?? 0), clickhouse };
}

/** Loads the plan. The contract tables must exist (scorecard-bot db:init); nothing is dropped or recreated. */
export async function loadDemoData(plan: DemoPlan, options: LoadOptions): Promise<LoadResult> {
  const started = Date.now();
  const say = options.onProgress ?? (() => {});
  const { clickhouse } = options;
  const chTable = `${options.clickhouseDatabase}.${options.clickhouseTable}`;
  const range = [plan.customers, plan.profileId, new Date(dayMs(plan.from)).toISOString(), new Date(dayMs(plan.to)).toISOString()];
  const chRange = {
    customers: plan.customers,
    profile: plan.profileId,
    from: `${plan.from} 00:00:00.000`,
    to: `${plan.to} 00:00:00.000`,
  };
  const chWhere = `customer_id IN {customers:Array(String)} AND profile_id = {profile:String}
    AND scorecard_created_at >= {from:DateTime64(3, 'UTC')} AND scorecard_created_at < {to:DateTime64(3, 'UTC')}`;

  const existing = (await options.pg.query<{ n: number }>(EXISTING_ROWS, range)).rows[0]?.n ?? 0;
  let chExisting = 0;
  if (clickhouse) {
    const rs = await clickhouse.query({ query: `SELECT count() AS n FROM (SELECT 1 FROM ${chTable} WHERE ${chWhere} LIMIT 1)`, query_params: chRange, format: 'JSONEachRow' });
    chExisting = Number(((await rs.json()) as { n: number | string }[])[0]?.n ?? 0);
  }
  const what = `${plan.customers.join(', ')} (${plan.profileId}) created ${plan.from}..${plan.to}`;
  if ((existing > 0 || chExisting > 0) && !options.replace) {
    const where = [existing > 0 ? 'PostgreSQL' : '', chExisting > 0 ? 'ClickHouse' : ''].filter(Boolean).join(' and ');
    throw new DemoDataExistsError(`${where} already has scorecards for ${what}; pass --replace to delete and reload them`);
  }
  if (existing > 0 || chExisting > 0) {
    say(`demo-data: deleting existing rows for ${what}`);
    await inTransaction(options.pg, async (c) => {
      for (const sql of DELETE_OWNED) await c.query(sql, range);
    });
    if (clickhouse) {
      await clickhouse.command({ query: `ALTER TABLE ${chTable} DELETE WHERE ${chWhere}`, query_params: chRange, clickhouse_settings: { mutations_sync: '2' } });
    }
  }

  await options.pg.query(UPSERT_TEMPLATES, [plan.templates.map((t) => t.customer), plan.profileId, plan.templates.map((t) => t.id), plan.templates.map((t) => t.title)]);

  const chunks = chunksOf(plan, options.chunkRows ?? 300_000);
  const gapIds = plan.named.filter((n) => !n.inClickhouse).map((n) => n.scorecardId);
  const totals: Counts = { scorecards: 0, chats: 0, scores: 0, historic: 0, clickhouse: 0 };
  let done = 0;
  let chTail: Promise<void> = Promise.resolve();
  let lastSaid = 0;
  const report = (force: boolean) => {
    const now = Date.now();
    if (!force && now - lastSaid < 1000) return;
    lastSaid = now;
    const rows = totals.scorecards + totals.chats + totals.scores + totals.historic + totals.clickhouse;
    const secs = (now - started) / 1000;
    say(`demo-data: ${done}/${chunks.length} chunks, ${fmt(totals.scorecards)} scorecards, ${fmt(rows)} rows in ${secs.toFixed(1)} s (${fmt(rows / Math.max(secs, 0.001))} rows/s)`);
  };

  const runChunk = async (client: pg.ClientBase, chunk: Chunk): Promise<void> => {
    let tsv: string | null = null;
    let mirrored = 0;
    await client.query('BEGIN');
    try {
      // Demo data can be reloaded: a crash losing the last commits is cheaper than waiting for each WAL flush.
      await client.query('SET LOCAL synchronous_commit = off');
      // Chunks are big, simple and run once: JIT compilation would cost more than it saves.
      await client.query('SET LOCAL jit = off');
      await client.query(CREATE_MEMBERS);
      if (chunk.kind === 'named') await client.query(INSERT_MEMBERS_FROM_NAMED, namedParams(chunk.named));
      else await client.query(INSERT_MEMBERS_FROM_COHORTS, cohortParams(chunk.cohorts));
      const profile = [plan.profileId];
      const scorecards = (await client.query(INSERT_SCORECARDS, profile)).rowCount ?? 0;
      const chats = (await client.query(INSERT_CHATS, profile)).rowCount ?? 0;
      const scores = (await client.query(INSERT_SCORES, profile)).rowCount ?? 0;
      const historic = (await client.query(INSERT_HISTORIC, profile)).rowCount ?? 0;
      if (clickhouse) {
        const r = await client.query<{ clickhouse: number; tsv: string | null }>(HISTORIC_AS_CLICKHOUSE_TSV, [plan.profileId, gapIds]);
        mirrored = r.rows[0]?.clickhouse ?? 0;
        tsv = r.rows[0]?.tsv ?? null;
      }
      await client.query('COMMIT');
      totals.scorecards += scorecards;
      totals.chats += chats;
      totals.scores += scores;
      totals.historic += historic;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    }
    // ClickHouse after the commit (it never holds rows PostgreSQL does not), one insert at a time, overlapping the
    // next chunk's PostgreSQL work; waiting for the previous insert bounds the text held in memory.
    if (clickhouse && tsv !== null) {
      const previous = chTail;
      const body = Buffer.from(tsv + '\n');
      chTail = previous.then(async () => {
        await clickhouse.insert({ table: chTable, values: Readable.from([body], { objectMode: false }), format: 'TabSeparated' });
        totals.clickhouse += mirrored;
      });
      chTail.catch(() => {}); // handled where awaited; no unhandled-rejection crash in between
      await previous;
    }
    done += 1;
    report(false);
  };

  // Workers start far apart in the chunk list (chunks are ordered by customer, then time, like every index's key):
  // side by side they would fight over the same rightmost B-tree pages. A worker that runs dry takes the last
  // chunk of the longest remaining lane.
  const lanes: Chunk[][] = [];
  let failed = false;
  const worker = async (client: pg.ClientBase, lane: Chunk[]) => {
    while (!failed) {
      let chunk = lane.shift();
      if (!chunk) {
        const longest = lanes.reduce((a, b) => (b.length > a.length ? b : a), lane);
        chunk = longest.pop();
      }
      if (!chunk) return;
      await runChunk(client, chunk).catch((error: unknown) => {
        failed = true; // the other workers stop after their current chunk
        throw error;
      });
    }
  };
  const n = options.pg instanceof pg.Pool ? Math.max(1, Math.min(options.concurrency ?? 2, chunks.length)) : 1;
  for (let k = 0; k < n; k++) lanes.push(chunks.slice(Math.floor((k * chunks.length) / n), Math.floor(((k + 1) * chunks.length) / n)));
  if (options.pg instanceof pg.Pool) {
    const pool = options.pg;
    const clients = await Promise.all(Array.from({ length: n }, () => pool.connect()));
    try {
      // allSettled: no client goes back to the pool while its chunk is still running.
      const settled = await Promise.allSettled(clients.map((c, k) => worker(c, lanes[k] ?? [])));
      const rejected = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (rejected) throw rejected.reason;
    } finally {
      for (const c of clients) c.release();
    }
  } else {
    await worker(options.pg, lanes[0] ?? []);
  }
  await chTail;
  report(true);

  say('demo-data: ANALYZE (and VACUUM historic.scorecard_scores for index-only scans)');
  await options.pg.query('ANALYZE director.scorecards, director.scores, director.scorecard_templates, app.chats');
  await options.pg.query('VACUUM (ANALYZE) historic.scorecard_scores');
  const elapsedMs = Date.now() - started;
  const rows = totals.scorecards + totals.chats + totals.scores + totals.historic + totals.clickhouse;
  const result = { chunks: chunks.length, ...totals, elapsedMs, rowsPerSecond: Math.round(rows / Math.max(elapsedMs / 1000, 0.001)) };
  say(`demo-data: done: ${fmt(rows)} rows in ${(elapsedMs / 1000).toFixed(1)} s (${fmt(result.rowsPerSecond)} rows/s)`);
  return result;
}

async function inTransaction(db: pg.Pool | pg.Client, body: (c: pg.ClientBase) => Promise<void>): Promise<void> {
  const client = db instanceof pg.Pool ? await db.connect() : db;
  try {
    await client.query('BEGIN');
    await body(client);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    if (db instanceof pg.Pool) (client as pg.PoolClient).release();
  }
}
