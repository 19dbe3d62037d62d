import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { WebClient } from '@slack/web-api';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickhouseContractDdl } from '../../dev/db/contract-ddl.js';
import { parseConfig } from '../../src/config/load-config.js';
import type { WatchAudit } from '../../src/config/watch-schema.js';
import { planGap, runGap, type GapDeps } from '../../src/gap/gap-service.js';
import { missingIds } from '../../src/gap/missing-ids.js';
import { renderTerminalReport } from '../../src/gap/views/terminal-report.js';
import { headlineMessage } from '../../src/gap/views/gap-blocks.js';
import { OpsStore } from '../../src/ops/ops-store.js';
import { parsePeriod } from '../../src/period/parse-period.js';
import { createClickhouseTiers, type ClickhouseTiers } from '../../src/sources/clickhouse-tiers.js';
import { CustomerSources } from '../../src/sources/customer-sources.js';
import { createLogger } from '../../src/shared/logger.js';
import { webClientPublisher } from '../../src/slack/thread-publisher.js';
import { AlertStore } from '../../src/watch/alert-store.js';
import { runAudit } from '../../src/watch/audit.js';
import { clickhouseUrl } from '../support/clickhouse-url.js';
import { createEmptyDatabase, testPool } from '../support/demo-database.js';
import { createContract, insertScorecards, scorecard, v7Id, type SyntheticScorecard } from '../support/partial-scorecards.js';
import { startSlackEmulator, type SlackEmulator } from '../support/slack-emulator.js';

// Rows still in flight: scorecards created or submitted within gap.settleMinutes (30) of the run's start are
// counted apart and never judged; ClickHouse waits clickhouse.settleMinutes (60). The clock is injected; every
// expected number comes from how the scorecards below were placed around it.

const PROFILE = 'eu-1';
const NOW = new Date('2026-03-10T12:00:00Z');
const ago = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);
const at = (iso: string) => new Date(iso);
let n = 0;
const card = (kind: SyntheticScorecard['kind'], createdAt: Date, submittedAt: Date | null = null): SyntheticScorecard =>
  scorecard({ id: v7Id(createdAt, ++n), customer: 'acme', createdAt, submittedAt, kind });

// In flight: created 5 minutes ago (three missing, one present), submitted 2 minutes ago, and created a day ago but
// submitted 10 minutes ago (the earliest missing-looking scorecard of its hour).
const inFlight = {
  unsubmitted: [card('missing', ago(5)), card('missing', ago(5)), card('missing', ago(5)), card('complete', ago(5))],
  submitted: [card('missing', ago(5), ago(2)), card('missing', at('2026-03-09T09:00:00Z'), ago(10))],
};
// Judged: missing 2 hours ago, missing in the same hour as the in-flight one above (created after it).
const missing = { unsubmitted: card('missing', ago(120)), submitted: card('missing', at('2026-03-09T09:30:00Z'), at('2026-03-09T11:00:00Z')) };
// Present and settled; two of them absent from ClickHouse: 45 minutes old (still in flight there) and 90 minutes old.
const present = Array.from({ length: 20 }, (_, i) => card('complete', new Date(Date.UTC(2026, 2, 9, 1 + i))));
const presentSubmitted = Array.from({ length: 5 }, (_, i) => card('complete', new Date(Date.UTC(2026, 2, 9, 2 + i)), new Date(Date.UTC(2026, 2, 9, 8 + i))));
const chInFlight = card('complete', ago(45));
const chMissing = card('complete', ago(90));
const all = [...inFlight.unsubmitted, ...inFlight.submitted, missing.unsubmitted, missing.submitted, ...present, ...presentSubmitted, chInFlight, chMissing];
/** In ClickHouse: every present scorecard except the two above (and the in-flight present one, not yet there). */
const inClickhouse = [...present, ...presentSubmitted];

let db: Awaited<ReturnType<typeof createEmptyDatabase>>;
let sources: CustomerSources;
let ch: ClickhouseTiers | null;
let chAdmin: ClickHouseClient;
let chDatabase: string;
let deps: GapDeps;

beforeAll(async () => {
  db = await createEmptyDatabase('sgb_inflight');
  await createContract(db.url);
  await insertScorecards(db.url, PROFILE, all);
  chDatabase = `sgb_${db.name.slice(-10)}`;
  chAdmin = createClient({ url: clickhouseUrl() });
  for (const ddl of clickhouseContractDdl(chDatabase, 'scorecard_scores')) await chAdmin.command({ query: ddl });
  const t = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');
  await chAdmin.insert({
    table: `${chDatabase}.scorecard_scores`,
    values: inClickhouse.flatMap((s) =>
      s.historic.map((criterion) => ({ customer_id: 'acme', profile_id: PROFILE, scorecard_id: s.id, criterion_id: criterion, score: 1, scorecard_created_at: t(s.createdAt), scorecard_submitted_at: s.submittedAt ? t(s.submittedAt) : null, updated_at: t(s.createdAt) })),
    ),
    format: 'JSONEachRow',
  });
  const config = parseConfig(
    JSON.stringify({ customers: [{ name: 'acme', profile: PROFILE, postgres: { url: db.url } }], clickhouse: { url: clickhouseUrl(), database: chDatabase }, logLevel: 'silent' }),
    {},
  );
  sources = new CustomerSources(config);
  ch = createClickhouseTiers(config);
  deps = { sources, clickhouse: ch, settings: config.gap, logger: createLogger({ level: 'silent' }), now: () => NOW };
}, 120_000);

afterAll(async () => {
  await sources?.close();
  await ch?.close();
  await chAdmin?.command({ query: `DROP DATABASE IF EXISTS ${chDatabase}` }).catch(() => undefined);
  await chAdmin?.close();
  await db?.drop();
});

describe('scorecards in flight', () => {
  it('are counted apart, never missing, and the judged ones keep their numbers', async () => {
    const r = await runGap(deps, 'acme', parsePeriod('last-2d', NOW));
    expect(r.populations.unsubmitted).toEqual({
      total: present.length + 2 /* ClickHouse cases */ + 1 /* missing 2 h ago */,
      missing: 1,
      partial: 0,
      inFlight: inFlight.unsubmitted.length,
      clickhouseMissing: 1,
      clickhouseInFlight: 1,
    });
    expect(r.populations.submitted).toEqual({ total: presentSubmitted.length + 1, missing: 1, partial: 0, inFlight: inFlight.submitted.length, clickhouseMissing: 0, clickhouseInFlight: 0 });
    expect(r.settle).toEqual({ minutes: 30, cutoff: '2026-03-10T11:30:00.000Z', clickhouseMinutes: 60, clickhouseCutoff: '2026-03-10T11:00:00.000Z' });
    // The first missing scorecards are the judged ones, not the in-flight one earlier in the same hour.
    expect(r.firstMissing.submitted?.scorecardId).toBe(missing.submitted.id);
    expect(r.firstMissing.unsubmitted?.scorecardId).toBe(missing.unsubmitted.id);
    expect(r.clickhouse.days).toEqual([{ date: '2026-03-10', population: 'unsubmitted', missing: 1 }]);
    expect(r.verdict).toBe('gap');

    const text = renderTerminalReport(r);
    expect(text).toContain('6 in flight (newer than 30 min), not judged: 2 submitted, 4 unsubmitted.');
    expect(text).toContain('1 more in historic is newer than 60 min, not yet judged in ClickHouse (in flight).');
    expect(JSON.stringify(headlineMessage(r).blocks)).toContain('6 in flight (newer than 30 min), not judged');
  });

  it('says nothing about it when nothing is in flight', async () => {
    const later = new Date('2026-03-11T12:00:00Z');
    const r = await runGap({ ...deps, now: () => later }, 'acme', parsePeriod('2026-03-09..2026-03-10', later));
    expect(r.populations.unsubmitted.inFlight + r.populations.submitted.inFlight).toBe(0);
    // A day later the same scorecards are judged: the ones that were in flight and still lack historic are missing.
    expect(r.populations.unsubmitted.missing).toBe(1 + 3);
    expect(r.populations.submitted.missing).toBe(1 + 2);
    // ... and the three present ones absent from ClickHouse are missing there: 45 and 90 minutes old then, and the
    // one that was in flight for historic too.
    expect(r.populations.unsubmitted.clickhouseMissing).toBe(3);
    expect(renderTerminalReport(r)).not.toContain('in flight');
  });

  it('the missing-ID CSV leaves them out, with the run\'s own cutoff', async () => {
    const plan = planGap(sources, deps.settings, 'acme', parsePeriod('last-2d', NOW), NOW);
    expect(plan.settle).toEqual({ plannedAt: NOW.toISOString(), minutes: 30, cutoff: '2026-03-10T11:30:00.000Z' });
    const ids: string[] = [];
    for await (const row of missingIds(sources, plan)) ids.push(row.scorecardId);
    expect(ids.sort()).toEqual([missing.submitted.id, missing.unsubmitted.id].sort());
  });
});

describe('the watchdog applies the same rule', () => {
  let slack: SlackEmulator;
  let pool: pg.Pool;
  const audit: WatchAudit = {
    name: 'hourly',
    every: '1h',
      spread: 'off',
    lookback: 'last-48h',
    customers: ['acme'],
    channel: 'C0ALERTS',
    thresholds: { submitted: 0, unsubmitted: 0, clickhouse: 1000 },
    maxAlertsPerHour: 5,
  minMissing: 3,
  confirmAudits: 1,
    historyMonths: 0,
  };

  beforeAll(async () => {
    slack = await startSlackEmulator();
    pool = testPool(db.url, 3);
    await new OpsStore(pool).migrate();
  }, 60_000);

  afterAll(async () => {
    await pool?.end();
    await slack?.close();
  });

  it('does not alert on scorecards 5 minutes old; the audit counts the 2-hour-old missing one', async () => {
    // The gap deps carry no clock of their own: the audit's must be the one the settle cutoff comes from.
    const auditDeps = {
      gap: { ...deps, clickhouse: null, now: undefined },
      store: new AlertStore(pool),
      publisher: webClientPublisher(new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } })),
      ops: null,
      metrics: null,
      now: () => NOW,
    };
    const outcome = await runAudit(auditDeps, audit);
    expect(outcome.customers[0]?.error).toBeNull();
    // Thresholds at 0, and an onset needs two missing (one straggler is not a loss): the judged scorecards hold one
    // missing per population, so nothing alerts. Counted as missing, the in-flight ones (3 and 2) would have.
    const { rows } = await pool.query(`SELECT population, missing, total FROM scorecard_bot.watch_alerts ORDER BY population`);
    expect(rows).toEqual([]);
    expect(slack.messages('C0ALERTS')).toEqual([]);
    // The audit's own numbers: the 2-hour-old missing one only, out of the judged scorecards (the in flight are in
    // neither number).
    const [last] = await new AlertStore(pool).lastAudits();
    expect(last?.populations).toMatchObject({
      submitted: { missing: 1, total: presentSubmitted.length + 1 },
      unsubmitted: { missing: 1, total: present.length + 3 },
    });
  }, 120_000);
});
