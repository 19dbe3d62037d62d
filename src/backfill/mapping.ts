import { scoreHasHistoricRow } from '../gap/core/contract-sql.js';

// The director → historic (and historic → ClickHouse) column mapping, in one place.
//
// historic.scorecard_scores gets one row per director.scores row of a scorecard, exactly as the production writer
// (and the demo loader, dev/demo/load-sql.ts INSERT_HISTORIC) writes it:
//
//   historic column           source
//   customer_id               director.scores.customer            (= the scorecard's customer)
//   profile_id                director.scores.profile
//   scorecard_id              director.scorecards.resource_id     (= director.scores.scorecard_id)
//   criterion_id              director.scores.criterion_id
//   conversation_id           director.scorecards.conversation_id
//   template_id               director.scorecards.template_id
//   score                     director.scores.numeric_value       (NULL stays NULL: an unanswered criterion)
//   scorecard_created_at      director.scorecards.created_at
//   scorecard_submitted_at    director.scorecards.submitted_at    (NULL: not submitted)
//   written_at                now() (column default): when the row was really written, i.e. by the backfill
//
// ClickHouse mirrors historic row for row (dev/demo/load-sql.ts HISTORIC_AS_CLICKHOUSE_TSV): the same first
// columns, and updated_at = historic.written_at (the ReplacingMergeTree version column).

/** Columns of INSERT INTO historic.scorecard_scores (...), in order. */
export const HISTORIC_COLUMNS = [
  'customer_id',
  'profile_id',
  'scorecard_id',
  'criterion_id',
  'conversation_id',
  'template_id',
  'score',
  'scorecard_created_at',
  'scorecard_submitted_at',
] as const;

/** The matching SELECT list over `director.scores s JOIN director.scorecards d`. */
export const HISTORIC_SELECT = [
  's.customer',
  's.profile',
  'd.resource_id',
  's.criterion_id',
  'd.conversation_id',
  'd.template_id',
  's.numeric_value',
  'd.created_at',
  'd.submitted_at',
].join(', ');

/** Originals only: calibrations and non-original types are skipped by design and never written. */
export const IN_SCOPE = `d.calibrated_scorecard_id IS NULL AND (d.scorecard_type IS NULL OR d.scorecard_type = 0)`;

/** A historic row exists for this score (scorecard and criterion as set members, NULL matching NULL). */
export const HISTORIC_ROW_EXISTS = scoreHasHistoricRow('s', 'd.resource_id');

/**
 * What an approval covers for one scorecard, as an aggregate over its director.scores rows (alias `score`): every
 * (criterion, value) pair in a fixed order. Values go through float8send so no session setting (extra_float_digits)
 * changes the text; quote_nullable keeps NULL apart from the text 'NULL'.
 */
export function scoresAggregate(score: string): string {
  const value = `encode(float8send(${score}.numeric_value), 'hex')`;
  return `string_agg(quote_nullable(${score}.criterion_id) || '=' || quote_nullable(${value}), ','
    ORDER BY ${score}.criterion_id COLLATE "C" NULLS FIRST, ${value} NULLS FIRST)`;
}

/**
 * The digest of one scorecard (alias `d`) given its scores aggregate: SHA-256 over its template, conversation and
 * submit time (all written to historic) and its scores. The plan stores it per scorecard and hashes it into the plan;
 * each chunk recomputes it in the statement that writes, and writes only scorecards whose digest still matches.
 */
export function scorecardDigest(d: string, scoresAgg: string): string {
  return `encode(sha256(convert_to(concat_ws('|',
    quote_nullable(${d}.template_id), quote_nullable(${d}.conversation_id),
    quote_nullable(extract(epoch FROM ${d}.submitted_at)), coalesce(${scoresAgg}, '')), 'UTF8')), 'hex')`;
}

/** ClickHouse columns, in the order of clickhouseRow(). */
export const CLICKHOUSE_COLUMNS = [
  'customer_id',
  'profile_id',
  'scorecard_id',
  'criterion_id',
  'score',
  'scorecard_created_at',
  'scorecard_submitted_at',
  'updated_at',
] as const;

export interface HistoricRow {
  customer_id: string;
  profile_id: string;
  scorecard_id: string;
  criterion_id: string | null;
  score: number | null;
  scorecard_created_at: Date;
  scorecard_submitted_at: Date | null;
  written_at: Date;
}

const chTime = (d: Date): string => d.toISOString().replace('T', ' ').replace('Z', '');

/** One historic row as a ClickHouse JSONEachRow object. */
export function clickhouseRow(h: HistoricRow): Record<(typeof CLICKHOUSE_COLUMNS)[number], string | number | null> {
  return {
    customer_id: h.customer_id,
    profile_id: h.profile_id,
    scorecard_id: h.scorecard_id,
    criterion_id: h.criterion_id ?? '',
    score: h.score,
    scorecard_created_at: chTime(h.scorecard_created_at),
    scorecard_submitted_at: h.scorecard_submitted_at ? chTime(h.scorecard_submitted_at) : null,
    updated_at: chTime(h.written_at),
  };
}
