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

/**
 * criterionMatches as plain equalities, which a hash join can key on (IS NOT DISTINCT FROM cannot be hashed): equal
 * non-NULL criteria, or both NULL. The IS NULL equality keeps a NULL criterion from matching an empty-string one.
 */
export function criterionMatchesHashable(historic: string, score: string): string {
  return `coalesce(${historic}.criterion_id, '') = coalesce(${score}.criterion_id, '') AND (${historic}.criterion_id IS NULL) = (${score}.criterion_id IS NULL)`;
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

/**
 * Select-list of one scorecard's criteria as a set, over rows `r` (historic or director.scores rows) grouped by
 * scorecard: its non-NULL criteria (an array, duplicates harmless) and whether a NULL criterion is among them.
 * Built in one pass over rows read in scorecard order (an index range), with no per-score probe.
 */
export function criteriaSet(r: string): string {
  return `array_agg(${r}.criterion_id) FILTER (WHERE ${r}.criterion_id IS NOT NULL) AS criteria, bool_or(${r}.criterion_id IS NULL) AS has_null`;
}

/**
 * Every director score of a scorecard has its historic row, as criteriaSet rows `scores` and `historic` (historic
 * present): the director set is contained in the historic set, NULL matching NULL. The same membership as
 * scoreHasHistoricRow (criterionMatches): a score lacks its row iff its non-NULL criterion is not among historic's,
 * or its criterion is NULL and historic has no NULL one. `<@` compares elements with text equality.
 */
export function criteriaCovered(scores: string, historic: string): string {
  return `(coalesce(${scores}.criteria, '{}'::text[]) <@ coalesce(${historic}.criteria, '{}'::text[]) AND (NOT ${scores}.has_null OR ${historic}.has_null))`;
}

/** Per-scorecard form for IDs outside a range: some director score of `scorecard` (a director.scorecards alias) has
 *  no historic row (scoreHasHistoricRow). */
export function someScoreLacksHistoric(scorecard: string): string {
  return `EXISTS (
  SELECT 1 FROM director.scores s
  WHERE s.customer = ${scorecard}.customer AND s.profile = ${scorecard}.profile AND s.scorecard_id = ${scorecard}.resource_id
    AND NOT ${scoreHasHistoricRow('s', `${scorecard}.resource_id`)})`;
}
