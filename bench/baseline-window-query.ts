// The gap engine's window query as it was before partial scorecards and the settle cutoff (issue 19), kept verbatim
// for `npm run bench` only: the baseline the partial-counting query's cost is measured against, in the same process
// on the same data. It counts total and missing (no historic row at all), nothing else. Never used by the bot.
import type { SqlQuery } from '../src/gap/core/queries.js';
import { idRange } from '../src/gap/core/queries.js';

const IN_SCOPE = `d.calibrated_scorecard_id IS NULL AND (d.scorecard_type IS NULL OR d.scorecard_type = 0)`;
const ABSENT_FROM_HISTORIC = `NOT EXISTS (
      SELECT 1 FROM historic.scorecard_scores h
      WHERE h.customer_id = d.customer AND h.profile_id = d.profile AND h.scorecard_id = d.resource_id)`;

const HOUR_TEXT = (col: string): string => `to_char(${col}, 'YYYY-MM-DD"T"HH24":00:00.000Z"')`;

export function baselineWindowCountsQuery(customer: string, profile: string, from: Date, to: Date): SqlQuery {
  const { lo, hi } = idRange(from, to);
  return {
    text: `
SELECT ${HOUR_TEXT('g.hour')} AS hour, to_char(g.submitted_date, 'YYYY-MM-DD') AS submitted_date, g.cls,
       g.total::int AS total, g.missing::int AS missing
FROM (
  SELECT date_trunc('hour', d.created_at AT TIME ZONE 'UTC') AS hour,
         (d.submitted_at AT TIME ZONE 'UTC')::date AS submitted_date,
         CASE WHEN d.calibrated_scorecard_id IS NOT NULL THEN 'calibration'
              WHEN d.scorecard_type IS NOT NULL AND d.scorecard_type <> 0 THEN 'non_original'
              ELSE 'in_scope' END AS cls,
         count(*) AS total,
         count(*) FILTER (WHERE ${IN_SCOPE} AND CASE WHEN d.resource_id >= $5 AND d.resource_id < $6 THEN p.scorecard_id IS NULL
                                                    ELSE ${ABSENT_FROM_HISTORIC} END) AS missing
  FROM director.scorecards d
  LEFT JOIN (
    SELECT DISTINCT h.scorecard_id FROM historic.scorecard_scores h
    WHERE h.customer_id = $1 AND h.profile_id = $2 AND h.scorecard_id >= $5 AND h.scorecard_id < $6
  ) p ON p.scorecard_id = d.resource_id
  WHERE d.customer = $1 AND d.profile = $2 AND d.created_at >= $3 AND d.created_at < $4
  GROUP BY 1, 2, 3
) g`,
    values: [customer, profile, from, to, lo, hi],
  };
}
