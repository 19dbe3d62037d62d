import { createHash } from 'node:crypto';
import pg from 'pg';
import { parseConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/schema.js';
import { dbInit } from '../../dev/db/db-init.js';
import { uuid7 } from '../../dev/demo/ids.js';
import { createEmptyDatabase, READ_ONLY_ROLE, REDIS_URL, deleteRedisKeys } from './demo-database.js';

// Incident shapes the demo does not have (a weekend-only batch failure, partly written scorecards, a step on the
// period's first day, rows still in flight), planted cell by cell into a fresh PostgreSQL database. A cell is one
// hour of one population with exact counts; the ground truth is the cells themselves, so a test's expected numbers
// come from the spec, never from the bot.

export const SHAPE_CUSTOMER = 'shapeco';
export const SHAPE_PROFILE = 'p-shape';

export interface ShapeCell {
  /** Hour start, ISO ('2026-03-07T10:00:00.000Z'); scorecards are spread strictly inside it. */
  hour: string;
  submitted: boolean;
  total: number;
  /** Of `total`: no historic row at all. */
  missing?: number;
  /** Of `total`, disjoint from `missing`: in historic with only the first half of their criteria. */
  partial?: number;
  /** Criteria per scorecard (default 4). */
  criteria?: number;
  /** Minutes from created to submitted (submitted cells; default 5). */
  submitAfterMinutes?: number;
}

export interface ShapeDatabase {
  name: string;
  adminUrl: string;
  readOnlyUrl: string;
  /** IDs planted per state, in created order: the truth a CSV or a check is held against. */
  ids: { missing: string[]; partial: string[]; present: string[] };
  config(extra?: Record<string, unknown>): Config;
  drop(): Promise<void>;
}

const HOUR_MS = 3_600_000;

/** A cell spec for every hour of [from, to) that `pick` gives counts for. */
export function cellsEvery(from: string, to: string, pick: (hour: Date) => Omit<ShapeCell, 'hour'>[] | null): ShapeCell[] {
  const out: ShapeCell[] = [];
  for (let t = Date.parse(from); t < Date.parse(to); t += HOUR_MS) {
    for (const spec of pick(new Date(t)) ?? []) if (spec.total > 0) out.push({ hour: new Date(t).toISOString(), ...spec });
  }
  return out;
}

interface Rows {
  scorecards: unknown[][];
  scores: unknown[][];
  historic: unknown[][];
}

function rowsOf(cells: readonly ShapeCell[]): { rows: Rows; ids: ShapeDatabase['ids'] } {
  const rows: Rows = { scorecards: [], scores: [], historic: [] };
  const ids: ShapeDatabase['ids'] = { missing: [], partial: [], present: [] };
  for (const cell of cells) {
    const start = Date.parse(cell.hour);
    const criteria = cell.criteria ?? 4;
    const missing = cell.missing ?? 0;
    const partial = cell.partial ?? 0;
    if (missing + partial > cell.total) throw new Error(`cell ${cell.hour}: missing + partial exceeds total`);
    for (let i = 0; i < cell.total; i++) {
      const h = createHash('md5').update(`${cell.hour}|${cell.submitted}|${i}`).digest('hex');
      const created = start + 1 + Math.floor((i * (HOUR_MS - 2)) / cell.total);
      const id = uuid7(created, h);
      const submittedAt = cell.submitted ? new Date(created + (cell.submitAfterMinutes ?? 5) * 60_000) : null;
      rows.scorecards.push([id, `t-${cell.submitted ? 's' : 'u'}`, new Date(created), submittedAt]);
      // Missing first, then partial, then present: which ones are which is a fact of the spec.
      const state = i < missing ? 'missing' : i < missing + partial ? 'partial' : 'present';
      ids[state].push(id);
      const written = state === 'missing' ? 0 : state === 'partial' ? Math.floor(criteria / 2) : criteria;
      for (let c = 0; c < criteria; c++) {
        rows.scores.push([`${id}-s${c}`, id, `crit-${c}`]);
        if (c < written) rows.historic.push([id, `crit-${c}`, new Date(created), submittedAt]);
      }
    }
  }
  return { rows, ids };
}

/** Inserts rows column-wise through unnest: one statement per 20k rows, whatever the volume. */
async function insertColumns(client: pg.ClientBase, sql: string, rows: unknown[][], width: number): Promise<void> {
  const BATCH = 20_000;
  for (let i = 0; i < rows.length; i += BATCH) {
    const slice = rows.slice(i, i + BATCH);
    await client.query(sql, Array.from({ length: width }, (_, c) => slice.map((r) => r[c])));
  }
}

/** A fresh database holding exactly `cells` for SHAPE_CUSTOMER, plus the read-only role the bot connects as. */
export async function createShapeDatabase(cells: readonly ShapeCell[]): Promise<ShapeDatabase> {
  const db = await createEmptyDatabase('sgb_shape');
  const client = new pg.Client({ connectionString: db.url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await dbInit(client, { readOnlyRole: READ_ONLY_ROLE });
        break;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (attempt < 3 && (code === '23505' || code === '42710' || code === 'XX000')) continue;
        throw err;
      }
    }
    const { rows, ids } = rowsOf(cells);
    const c = SHAPE_CUSTOMER;
    const p = SHAPE_PROFILE;
    await insertColumns(
      client,
      `INSERT INTO director.scorecards (customer, profile, resource_id, template_id, created_at, submitted_at)
       SELECT '${c}', '${p}', * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[])`,
      rows.scorecards,
      4,
    );
    await insertColumns(
      client,
      `INSERT INTO director.scores (customer, profile, resource_id, scorecard_id, criterion_id)
       SELECT '${c}', '${p}', * FROM unnest($1::text[], $2::text[], $3::text[])`,
      rows.scores,
      3,
    );
    await insertColumns(
      client,
      `INSERT INTO historic.scorecard_scores (customer_id, profile_id, scorecard_id, criterion_id, scorecard_created_at, scorecard_submitted_at)
       SELECT '${c}', '${p}', * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[])`,
      rows.historic,
      4,
    );
    await client.query('VACUUM ANALYZE historic.scorecard_scores');
    await client.query('ANALYZE director.scorecards');
    await client.query('ANALYZE director.scores');
    const u = new URL(db.url);
    u.username = READ_ONLY_ROLE;
    const readOnlyUrl = u.toString();
    const redisPrefix = `sgb-shape-${db.name.slice(-8)}`;
    return {
      name: db.name,
      adminUrl: db.url,
      readOnlyUrl,
      ids,
      config(extra = {}) {
        const raw = {
          customers: [{ name: c, profile: p, cluster: 'test', postgres: { url: readOnlyUrl }, writer: { url: db.url } }],
          redis: { url: REDIS_URL, prefix: redisPrefix },
          ops: { url: db.url },
          gap: { statementTimeoutMs: 30_000, concurrency: 4, historyMonths: 1, windowAttempts: 2, retryBackoffMs: 300 },
          logLevel: 'silent',
          ...extra,
        };
        return parseConfig(JSON.stringify(raw), {});
      },
      async drop() {
        await db.drop();
        await deleteRedisKeys(`${redisPrefix}*`);
      },
    };
  } catch (err) {
    await client.end().catch(() => undefined);
    await db.drop().catch(() => undefined);
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}
