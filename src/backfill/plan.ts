import type { ClickhouseTier } from '../sources/clickhouse.js';
import type { ReadOnlyDb } from '../sources/read-only-db.js';
import { historicCriteriaOf, scoreInHistoricCriteria } from '../gap/core/contract-sql.js';
import { dayWindows } from '../gap/core/windows.js';
import { scorecardDigest, scoresAggregate } from './mapping.js';
import { createPlanHasher } from './plan-hash.js';
import { BotError } from '../shared/errors.js';
import type { BackfillScope } from './scope.js';
import type { WriterIdentity } from './writer-identity.js';

// The plan: which scorecards of the scope to write, and what is left alone and why. Read-only credentials only,
// streamed: each UTC day is read in keyset pages ordered by (created_at, ID), every page is classified, counted,
// hashed and handed to `sink` (the ops store writes items in batches; the dry run passes no sink), then dropped.
// Memory is one page plus, with ClickHouse, one day's ClickHouse IDs.

export const WRITE_REASONS = ['missing', 'partial', 'clickhouse_only'] as const;
export const LEFT_ALONE_REASONS = ['calibration', 'non_original', 'no_scores', 'conversation_missing', 'present'] as const;
export type WriteReason = (typeof WRITE_REASONS)[number];
export type LeftAloneReason = (typeof LEFT_ALONE_REASONS)[number];
export type ItemReason = WriteReason | LeftAloneReason;

/** A scorecard as the plan sees it. */
export interface ScannedScorecard {
  id: string;
  createdAt: string; // ISO, microseconds, UTC: sorts as text
  submitted: boolean;
  excluded: 'calibration' | 'non_original' | null;
  scores: number;
  /** Director scores whose criterion has no historic row (criteria compared as sets: gap/core/contract-sql.ts). */
  missingScores: number;
  /** Historic holds at least one row of this scorecard. */
  historicAny: boolean;
  chat: boolean;
}

/** Pure: why a scorecard is written or left alone. `inClickhouse` null: ClickHouse is not part of this plan. */
export function classify(s: ScannedScorecard, inClickhouse: boolean | null): ItemReason {
  if (s.excluded) return s.excluded;
  if (s.historicAny) {
    if (s.missingScores > 0) return 'partial';
    return inClickhouse === false ? 'clickhouse_only' : 'present';
  }
  if (s.scores === 0) return 'no_scores';
  if (!s.chat) return 'conversation_missing';
  return 'missing';
}

export interface PlanItem {
  scorecardId: string;
  reason: ItemReason;
  /** Position in the write sequence (chunks are seq ranges); null for scorecards left alone. */
  seq: number | null;
  submitted: boolean;
  scores: number;
  createdAt: string;
  /** What the approval covers (scorecardDigest): set for scorecards to write, null for those left alone. */
  digest: string | null;
}

type Pop = { submitted: number; unsubmitted: number };
const pop = (): Pop => ({ submitted: 0, unsubmitted: 0 });

export interface BackfillPlan {
  scope: BackfillScope;
  hash: string;
  /** The database the job would write, password masked; null when the customer has no writer connection. */
  target: string | null;
  /** Who the job may write to (host, port, database, user; ClickHouse URL, database, table): bound by the approval. */
  writerIdentity?: WriterIdentity | null;
  writerConfigured: boolean;
  toWrite: {
    scorecards: number;
    byReason: Record<WriteReason, number>;
    historicRows: number;
    /** Upper bound: the historic rows plus the rows of clickhouse_only scorecards; rows ClickHouse has are skipped. */
    clickhouseRows: number;
  };
  leftAlone: Record<LeftAloneReason, number>;
  /** Missing from historic / ClickHouse now, per population (what the gap scan would report for the scope). */
  before: { historic: Pop; clickhouse: Pop };
  samples: Partial<Record<ItemReason, string[]>>;
  scanned: number;
}

export interface PlanOptions {
  db: ReadOnlyDb;
  clickhouse: ClickhouseTier | null;
  scope: BackfillScope;
  target: string | null;
  writerIdentity?: WriterIdentity | null;
  /** Called each page's items worth storing (to write, and missing ones left alone); awaited. */
  sink?: (items: PlanItem[]) => Promise<void>;
  pageSize?: number;
  samplesPerReason?: number;
  /** After every page: how far the scan is (the plan job's progress and heartbeat). */
  onPage?: (p: PlanProgress) => void | Promise<void>;
  /** Refuse (BAD_INPUT) as soon as more scorecards than this are to be written: the scan stops there. */
  maxScorecards?: number;
}

export interface PlanProgress {
  daysDone: number;
  days: number;
  scanned: number;
  toWrite: number;
}

/** The refusal of a plan over backfill.maxScorecards, with a shorter period that stays under it. */
function overCap(scope: BackfillScope, max: number, dayFrom: string): BotError {
  const first = scope.from.slice(0, 10);
  const lastFull = new Date(new Date(dayFrom).getTime() - 86_400_000).toISOString().slice(0, 10);
  const shorter = dayFrom.slice(0, 10) > first ? ` Backfill a shorter period, e.g. ${first}..${lastFull}, then the rest.` : '';
  return new BotError('BAD_INPUT', `This backfill would write more than ${max.toLocaleString('en-US')} scorecards (backfill.maxScorecards), counting from ${first} to ${dayFrom.slice(0, 10)}.`, {
    hint: `${shorter.trim() || 'Backfill one day at a time.'}`,
  });
}

const PAGE = `
SELECT k.id, k.created_key, k.submitted, k.excluded,
       -- A scalar probe, not EXISTS: PostgreSQL would hash the whole app.chats table for an EXISTS over a page.
       coalesce((SELECT true FROM app.chats c
                 WHERE c.customer_id = $1 AND c.profile_id = $2 AND c.conversation_id = k.conversation_id LIMIT 1), false) AS chat,
       sc.scores, sc.missing_scores,
       k.excluded IS NULL AND hc.any_row AS historic_any,
       CASE WHEN k.excluded IS NULL THEN ${scorecardDigest('k', 'sc.agg')} END AS digest
FROM (
  -- COLLATE "C" only where IDs are ordered: on the selected column it would keep the lookups below off their indexes.
  SELECT d.resource_id AS id,
         to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_key,
         d.created_at,
         d.submitted_at IS NOT NULL AS submitted,
         CASE WHEN d.calibrated_scorecard_id IS NOT NULL THEN 'calibration'
              WHEN d.scorecard_type IS NOT NULL AND d.scorecard_type <> 0 THEN 'non_original' END AS excluded,
         d.conversation_id, d.template_id, d.submitted_at
  FROM director.scorecards d
  WHERE d.customer = $1 AND d.profile = $2 AND d.created_at >= $3::timestamptz AND d.created_at < $4::timestamptz
    -- $3 is the window's start, or the last page's created_at: the index range starts there, not at midnight
    AND ($5::text IS NULL OR d.created_at > $5::timestamptz
         OR (d.created_at = $5::timestamptz AND d.resource_id COLLATE "C" > $6::text))
    AND ($7::text IS NULL OR d.resource_id = $7::text)
  ORDER BY d.created_at, d.resource_id COLLATE "C"
  LIMIT $8
  OFFSET 0
) k
-- One probe of historic per scorecard (not one per score), and none for the excluded ones.
CROSS JOIN LATERAL (
  SELECT * FROM (${historicCriteriaOf('$1', '$2', 'k.id')}) x WHERE k.excluded IS NULL
  UNION ALL SELECT NULL, false, false WHERE k.excluded IS NOT NULL
) hc
CROSS JOIN LATERAL (
  SELECT count(*)::int AS scores,
         count(*) FILTER (WHERE k.excluded IS NULL AND NOT ${scoreInHistoricCriteria('s', 'hc')})::int AS missing_scores,
         ${scoresAggregate('s')} AS agg
  FROM director.scores s WHERE s.customer = $1 AND s.profile = $2 AND s.scorecard_id = k.id
) sc
ORDER BY k.created_at, k.id COLLATE "C"`;

interface PageRow {
  id: string;
  created_key: string;
  submitted: boolean;
  excluded: 'calibration' | 'non_original' | null;
  chat: boolean;
  scores: number;
  missing_scores: number;
  historic_any: boolean;
  digest: string | null;
}

async function clickhouseIdsOfDay(ch: ClickhouseTier, scope: BackfillScope, from: string, to: string): Promise<Set<string>> {
  const t = (iso: string) => iso.replace('T', ' ').replace('Z', '');
  const rs = await ch.client.query({
    query: `SELECT DISTINCT scorecard_id FROM ${ch.table}
            WHERE customer_id = {customer:String} AND profile_id = {profile:String}
              AND scorecard_created_at >= {from:DateTime64(3, 'UTC')} AND scorecard_created_at < {to:DateTime64(3, 'UTC')}`,
    query_params: { customer: scope.customer, profile: scope.profile, from: t(from), to: t(to) },
    format: 'JSONCompactEachRow',
  });
  return new Set(((await rs.json()) as [string][]).map((r) => r[0]));
}

export async function computePlan(opts: PlanOptions): Promise<BackfillPlan> {
  const { scope, db } = opts;
  const pageSize = opts.pageSize ?? 2000;
  const sampleN = opts.samplesPerReason ?? 5;
  const hasher = createPlanHasher(scope, opts.writerIdentity ?? null);
  const plan: BackfillPlan = {
    scope,
    hash: '',
    target: opts.target,
    writerIdentity: opts.writerIdentity ?? null,
    writerConfigured: opts.target !== null,
    toWrite: { scorecards: 0, byReason: { missing: 0, partial: 0, clickhouse_only: 0 }, historicRows: 0, clickhouseRows: 0 },
    leftAlone: { calibration: 0, non_original: 0, no_scores: 0, conversation_missing: 0, present: 0 },
    before: { historic: pop(), clickhouse: pop() },
    samples: {},
    scanned: 0,
  };
  const ch = scope.clickhouse ? opts.clickhouse : null;
  let seq = 0;
  const days = dayWindows(new Date(scope.from), new Date(scope.to));
  let daysDone = 0;
  for (const w of days) {
    const inCh = ch ? await clickhouseIdsOfDay(ch, scope, w.from, w.to) : null;
    let after: [string, string] | null = null;
    for (;;) {
      const rows: PageRow[] = await db.query<PageRow>(PAGE, [
        scope.customer,
        scope.profile,
        after?.[0] ?? w.from,
        w.to,
        after?.[0] ?? null,
        after?.[1] ?? null,
        scope.scorecardId ?? null,
        pageSize,
      ]);
      const items: PlanItem[] = [];
      for (const r of rows) {
        const scanned: ScannedScorecard = {
          id: r.id,
          createdAt: r.created_key,
          submitted: r.submitted,
          excluded: r.excluded,
          scores: r.scores,
          missingScores: r.missing_scores,
          historicAny: r.historic_any,
          chat: r.chat,
        };
        const reason = classify(scanned, inCh ? inCh.has(r.id) : null);
        const p = r.submitted ? 'submitted' : 'unsubmitted';
        plan.scanned++;
        if (!r.excluded && !r.historic_any) plan.before.historic[p]++;
        const samples = (plan.samples[reason] ??= []);
        if (samples.length < sampleN) samples.push(r.id);
        if (reason === 'missing' || reason === 'partial' || reason === 'clickhouse_only') {
          const digest = r.digest ?? '';
          hasher.add(r.id, r.created_key, digest);
          plan.toWrite.scorecards++;
          plan.toWrite.byReason[reason]++;
          const historicRows = reason === 'clickhouse_only' ? 0 : r.missing_scores;
          plan.toWrite.historicRows += historicRows;
          if (ch) plan.toWrite.clickhouseRows += reason === 'clickhouse_only' ? r.scores : historicRows;
          if (reason === 'clickhouse_only') plan.before.clickhouse[p]++;
          items.push({ scorecardId: r.id, reason, seq: seq++, submitted: r.submitted, scores: r.scores, createdAt: r.created_key, digest });
        } else {
          plan.leftAlone[reason]++;
          if (reason === 'no_scores' || reason === 'conversation_missing') {
            items.push({ scorecardId: r.id, reason, seq: null, submitted: r.submitted, scores: r.scores, createdAt: r.created_key, digest: null });
          }
        }
      }
      if (opts.maxScorecards !== undefined && plan.toWrite.scorecards > opts.maxScorecards) throw overCap(scope, opts.maxScorecards, w.from);
      if (opts.sink && items.length > 0) await opts.sink(items);
      const last: PageRow | undefined = rows[rows.length - 1];
      const dayDone = !last || rows.length < pageSize;
      await opts.onPage?.({ daysDone: daysDone + (dayDone ? 1 : 0), days: days.length, scanned: plan.scanned, toWrite: plan.toWrite.scorecards });
      if (dayDone) break;
      after = [last.created_key, last.id];
    }
    daysDone++;
  }
  plan.hash = hasher.digest();
  return plan;
}
