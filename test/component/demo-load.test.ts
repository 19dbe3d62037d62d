import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickhouseContractDdl, POSTGRES_CONTRACT_DDL } from '../../dev/db/contract-ddl.js';
import { runDemoData } from '../../dev/demo/demo-data-command.js';
import { type ByKey, groundTruth, type GroundTruth } from '../../dev/demo/ground-truth.js';
import { DemoDataExistsError, loadDemoData, type LoadResult } from '../../dev/demo/load.js';
import { EXAMPLE_SCORECARD_ID } from '../../dev/demo/named.js';
import { buildPlan, type DemoPlan } from '../../dev/demo/plan.js';
import { clickhouseUrl } from '../support/clickhouse-url.js';
import { PG_ADMIN, testPool } from '../support/demo-database.js';

// Loads the incident dataset at scale 0.002 into a fresh database (and ClickHouse database) and checks, with the
// report's kind of SQL, that the data says exactly what the plan's ground truth says.

const suffix = randomUUID().slice(0, 8);
const names = { main: `demo_${suffix}`, empty: `demo_${suffix}_empty`, cmd: `demo_${suffix}_cmd` };
const urlOf = (db: string) => Object.assign(new URL(PG_ADMIN), { pathname: `/${db}` }).toString();
const IN_SCOPE = `d.calibrated_scorecard_id IS NULL AND (d.scorecard_type IS NULL OR d.scorecard_type = 0)`;
const IN_HISTORIC = `EXISTS (SELECT 1 FROM historic.scorecard_scores h
  WHERE h.customer_id = d.customer AND h.profile_id = d.profile AND h.scorecard_id = d.resource_id)`;
const POPULATION = `CASE WHEN d.submitted_at IS NULL THEN 'unsubmitted' ELSE 'submitted' END`;
const utc = (col: string, format: string) => `to_char(${col} AT TIME ZONE 'UTC', '${format}')`;

// The vitest global setup starts ClickHouse; without it this throws and the file fails (never skips).
const chUrl = clickhouseUrl();

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: urlOf('postgres') });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

let pool: pg.Pool;
let ch: ClickHouseClient;
let plan: DemoPlan;
let truth: GroundTruth;
let result: LoadResult;

beforeAll(async () => {
  for (const db of Object.values(names)) await admin(`CREATE DATABASE ${db}`);
  pool = testPool(urlOf(names.main), 3);
  await pool.query(POSTGRES_CONTRACT_DDL);
  ch = createClient({ url: chUrl });
  for (const q of clickhouseContractDdl(names.main, 'scorecard_scores')) await ch.command({ query: q });
  plan = buildPlan({ seed: 42, scale: 0.002 });
  truth = groundTruth(plan);
  result = await loadDemoData(plan, { pg: pool, clickhouse: ch, clickhouseDatabase: names.main, clickhouseTable: 'scorecard_scores', concurrency: 2 });
});

afterAll(async () => {
  await pool?.end();
  if (ch) {
    for (const db of [names.main, names.cmd]) await ch.command({ query: `DROP DATABASE IF EXISTS ${db}` }).catch(() => undefined);
    await ch.close();
  }
  for (const db of Object.values(names)) await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
});

/** [total, missing] of in-scope scorecards per customer|population|bucket, missing by a NOT EXISTS anti-join. */
async function counts(bucket: string): Promise<Record<string, ByKey>> {
  const q = (extra: string) =>
    pool.query<{ customer: string; population: string; bucket: string; n: number }>(
      `SELECT d.customer, ${POPULATION} AS population, ${bucket} AS bucket, count(*)::int AS n
       FROM director.scorecards d WHERE ${IN_SCOPE} ${extra} GROUP BY 1, 2, 3`,
    );
  const [totals, missing] = await Promise.all([q(''), q(`AND NOT ${IN_HISTORIC}`)]);
  const out: Record<string, ByKey> = {};
  for (const r of totals.rows) (out[`${r.customer}|${r.population}`] ??= {})[r.bucket] = [r.n, 0];
  for (const r of missing.rows) {
    const cell = out[`${r.customer}|${r.population}`]?.[r.bucket];
    if (cell) cell[1] = r.n;
  }
  return out;
}

const sortKeys = (m: ByKey | undefined): ByKey => Object.fromEntries(Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)));

describe('demo-data load (scale 0.002, all customers)', () => {
  it('writes the row counts the ground truth predicts', async () => {
    const { rows } = await pool.query<Record<string, number>>(`SELECT
      (SELECT count(*) FROM director.scorecards)::int AS scorecards, (SELECT count(*) FROM director.scores)::int AS scores,
      (SELECT count(*) FROM historic.scorecard_scores)::int AS historic, (SELECT count(*) FROM app.chats)::int AS chats`);
    expect(rows[0]).toEqual({ scorecards: truth.rows.scorecards, scores: truth.rows.scores, historic: truth.rows.historic, chats: truth.rows.chats });
    expect(result).toMatchObject({ scorecards: truth.rows.scorecards, scores: truth.rows.scores, historic: truth.rows.historic, chats: truth.rows.chats });
    expect(result.clickhouse).toBe(truth.rows.clickhouse);
  });

  it('matches monthly, daily and hourly [total, missing] per customer and population', async () => {
    for (const [bucket, key] of [
      [utc('d.created_at', 'YYYY-MM'), 'monthly'],
      [utc('d.created_at', 'YYYY-MM-DD'), 'daily'],
      [utc('d.created_at', 'YYYY-MM-DD"T"HH24'), 'hourly'],
    ] as const) {
      const db = await counts(bucket);
      for (const customer of truth.customers) {
        for (const pop of ['submitted', 'unsubmitted'] as const) {
          expect(sortKeys(db[`${customer}|${pop}`]), `${key} ${customer} ${pop}`).toEqual(sortKeys(truth.perCustomer[customer]?.[key][pop]));
        }
      }
    }
    const hourly = (await counts(utc('d.created_at', 'YYYY-MM-DD"T"HH24')))['rentokil|unsubmitted'] ?? {};
    const batch = truth.perCustomer.rentokil?.events.find((e) => e.kind === 'batch_failure');
    expect(batch?.kind === 'batch_failure' && [batch.total, batch.missing]).toEqual(hourly['2026-01-23T03']);
    expect(hourly['2026-01-23T03']?.[1]).toBeGreaterThan(40); // ~27,344 x 0.002
  });

  it('matches the submitted population by submit date, and missing ones were submitted before the fix', async () => {
    const db = await counts(utc('d.submitted_at', 'YYYY-MM-DD'));
    for (const customer of truth.customers) {
      expect(sortKeys(db[`${customer}|submitted`]), customer).toEqual(sortKeys(truth.perCustomer[customer]?.dailyBySubmitted));
    }
    const { rows } = await pool.query<{ latest: Date }>(
      `SELECT max(d.submitted_at) AS latest FROM director.scorecards d
       WHERE ${IN_SCOPE} AND d.submitted_at IS NOT NULL AND NOT ${IN_HISTORIC}`,
    );
    expect(rows[0]?.latest.getTime()).toBeLessThan(Date.parse('2026-01-29T00:00:00Z'));
  });

  it('finds the first missing scorecard of each customer and population', async () => {
    for (const customer of truth.customers) {
      for (const pop of ['submitted', 'unsubmitted'] as const) {
        const { rows } = await pool.query<{ id: string; created: Date; submitted: Date | null }>(
          `SELECT d.resource_id AS id, d.created_at AS created, d.submitted_at AS submitted FROM director.scorecards d
           WHERE d.customer = $1 AND ${IN_SCOPE} AND (d.submitted_at IS NULL) = $2 AND NOT ${IN_HISTORIC}
           ORDER BY d.created_at LIMIT 1`,
          [customer, pop === 'unsubmitted'],
        );
        const r = rows[0];
        const got = r ? { scorecardId: r.id, createdAt: r.created.toISOString(), submittedAt: r.submitted?.toISOString() ?? null } : null;
        expect(got, `${customer} ${pop}`).toEqual(truth.perCustomer[customer]?.firstMissing[pop]);
      }
    }
  });

  it('keeps excluded scorecards out of historic, with scores, counted per day', async () => {
    const { rows } = await pool.query<{ customer: string; day: string; calibration: number; non_original: number }>(
      `SELECT d.customer, ${utc('d.created_at', 'YYYY-MM-DD')} AS day,
              count(*) FILTER (WHERE d.calibrated_scorecard_id IS NOT NULL)::int AS calibration,
              count(*) FILTER (WHERE d.calibrated_scorecard_id IS NULL)::int AS non_original
       FROM director.scorecards d WHERE NOT (${IN_SCOPE}) GROUP BY 1, 2`,
    );
    for (const customer of truth.customers) {
      const db = Object.fromEntries(rows.filter((r) => r.customer === customer).map((r) => [r.day, { calibration: r.calibration, nonOriginal: r.non_original }]));
      expect(db, customer).toEqual(truth.perCustomer[customer]?.excluded.daily);
    }
    const { rows: bad } = await pool.query<Record<string, number>>(`SELECT
      (SELECT count(*) FROM director.scorecards d WHERE NOT (${IN_SCOPE}) AND ${IN_HISTORIC})::int AS excluded_in_historic,
      (SELECT count(*) FROM director.scorecards d WHERE NOT (${IN_SCOPE}) AND NOT EXISTS (SELECT 1 FROM director.scores s
         WHERE s.customer = d.customer AND s.profile = d.profile AND s.scorecard_id = d.resource_id))::int AS excluded_without_scores,
      (SELECT count(*) FROM director.scorecards d WHERE d.calibrated_scorecard_id IS NOT NULL AND NOT EXISTS (SELECT 1
         FROM director.scorecards o WHERE o.customer = d.customer AND o.profile = d.profile AND o.resource_id = d.calibrated_scorecard_id))::int AS dangling_calibrations,
      (SELECT count(*) FROM director.scorecards d WHERE d.scorecard_type NOT BETWEEN 0 AND 4)::int AS bad_types,
      (SELECT count(*) FROM director.scorecards d WHERE ${IN_SCOPE} AND d.scorecard_type IS NULL)::int AS null_types,
      (SELECT count(*) FROM director.scorecards d WHERE ${IN_SCOPE} AND d.scorecard_type = 0)::int AS zero_types`);
    expect(bad[0]).toMatchObject({ excluded_in_historic: 0, excluded_without_scores: 0, dangling_calibrations: 0, bad_types: 0 });
    expect(bad[0]?.null_types).toBeGreaterThan(0);
    expect(bad[0]?.zero_types).toBeGreaterThan(0);
  });

  it('plants the check cases: only the conversationMissing one lacks its conversation', async () => {
    const { rows } = await pool.query<{ id: string }>(
      `SELECT d.resource_id AS id FROM director.scorecards d WHERE NOT EXISTS (SELECT 1 FROM app.chats c
       WHERE c.customer_id = d.customer AND c.profile_id = d.profile AND c.conversation_id = d.conversation_id)`,
    );
    expect(rows.map((r) => r.id)).toEqual([truth.checkCases.conversationMissing?.scorecardId]);
    const perScorecard = async (id: string | undefined) =>
      (
        await pool.query<{ scores: number; historic: number; ended: Date | null; submitted: Date | null }>(
          `SELECT (SELECT count(*) FROM director.scores s WHERE s.scorecard_id = d.resource_id)::int AS scores,
                  (SELECT count(*) FROM historic.scorecard_scores h WHERE h.scorecard_id = d.resource_id)::int AS historic,
                  (SELECT c.ended_at FROM app.chats c WHERE c.conversation_id = d.conversation_id) AS ended, d.submitted_at AS submitted
           FROM director.scorecards d WHERE d.resource_id = $1`,
          [id],
        )
      ).rows[0];
    const example = await perScorecard(EXAMPLE_SCORECARD_ID);
    expect(example).toMatchObject({ scores: 35, historic: 0 });
    expect(example?.ended?.toISOString().slice(0, 10)).toBe('2026-01-16');
    expect(example?.submitted?.toISOString().slice(0, 10)).toBe('2026-01-23');
    expect(await perScorecard(truth.checkCases.noScores?.scorecardId)).toMatchObject({ scores: 0, historic: 0 });
    expect(await perScorecard(truth.checkCases.partialHistoric?.scorecardId)).toMatchObject({ scores: 24, historic: 11 });
    expect(await perScorecard(truth.checkCases.healthy?.scorecardId)).toMatchObject({ scores: 18, historic: 18 });
  });

  it('mirrors historic into ClickHouse except the planted gap', async () => {
    const rs = await ch.query({
      query: `SELECT customer_id AS customer, toString(toDate(scorecard_created_at)) AS day,
                     if(isNull(scorecard_submitted_at), 'unsubmitted', 'submitted') AS population,
                     uniqExact(scorecard_id) AS n, count() AS rows
              FROM ${names.main}.scorecard_scores GROUP BY customer, day, population`,
      format: 'JSONEachRow',
    });
    const chRows = (await rs.json()) as { customer: string; day: string; population: string; n: string | number; rows: string | number }[];
    const { rows: pgRows } = await pool.query<{ customer: string; day: string; population: string; n: number }>(
      `SELECT customer_id AS customer, ${utc('scorecard_created_at', 'YYYY-MM-DD')} AS day,
              CASE WHEN scorecard_submitted_at IS NULL THEN 'unsubmitted' ELSE 'submitted' END AS population,
              count(DISTINCT scorecard_id)::int AS n
       FROM historic.scorecard_scores GROUP BY 1, 2, 3`,
    );
    const chCount = new Map(chRows.map((r) => [`${r.customer}|${r.day}|${r.population}`, Number(r.n)]));
    const gaps: Record<string, { date: string; population: string; missing: number }[]> = {};
    for (const r of pgRows) {
      const missing = r.n - (chCount.get(`${r.customer}|${r.day}|${r.population}`) ?? 0);
      if (missing !== 0) (gaps[r.customer] ??= []).push({ date: r.day, population: r.population, missing });
    }
    for (const customer of truth.customers) {
      const expected = truth.perCustomer[customer]?.clickhouseMissing ?? [];
      const got = (gaps[customer] ?? []).sort((a, b) => (a.population + a.date < b.population + b.date ? -1 : 1));
      expect(got, customer).toEqual([...expected].sort((a, b) => (a.population + a.date < b.population + b.date ? -1 : 1)));
    }
    expect(chRows.reduce((s, r) => s + Number(r.rows), 0)).toBe(truth.rows.clickhouse);
    expect(truth.perCustomer.rentokil?.clickhouseMissing.length).toBeGreaterThan(0);
  });

  it('refuses to load over existing rows, and --replace reloads a subset identically', async () => {
    const options = { pg: pool, clickhouse: ch, clickhouseDatabase: names.main, clickhouseTable: 'scorecard_scores' };
    await expect(loadDemoData(plan, options)).rejects.toBeInstanceOf(DemoDataExistsError);
    const before = await counts(utc('d.created_at', 'YYYY-MM'));
    const subset = buildPlan({ seed: 42, scale: 0.002, customers: ['nclh'], from: '2026-02-01', to: '2026-03-01' });
    const reloaded = await loadDemoData(subset, { ...options, replace: true });
    expect(reloaded.scorecards).toBe(groundTruth(subset).rows.scorecards);
    expect(await counts(utc('d.created_at', 'YYYY-MM'))).toEqual(before);
    const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM director.scores');
    expect(rows[0]?.n).toBe(truth.rows.scores);
  });
});

describe('runDemoData', () => {
  it('says to run db:init when the tables are missing', async () => {
    const lines: string[] = [];
    const code = await runDemoData(['--database-url', urlOf(names.empty), '--scale', '0.001'], { log: (l) => lines.push(l), stdout: { write: () => true } });
    expect(code).toBe(1);
    expect(lines.join('\n')).toMatch(/missing tables: director\.scorecards.*run npm run db:init first/);
  });

  it('loads a subset and writes its ground truth', async () => {
    const c = new pg.Client({ connectionString: urlOf(names.cmd) });
    await c.connect();
    await c.query(POSTGRES_CONTRACT_DDL);
    await c.end();
    for (const q of clickhouseContractDdl(names.cmd, 'scorecard_scores')) await ch.command({ query: q });
    const dir = mkdtempSync(join(tmpdir(), 'demo-gt-'));
    const out: string[] = [];
    const lines: string[] = [];
    try {
      const args = ['--database-url', urlOf(names.cmd), '--scale', '0.01', '--customers', 'nclh', '--from', '2026-01-01', '--to', '2026-02-01'];
      args.push('--clickhouse-url', chUrl, '--clickhouse-database', names.cmd);
      const code = await runDemoData(args, { log: (l) => lines.push(l), stdout: { write: (t: string) => out.push(t) }, cwd: dir });
      expect(code, lines.join('\n')).toBe(0);
      const path = join(dir, '.cache/demo/ground-truth-42-0.01-nclh-2026-01-01..2026-02-01.json');
      expect(out.join('')).toContain(path);
      const written = JSON.parse(readFileSync(path, 'utf8')) as GroundTruth;
      const expected = groundTruth(buildPlan({ seed: 42, scale: 0.01, customers: ['nclh'], from: '2026-01-01', to: '2026-02-01' }), written.clickhouse);
      expect(written).toEqual(expected);
      expect(written.perCustomer.nclh?.firstMissing.submitted?.createdAt).toMatch(/^2026-01-11T17:15/);
      expect(lines.some((l) => /rows\/s/.test(l))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
