// Shared SQL definitions over the contract tables, so the plan, the backfill job, the check and the gap report
// cannot disagree about what "present" means.

/**
 * A director score has its historic row when historic holds a row for the same scorecard and the same criterion.
 * Criteria are compared as set members, with NULL matching NULL (an unanswered criterion is still a criterion):
 * director {c2, c3} against historic {c1, c2} lacks c3, whatever the counts say.
 */
export function criterionMatches(historic: string, score: string): string {
  return `${historic}.criterion_id IS NOT DISTINCT FROM ${score}.criterion_id`;
}

/** EXISTS: the score `score` (a director.scores alias) of scorecard `scorecardId` has its historic row. */
export function scoreHasHistoricRow(score: string, scorecardId: string): string {
  return `EXISTS (
  SELECT 1 FROM historic.scorecard_scores h
  WHERE h.customer_id = ${score}.customer AND h.profile_id = ${score}.profile AND h.scorecard_id = ${scorecardId}
    AND ${criterionMatches('h', score)})`;
}

/**
 * The historic criteria of one scorecard in a single probe (for a scan over many scorecards, where one EXISTS per
 * score would read each scorecard's historic rows once per score): its non-NULL criteria, whether a NULL-criterion
 * row exists, and whether it has any row. Pair with scoreInHistoricCriteria: together they mean scoreHasHistoricRow.
 */
export function historicCriteriaOf(customer: string, profile: string, scorecardId: string): string {
  return `SELECT array_agg(DISTINCT h.criterion_id) FILTER (WHERE h.criterion_id IS NOT NULL) AS criteria,
         coalesce(bool_or(h.criterion_id IS NULL), false) AS has_null, count(*) > 0 AS any_row
  FROM historic.scorecard_scores h WHERE h.customer_id = ${customer} AND h.profile_id = ${profile} AND h.scorecard_id = ${scorecardId}`;
}

/** scoreHasHistoricRow, against a historicCriteriaOf row `hc`: the same set membership, NULL matching NULL. */
export function scoreInHistoricCriteria(score: string, hc: string): string {
  return `(CASE WHEN ${score}.criterion_id IS NULL THEN ${hc}.has_null ELSE ${score}.criterion_id = ANY(coalesce(${hc}.criteria, '{}'::text[])) END)`;
}
