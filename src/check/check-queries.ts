import { criterionMatches } from '../gap/core/contract-sql.js';
// SQL for one scorecard check. Pure text + parameters; the ID and customer only ever travel as bind parameters.
//
// What narrowing by the creation time buys, tier by tier:
// - director.scorecards, director.scores, app.chats: nothing. Each is reached through an index whose prefix is
//   (customer, profile, scorecard/conversation id), and these tables cannot be partitioned by time (their primary
//   keys do not contain a time). A created_at window would add a predicate and, when the row is outside it, a
//   second round trip: it can only cost.
// - historic.scorecard_scores has no primary key, so in production it may be partitioned by scorecard_created_at;
//   a window lets the planner prune to one or two partitions. The window is centred on the UUIDv7 time (else on
//   director's created_at) and falls back to the unwindowed index lookup, inside the same statement, only when the
//   window holds no row: the count stays exact (the rows of one scorecard share one scorecard_created_at).
// - ClickHouse: the sorting key already starts with (customer_id, profile_id, scorecard_id), so one granule per part
//   is read either way; the window on scorecard_created_at additionally skips whole parts (and partitions), which
//   matters on a large cluster. Same fallback, as a second query, only when the window comes back empty.

export interface SqlQuery {
  text: string;
  values: unknown[];
}

/** Half-width of the window around the creation time. */
export const WINDOW_MS = 86_400_000;

/**
 * Everything Postgres knows about one scorecard, in one statement: 0 rows when director.scorecards has no such
 * scorecard, else one row with the director columns, the template title, the score and historic counts and the
 * conversation. $4 is the UUIDv7 time (or null).
 */
export function scorecardFactsQuery(customer: string, profile: string, id: string, idTime: Date | null): SqlQuery {
  return {
    text: `
SELECT s.created_at, s.submitted_at, s.updated_at, s.scorecard_type, s.calibrated_scorecard_id,
       s.template_id, t.title AS template_title, s.conversation_id,
       sc.rows AS score_rows, sc.criteria AS score_criteria,
       h.rows AS historic_rows, h.criteria AS historic_criteria, h.scores_without_historic,
       (c.conversation_id IS NOT NULL) AS chat_found, c.started_at AS chat_started_at, c.ended_at AS chat_ended_at
FROM director.scorecards s
LEFT JOIN director.scorecard_templates t
  ON t.customer = s.customer AND t.profile = s.profile AND t.resource_id = s.template_id
LEFT JOIN app.chats c
  ON c.customer_id = s.customer AND c.profile_id = s.profile AND c.conversation_id = s.conversation_id
CROSS JOIN LATERAL (
  SELECT count(*)::int AS rows, count(DISTINCT x.criterion_id)::int AS criteria
  FROM director.scores x
  WHERE x.customer = s.customer AND x.profile = s.profile AND x.scorecard_id = s.resource_id
) sc
CROSS JOIN LATERAL (
  WITH windowed AS (
    SELECT hw.criterion_id FROM historic.scorecard_scores hw
    WHERE hw.customer_id = s.customer AND hw.profile_id = s.profile AND hw.scorecard_id = s.resource_id
      AND hw.scorecard_created_at >= COALESCE($4::timestamptz, s.created_at) - interval '1 day'
      AND hw.scorecard_created_at < COALESCE($4::timestamptz, s.created_at) + interval '1 day'
  ), found AS (
    SELECT criterion_id FROM windowed
    UNION ALL
    SELECT ha.criterion_id FROM historic.scorecard_scores ha
    WHERE NOT EXISTS (SELECT 1 FROM windowed)
      AND ha.customer_id = s.customer AND ha.profile_id = s.profile AND ha.scorecard_id = s.resource_id
  )
  SELECT (SELECT count(*) FROM found)::int AS rows,
         (SELECT count(DISTINCT criterion_id) FROM found)::int AS criteria,
         (SELECT count(*) FROM director.scores x
          WHERE x.customer = s.customer AND x.profile = s.profile AND x.scorecard_id = s.resource_id
            AND NOT EXISTS (SELECT 1 FROM found f WHERE ${criterionMatches('f', 'x')}))::int
           AS scores_without_historic
) h
WHERE s.customer = $1 AND s.profile = $2 AND s.resource_id = $3`,
    values: [customer, profile, id, idTime],
  };
}

export interface ClickhouseQuery {
  query: string;
  query_params: Record<string, string>;
}

/** 'YYYY-MM-DD hh:mm:ss.sss' for a DateTime64(3, 'UTC') parameter. */
export function toClickhouseTime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

/**
 * Distinct criteria of one scorecard in ClickHouse. uniqExact(criterion_id) counts a criterion once even while
 * ReplacingMergeTree still holds unmerged duplicates, without the cost of FINAL. `table` comes from validated config.
 */
export function clickhouseCriteriaQuery(
  table: string,
  customer: string,
  profile: string,
  id: string,
  around: Date | null,
): ClickhouseQuery {
  const params: Record<string, string> = { customer, profile, id };
  let window = '';
  if (around) {
    params.from = toClickhouseTime(new Date(around.getTime() - WINDOW_MS));
    params.to = toClickhouseTime(new Date(around.getTime() + WINDOW_MS));
    window = `
  AND scorecard_created_at >= {from:DateTime64(3, 'UTC')} AND scorecard_created_at < {to:DateTime64(3, 'UTC')}`;
  }
  return {
    query: `SELECT uniqExact(criterion_id) AS criteria
FROM ${table}
WHERE customer_id = {customer:String} AND profile_id = {profile:String} AND scorecard_id = {id:String}${window}`,
    query_params: params,
  };
}
