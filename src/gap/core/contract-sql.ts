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
