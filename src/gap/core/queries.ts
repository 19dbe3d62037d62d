// SQL for the gap engine. Pure text + parameter arrays; input only ever travels as bind parameters.
//
// Why this shape beats the investigation's queries: they built `SELECT DISTINCT scorecard_id FROM historic ...`
// over the customer's whole historic table for every query (and Query 3 used NOT IN, which Postgres cannot turn
// into an anti-join). Here each time window reads only its own scorecards through the (customer, profile,
// created_at) index and probes historic through its (customer_id, profile_id, scorecard_id) index, so the cost
// follows the scorecards in the window, not the size of historic. One pass per window yields every breakdown.

export interface SqlQuery {
  text: string;
  values: unknown[];
}

const IN_SCOPE = `d.calibrated_scorecard_id IS NULL AND (d.scorecard_type IS NULL OR d.scorecard_type = 0)`;
const ABSENT_FROM_HISTORIC = `NOT EXISTS (
      SELECT 1 FROM historic.scorecard_scores h
      WHERE h.customer_id = d.customer AND h.profile_id = d.profile AND h.scorecard_id = d.resource_id)`;

const HOUR_TEXT = (col: string): string => `to_char(${col}, 'YYYY-MM-DD"T"HH24":00:00.000Z"')`;

/** The 48-bit millisecond prefix a UUIDv7 carries, as the text its IDs start with ('019bcaf4-4b65'). */
export function uuidV7Prefix(at: Date): string {
  const hex = Math.max(0, Math.min(at.getTime(), 2 ** 48 - 1)).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}`;
}

/** How far an ID's embedded time may stray from created_at and still take the range path. */
export const ID_RANGE_MARGIN_MS = 3_600_000;

/**
 * One window, one pass: counts per (created hour, submit date, class), with missing counted for in-scope rows.
 * Calibration and non-original scorecards are counted apart: skipped by design, never missing.
 *
 * Presence in historic is decided two ways, both exact:
 * - IDs inside [lo, hi) (UUIDv7 IDs minted during the window, give or take the margin) are looked up in one
 *   ordered index-only range scan of historic over [lo, hi): the window's historic rows are contiguous there
 *   because v7 IDs sort by time. Any ID in [lo, hi) is present iff it is in that set, whatever its format.
 * - Every other ID (other UUID versions, or a v7 ID whose time strays) is probed through the index one by one.
 * On v7 data this is about three times cheaper than probing every scorecard; on other IDs it is the probe plan.
 */
export function windowCountsQuery(customer: string, profile: string, from: Date, to: Date): SqlQuery {
  const lo = uuidV7Prefix(new Date(from.getTime() - ID_RANGE_MARGIN_MS));
  const hi = uuidV7Prefix(new Date(to.getTime() + ID_RANGE_MARGIN_MS));
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

/** The earliest missing scorecard of a population inside one hour (the scan tells which hour). */
export function firstMissingQuery(customer: string, profile: string, hourStart: Date, submitted: boolean): SqlQuery {
  return {
    text: `
SELECT d.resource_id AS scorecard_id, d.created_at, d.submitted_at
FROM director.scorecards d
WHERE d.customer = $1 AND d.profile = $2 AND d.created_at >= $3 AND d.created_at < $3 + interval '1 hour'
  AND (d.submitted_at IS NOT NULL) = $4 AND ${IN_SCOPE} AND ${ABSENT_FROM_HISTORIC}
ORDER BY d.created_at, d.resource_id
LIMIT 1`,
    values: [customer, profile, hourStart, submitted],
  };
}

/** Templates of the missing scorecards in one hour (the investigation's Query 9, restricted to the missing). */
export function missingTemplatesQuery(customer: string, profile: string, hourStart: Date, submitted: boolean, limit = 10): SqlQuery {
  return {
    text: `
SELECT m.template_id, t.title, m.count::int AS count
FROM (
  SELECT d.template_id, count(*) AS count
  FROM director.scorecards d
  WHERE d.customer = $1 AND d.profile = $2 AND d.created_at >= $3 AND d.created_at < $3 + interval '1 hour'
    AND (d.submitted_at IS NOT NULL) = $4 AND ${IN_SCOPE} AND ${ABSENT_FROM_HISTORIC}
  GROUP BY d.template_id
) m
LEFT JOIN director.scorecard_templates t ON t.customer = $1 AND t.profile = $2 AND t.resource_id = m.template_id
ORDER BY m.count DESC, m.template_id
LIMIT $5`,
    values: [customer, profile, hourStart, submitted, limit],
  };
}

/** Missing IDs of one window, for the CSV export; windows keep memory flat. */
export function missingIdsQuery(customer: string, profile: string, from: Date, to: Date): SqlQuery {
  return {
    text: `
SELECT d.resource_id AS scorecard_id, d.created_at, d.submitted_at
FROM director.scorecards d
WHERE d.customer = $1 AND d.profile = $2 AND d.created_at >= $3 AND d.created_at < $4
  AND ${IN_SCOPE} AND ${ABSENT_FROM_HISTORIC}
ORDER BY d.created_at, d.resource_id`,
    values: [customer, profile, from, to],
  };
}

/** Scorecards of one day that are present in historic: the side compared with ClickHouse. */
export function presentIdsQuery(customer: string, profile: string, from: Date, to: Date): SqlQuery {
  return {
    text: `
SELECT d.resource_id AS scorecard_id, (d.submitted_at IS NOT NULL) AS submitted
FROM director.scorecards d
WHERE d.customer = $1 AND d.profile = $2 AND d.created_at >= $3 AND d.created_at < $4
  AND ${IN_SCOPE} AND NOT ${ABSENT_FROM_HISTORIC}`,
    values: [customer, profile, from, to],
  };
}
