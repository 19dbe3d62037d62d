import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCommand } from '../../src/cli/check-cli.js';
import { checkResultSchema, type CheckResult, type Verdict } from '../../src/check/check-result.js';
import { checkScorecard, type CheckDeps } from '../../src/check/check-service.js';
import { configSchema } from '../../src/config/schema.js';
import { clickhouseContractDdl, POSTGRES_CONTRACT_DDL } from '../../dev/db/contract-ddl.js';
import { createClickhouseTiers, type ClickhouseTiers } from '../../src/sources/clickhouse-tiers.js';
import { CustomerSources } from '../../src/sources/customer-sources.js';
import { createLogger } from '../../src/shared/logger.js';
import { clickhouseUrl } from '../support/clickhouse-url.js';
import { PG_ADMIN } from '../support/demo-database.js';

// Real PostgreSQL and a real ClickHouse (a database each per run; the vitest global setup starts ClickHouse, and
// the run fails when it can't). Three customers point at the test database; a fourth at a closed port, for the
// fan-out. The "ClickHouse not configured" path is tested explicitly, with `clickhouse: null`.

const suffix = randomUUID().slice(0, 8);
const dbName = `check_${suffix}`;
const urlOf = (db: string): string => Object.assign(new URL(PG_ADMIN), { pathname: `/${db}` }).toString();
const pgUrl = urlOf(dbName);
const CLICKHOUSE_URL = clickhouseUrl();
const chDatabase = `check_${suffix}`;
const logger = createLogger({ level: 'silent' });

const DAY = 86_400_000;
const T0 = Date.parse('2026-01-17T07:56:06.373Z');
let seq = 0;
/** A valid UUIDv7 minted at ms. */
function v7(ms: number): string {
  const hex = ms.toString(16).padStart(12, '0');
  const tail = (++seq).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7abc-8def-${tail}`;
}

interface Fixture {
  id: string;
  customer?: string;
  created?: number;
  submitted?: number | null;
  type?: number | null;
  calibrates?: string;
  conversation?: string | null;
  scores?: number;
  historic?: number;
  historicCreated?: number;
  clickhouse?: number;
}

const F = {
  healthy: { id: v7(T0), submitted: T0 + 6 * DAY, scores: 3, historic: 3, clickhouse: 3 },
  calibration: { id: v7(T0), calibrates: 'sc-original', scores: 3 },
  nonOriginal: { id: v7(T0), type: 2, scores: 3 },
  noScores: { id: v7(T0), scores: 0 },
  conversationMissing: { id: v7(T0), conversation: 'conv-gone', scores: 3 },
  missingSubmitted: { id: v7(T0), submitted: T0 + 6 * DAY, scores: 3 },
  missingUnsubmitted: { id: v7(T0), submitted: null, scores: 3 },
  partial: { id: v7(T0), scores: 3, historic: 2, clickhouse: 2 },
  missingClickhouse: { id: v7(T0), scores: 3, historic: 3, clickhouse: 0 },
  // Created ten days after its ID was minted: the ±1 day windows miss and the fallbacks must find the rows.
  lateCreated: { id: v7(T0), created: T0 + 10 * DAY, scores: 3, historic: 3, clickhouse: 3 },
  notV7: { id: randomUUID(), scores: 2, historic: 2, clickhouse: 2 },
  inSpirit: { id: v7(T0), customer: 'spirit', scores: 1, historic: 1, clickhouse: 1 },
} satisfies Record<string, Fixture>;

let admin: pg.Client;
let sources: CustomerSources;
let chWriter: ClickHouseClient;
let clickhouse: ClickhouseTiers | null;
let configDir: string;

const config = configSchema.parse({
  customers: [
    { name: 'rentokil', profile: 'us-east-1', postgres: { url: pgUrl } },
    { name: 'spirit', profile: 'us-east-1', postgres: { url: pgUrl } },
    { name: 'nclh', profile: 'us-east-1', postgres: { url: pgUrl } },
    { name: 'down', profile: 'us-east-1', postgres: { url: 'postgres://postgres@127.0.0.1:1/x' } },
  ],
  clickhouse: { url: CLICKHOUSE_URL, database: chDatabase, table: 'scorecard_scores' },
  gap: { statementTimeoutMs: 10_000, concurrency: 2 },
  logLevel: 'silent',
});

async function seed(db: pg.Client): Promise<void> {
  const chRows: Record<string, unknown>[] = [];
  for (const f of Object.values(F) as Fixture[]) {
    const customer = f.customer ?? 'rentokil';
    const created = new Date(f.created ?? T0);
    const submitted = f.submitted === undefined ? new Date(T0 + DAY) : f.submitted === null ? null : new Date(f.submitted);
    const conversation = f.conversation === undefined ? `conv-${f.id}` : f.conversation;
    await db.query(
      `INSERT INTO director.scorecards VALUES ($1, 'us-east-1', $2, $3, 'tmpl-1', $4, $5, $6, $7, $7)`,
      [customer, f.id, conversation, f.calibrates ?? null, f.type ?? null, created, submitted],
    );
    if (conversation === `conv-${f.id}`) {
      await db.query(`INSERT INTO app.chats VALUES ($1, 'us-east-1', $2, $3, $4)`, [customer, conversation, new Date(T0 - DAY), new Date(T0 - DAY + 600_000)]);
    }
    for (let i = 0; i < (f.scores ?? 0); i++) {
      await db.query(`INSERT INTO director.scores VALUES ($1, 'us-east-1', $2, $3, $4, 1, $5)`, [customer, `${f.id}-s${i}`, f.id, `crit-${i}`, created]);
    }
    for (let i = 0; i < (f.historic ?? 0); i++) {
      await db.query(
        `INSERT INTO historic.scorecard_scores (customer_id, profile_id, scorecard_id, criterion_id, conversation_id, template_id, score, scorecard_created_at, scorecard_submitted_at)
         VALUES ($1, 'us-east-1', $2, $3, $4, 'tmpl-1', 1, $5, $6)`,
        [customer, f.id, `crit-${i}`, conversation, created, submitted],
      );
    }
    for (let i = 0; i < (f.clickhouse ?? 0); i++) {
      const ts = created.toISOString().replace('T', ' ').replace('Z', '');
      // Twice: an unmerged ReplacingMergeTree duplicate must not count twice.
      for (const v of [1, 2]) {
        chRows.push({ customer_id: customer, profile_id: 'us-east-1', scorecard_id: f.id, criterion_id: `crit-${i}`, score: v, scorecard_created_at: ts, scorecard_submitted_at: null, updated_at: ts });
      }
    }
  }
  await db.query(`INSERT INTO director.scorecard_templates VALUES ('rentokil', 'us-east-1', 'tmpl-1', 'RTX Customer Care Scorecard 2026')`);
  await chWriter.insert({ table: `${chDatabase}.scorecard_scores`, values: chRows, format: 'JSONEachRow' });
}

beforeAll(async () => {
  admin = new pg.Client({ connectionString: urlOf('postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const db = new pg.Client({ connectionString: pgUrl });
  await db.connect();
  try {
    await db.query(POSTGRES_CONTRACT_DDL);
    chWriter = createClient({ url: CLICKHOUSE_URL });
    for (const ddl of clickhouseContractDdl(chDatabase, 'scorecard_scores')) await chWriter.command({ query: ddl });
    clickhouse = createClickhouseTiers(config);
    await seed(db);
  } finally {
    await db.end();
  }
  sources = new CustomerSources(config);
  configDir = mkdtempSync(join(tmpdir(), 'check-cli-'));
});

afterAll(async () => {
  await sources?.close();
  await clickhouse?.close();
  if (chWriter) {
    await chWriter.command({ query: `DROP DATABASE IF EXISTS ${chDatabase}` });
    await chWriter.close();
  }
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

const deps = (): CheckDeps => ({ sources, clickhouse, timeoutMs: 5_000, logger });
const check = async (id: string, customer?: string): Promise<CheckResult> =>
  checkResultSchema.parse(await checkScorecard(deps(), customer === undefined ? { id } : { id, customer }));

describe('checkScorecard against PostgreSQL and ClickHouse', () => {
  const cases: [keyof typeof F, Verdict, boolean][] = [
    ['healthy', 'healthy', false],
    ['calibration', 'excluded_calibration', false],
    ['nonOriginal', 'excluded_non_original', false],
    ['noScores', 'no_scores', false],
    ['conversationMissing', 'conversation_missing', false],
    ['missingSubmitted', 'missing_historic', true],
    ['missingUnsubmitted', 'missing_historic', true],
    ['partial', 'partial_historic', true],
    ['missingClickhouse', 'missing_clickhouse', true],
    ['lateCreated', 'healthy', false],
    ['notV7', 'healthy', false],
  ];
  it.each(cases)('%s -> %s', async (name, verdict, repairable) => {
    const r = await check(F[name].id, 'rentokil');
    expect(r.verdict).toBe(verdict);
    expect(r.repairable).toBe(repairable);
    expect(r.customer).toBe('rentokil');
    expect(r.searched).toEqual(['rentokil']);
    expect(r.tiers.clickhouse?.status).toBe('checked');
  });

  it('reads every tier of the incident-like scorecard', async () => {
    const r = await check(F.missingSubmitted.id.toUpperCase(), 'rentokil');
    expect(r.id).toBe(F.missingSubmitted.id);
    expect(r.createdAtFromId).toBe('2026-01-17T07:56:06.373Z');
    expect(r.tiers.director).toMatchObject({ createdAt: '2026-01-17T07:56:06.373Z', submittedAt: '2026-01-23T07:56:06.373Z', templateTitle: 'RTX Customer Care Scorecard 2026' });
    expect(r.tiers.scores).toEqual({ rows: 3, criteria: 3 });
    expect(r.tiers.historic).toEqual({ rows: 0, criteria: 0, scoresWithoutHistoric: 3 });
    expect(r.tiers.conversation).toMatchObject({ id: `conv-${F.missingSubmitted.id}`, found: true, endedAt: '2026-01-16T08:06:06.373Z' });
    expect(r.summary).toContain('first submit (2026-01-23 07:56 UTC) skipped it');
  });

  it('counts partial historic exactly and falls back when the time window is empty', async () => {
    expect((await check(F.partial.id, 'rentokil')).tiers.historic).toEqual({ rows: 2, criteria: 2, scoresWithoutHistoric: 1 });
    const late = await check(F.lateCreated.id, 'rentokil');
    expect(late.tiers.historic).toEqual({ rows: 3, criteria: 3, scoresWithoutHistoric: 0 });
    expect(late.evidence.join('\n')).toMatch(/ID's own time .* is 10 days away from created_at/);
    expect((await check(F.notV7.id, 'rentokil')).createdAtFromId).toBeNull();
  });

  it('ClickHouse: distinct criteria, windowed first, full lookup as the fallback', async () => {
    expect((await check(F.healthy.id, 'rentokil')).tiers.clickhouse).toEqual({ status: 'checked', criteria: 3, narrowed: true });
    expect((await check(F.lateCreated.id, 'rentokil')).tiers.clickhouse).toEqual({ status: 'checked', criteria: 3, narrowed: false });
    expect((await check(F.notV7.id, 'rentokil')).tiers.clickhouse).toEqual({ status: 'checked', criteria: 2, narrowed: true });
    expect((await check(F.missingClickhouse.id, 'rentokil')).summary).toBe('In historic, but absent from ClickHouse.');
  });

  it('with ClickHouse not configured: noted in the evidence, never missing_clickhouse', async () => {
    const r = await checkScorecard({ ...deps(), clickhouse: null }, { id: F.missingClickhouse.id, customer: 'rentokil' });
    expect(r.verdict).toBe('healthy');
    expect(r.tiers.clickhouse).toEqual({ status: 'not_configured' });
    expect(r.evidence).toContain('ClickHouse not configured: that tier was not checked.');
    expect(r.summary).toBe('All 3 scores are in historic (ClickHouse not configured).');
  });

  it('with ClickHouse down: noted in the evidence, the Postgres verdict stands', async () => {
    // The client's own console logger is switched off: the refused connection is the point of this test.
    const down = createClickhouseTiers({ ...config, clickhouse: { ...config.clickhouse!, url: 'http://127.0.0.1:1', database: 'x', table: 'y' } });
    try {
      const r = await checkScorecard({ ...deps(), clickhouse: down }, { id: F.missingSubmitted.id, customer: 'rentokil' });
      expect(r.verdict).toBe('missing_historic');
      expect(r.tiers.clickhouse?.status).toBe('unavailable');
      expect(r.evidence.some((e) => e.startsWith('ClickHouse could not be checked: '))).toBe(true);
    } finally {
      await down?.close();
    }
  });

  it('without a customer: searches all, finds the one that has it, names the one that is down', async () => {
    const r = await check(F.inSpirit.id);
    expect(r.customer).toBe('spirit');
    expect(r.verdict).toBe('healthy');
    expect(r.searched).toEqual(['rentokil', 'spirit', 'nclh', 'down']);
    expect(r.unreachable).toEqual([
      { customer: 'down', message: "Cannot reach down's database (us-east-1): nothing is listening at 127.0.0.1:1 (connection refused)." },
    ]);
  });

  it('not found in any customer, listing the unreachable one', async () => {
    const r = await check(v7(T0));
    expect(r.verdict).toBe('not_found');
    expect(r.customer).toBeNull();
    expect(r.summary).toBe('Not in any of the 3 customers searched (rentokil, spirit, nclh); could not reach down.');
  });

  it('a named customer that is down is an error', async () => {
    await expect(check(F.healthy.id, 'down')).rejects.toMatchObject({ code: 'SOURCE_UNAVAILABLE' });
    const other = await check(F.healthy.id, 'spirit');
    expect(other.verdict).toBe('not_found');
    expect(other.summary).toBe('spirit has no scorecard with this ID.');
  });
});

describe('scorecard-bot check', () => {
  function io(): { io: Parameters<typeof checkCommand>[1]; out: () => string } {
    let text = '';
    const sink = new Writable({ write: (chunk, _enc, cb) => ((text += String(chunk)), cb()) });
    return { io: { stdout: sink, stderr: sink, env: {} }, out: () => text };
  }
  function writeConfig(): string {
    const file = join(configDir, 'config.json');
    writeFileSync(file, JSON.stringify(config));
    return file;
  }

  it('prints JSON matching the schema, and text with the table and verdict', async () => {
    const file = writeConfig();
    const a = io();
    expect(await checkCommand([F.missingSubmitted.id, '--customer', 'rentokil', '--json', '--config', file], a.io)).toBe(0);
    const json = checkResultSchema.parse(JSON.parse(a.out()));
    expect(json).toMatchObject({ verdict: 'missing_historic', repairable: true, customer: 'rentokil' });
    const b = io();
    expect(await checkCommand([F.missingSubmitted.id, 'rentokil', '--config', file], b.io)).toBe(0);
    expect(b.out()).toMatch(/\| historic +\| 0 rows +\|/);
    expect(b.out()).toContain('Missing from historic: Created 2026-01-17 07:56 UTC;');
  });

  it('exits 1 when not found and a customer could not be asked; refuses a bad ID before reading the config', async () => {
    const c = io();
    expect(await checkCommand([v7(T0), '--config', writeConfig()], c.io)).toBe(1);
    await expect(checkCommand(['{nope}'], io().io)).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });
});
