// The director → historic (and historic → ClickHouse) column mapping, in one place.
//
// historic.scorecard_scores gets one row per director.scores row of a scorecard, exactly as the production writer
// (and the demo loader, src/demo/load-sql.ts INSERT_HISTORIC) writes it:
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
// ClickHouse mirrors historic row for row (src/demo/load-sql.ts HISTORIC_AS_CLICKHOUSE_TSV): the same first
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

/** A historic row exists for this score (scorecard and criterion). NULL criteria compare as equal. */
export const HISTORIC_ROW_EXISTS = `EXISTS (
  SELECT 1 FROM historic.scorecard_scores h
  WHERE h.customer_id = s.customer AND h.profile_id = s.profile AND h.scorecard_id = d.resource_id
    AND h.criterion_id IS NOT DISTINCT FROM s.criterion_id)`;

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
