import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickhouseContractDdl } from '../../dev/db/contract-ddl.js';
import { BackfillService } from '../../src/backfill/service.js';
import { BackfillStore } from '../../src/backfill/store.js';
import { checkScorecard } from '../../src/check/check-service.js';
import { parseConfig } from '../../src/config/load-config.js';
import { runGap, type GapDeps } from '../../src/gap/gap-service.js';
import { OpsStore } from '../../src/ops/ops-store.js';
import { parsePeriod } from '../../src/period/parse-period.js';
import { createContext, type AppContext } from '../../src/platform/read-context.js';
import { ConnectionUrlResolver } from '../../src/sources/connection-url.js';
import { clickhouseUrl } from '../support/clickhouse-url.js';
import { createEmptyDatabase, testPool } from '../support/demo-database.js';
import { createContract, insertScorecards, scorecard, v7Id, type SyntheticScorecard } from '../support/partial-scorecards.js';

// Issue 20, item 5: two clusters' ClickHouse, stood for by two databases (and two table names) on the one local
// server. acme reads its cluster's (east.scores_east), bolt its own (west.scorecard_scores, overriding the same
// cluster's), cato has none. Each ClickHouse holds ALL of the other customer's scorecards as a decoy, so reading the
// wrong one would find nothing missing. Expected numbers are how the rows were placed below.

const PROFILE = 'p1';
const NOW = new Date('2026-03-01T12:00:00Z');
const DAY = '2026-01-10';
let n = 0;
const cards = (customer: string, count: number, submitted: number): SyntheticScorecard[] =>
  Array.from({ length: count }, (_, i) => {
    const createdAt = new Date(Date.UTC(2026, 0, 10, 1 + i));
    const submittedAt = i < submitted ? new Date(createdAt.getTime() + 30 * 60_000) : null;
    return scorecard({ id: v7Id(createdAt, ++n), customer, createdAt, submittedAt, kind: 'complete' });
  });

const acme = cards('acme', 12, 0); // east lacks the first 3 (unsubmitted)
const bolt = cards('bolt', 8, 4); // west lacks 2 submitted and 1 unsubmitted
const cato = cards('cato', 5, 0); // in no ClickHouse at all
const acmeLacking = acme.slice(0, 3);
const boltLacking = [bolt[0]!, bolt[1]!, bolt[4]!];

let db: Awaited<ReturnType<typeof createEmptyDatabase>>;
let chAdmin: ClickHouseClient;
let east: string;
let west: string;
let ctx: AppContext;
let deps: GapDeps;
const period = parsePeriod(DAY, NOW);

const t = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');
async function putInClickhouse(table: string, list: SyntheticScorecard[]): Promise<void> {
  await chAdmin.insert({
    table,
    values: list.flatMap((s) =>
      s.historic.map((criterion) => ({ customer_id: s.customer, profile_id: PROFILE, scorecard_id: s.id, criterion_id: criterion, score: 1, scorecard_created_at: t(s.createdAt), scorecard_submitted_at: s.submittedAt ? t(s.submittedAt) : null, updated_at: t(s.createdAt) })),
    ),
    format: 'JSONEachRow',
  });
}

/** Distinct scorecards of a customer in one ClickHouse table, read directly (not through the code under test). */
async function scorecardsIn(table: string, customer: string): Promise<number> {
  const rs = await chAdmin.query({ query: `SELECT uniqExact(scorecard_id) AS n FROM ${table} FINAL WHERE customer_id = {c:String}`, query_params: { c: customer }, format: 'JSONEachRow' });
  const [row] = await rs.json<{ n: string | number }>();
  return Number(row?.n ?? 0);
}

beforeAll(async () => {
  db = await createEmptyDatabase('sgb_chcluster');
  await createContract(db.url);
  await insertScorecards(db.url, PROFILE, [...acme, ...bolt, ...cato]);
  east = `sgb_east_${db.name.slice(-8)}`;
  west = `sgb_west_${db.name.slice(-8)}`;
  chAdmin = createClient({ url: clickhouseUrl() });
  for (const ddl of clickhouseContractDdl(east, 'scores_east')) await chAdmin.command({ query: ddl });
  for (const ddl of clickhouseContractDdl(west, 'scorecard_scores')) await chAdmin.command({ query: ddl });
  await putInClickhouse(`${east}.scores_east`, [...acme.filter((s) => !acmeLacking.includes(s)), ...bolt]);
  await putInClickhouse(`${west}.scorecard_scores`, [...bolt.filter((s) => !boltLacking.includes(s)), ...acme]);
  const pg = { url: db.url };
  const config = parseConfig(
    JSON.stringify({
      clusters: { 'east-prod': { profile: PROFILE, clickhouse: { url: clickhouseUrl(), database: east, table: 'scores_east' } } },
      customers: [
        { name: 'acme', cluster: 'east-prod', postgres: pg, writer: pg },
        { name: 'bolt', cluster: 'east-prod', postgres: pg, writer: pg, clickhouse: { url: clickhouseUrl(), database: west } },
        { name: 'cato', profile: PROFILE, postgres: pg },
      ],
      ops: { url: db.url },
      backfill: { maxOpenPerUser: 50 },
      logLevel: 'silent',
    }),
    {},
  );
  ctx = createContext(config);
  deps = { sources: ctx.sources, clickhouse: ctx.clickhouse, settings: config.gap, logger: ctx.logger, now: () => NOW };
}, 120_000);

afterAll(async () => {
  await ctx?.close();
  for (const d of [east, west]) await chAdmin?.command({ query: `DROP DATABASE IF EXISTS ${d}` }).catch(() => undefined);
  await chAdmin?.close();
  await db?.drop();
});

describe('each customer against its own ClickHouse', () => {
  it('gap: acme against its cluster\'s, bolt against its own, cato against none', async () => {
    const [a, b, c] = await Promise.all(['acme', 'bolt', 'cato'].map((name) => runGap(deps, name, period)));
    expect(a!.populations.unsubmitted).toMatchObject({ total: 12, missing: 0, clickhouseMissing: 3 });
    expect(a!.populations.submitted.clickhouseMissing).toBe(0);
    expect(a!.clickhouse).toMatchObject({ configured: true, available: true, days: [{ date: DAY, population: 'unsubmitted', missing: 3 }] });
    expect(b!.populations.submitted).toMatchObject({ total: 4, missing: 0, clickhouseMissing: 2 });
    expect(b!.populations.unsubmitted).toMatchObject({ total: 4, missing: 0, clickhouseMissing: 1 });
    expect(c!.populations.unsubmitted).toMatchObject({ total: 5, missing: 0, clickhouseMissing: null });
    expect(c!.clickhouse.configured).toBe(false);
  });

  it('check: the scorecard is looked up in its own customer\'s ClickHouse', async () => {
    const checked = async (customer: string, id: string) => (await checkScorecard({ sources: ctx.sources, clickhouse: ctx.clickhouse, timeoutMs: 15_000, logger: ctx.logger }, { id, customer })).tiers.clickhouse;
    // bolt's lacking scorecard is in east (the decoy) but not in west, its own.
    expect(await checked('bolt', boltLacking[0]!.id)).toMatchObject({ status: 'checked', criteria: 0 });
    expect(await checked('bolt', bolt[2]!.id)).toMatchObject({ status: 'checked', criteria: 10 });
    expect(await checked('acme', acmeLacking[0]!.id)).toMatchObject({ status: 'checked', criteria: 0 });
    expect(await checked('cato', cato[0]!.id)).toEqual({ status: 'not_configured' });
  });

  it('backfill: bolt\'s plan reads its own ClickHouse and the job writes only there', async () => {
    const opsPool = testPool(db.url, 4);
    try {
      await new OpsStore(opsPool).migrate();
      const svc = new BackfillService({ store: new BackfillStore(opsPool), config: ctx.config, gap: deps, resolver: new ConnectionUrlResolver() });
      const eastBolt = await scorecardsIn(`${east}.scores_east`, 'bolt');
      const eastAcme = await scorecardsIn(`${east}.scores_east`, 'acme');
      const r = await svc.request({ customer: 'bolt', period }, { requester: 'U_REQ', channel: 'C1', threadTs: null });
      expect(r.plan?.before.clickhouse).toEqual({ submitted: 2, unsubmitted: 1 });
      expect(r.plan?.target).toContain(`ClickHouse ${clickhouseUrl().replace(/\/+$/, '')} ${west}.scorecard_scores`);
      expect(await svc.approve(r.id, 'U_A', r.planHash!)).toMatchObject({ ok: true });
      const result = await svc.run(r.id);
      expect(result).toMatchObject({ status: 'done', before: { clickhouse: { submitted: 2, unsubmitted: 1 } }, after: { clickhouse: { submitted: 0, unsubmitted: 0 } } });
      expect(await scorecardsIn(`${west}.scorecard_scores`, 'bolt')).toBe(bolt.length);
      // The other cluster's ClickHouse is untouched.
      expect(await scorecardsIn(`${east}.scores_east`, 'bolt')).toBe(eastBolt);
      expect(await scorecardsIn(`${east}.scores_east`, 'acme')).toBe(eastAcme);
      // acme, on east, still lacks its 3 there: bolt's job wrote nothing of acme's anywhere.
      expect((await runGap(deps, 'acme', period)).populations.unsubmitted.clickhouseMissing).toBe(3);
    } finally {
      await opsPool.end();
    }
  }, 120_000);
});
