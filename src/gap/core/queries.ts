// SQL for the gap engine. Pure text + parameter arrays; input only ever travels as bind parameters.
//
// Why this shape beats the investigation's queries: they built `SELECT DISTINCT scorecard_id FROM historic ...`
// over the customer's whole historic table for every query (and Query 3 used NOT IN, which Postgres cannot turn
// into an anti-join). Here each time window reads only its own scorecards through the (customer, profile,
// created_at) index and probes historic through its (customer_id, profile_id, scorecard_id) index, so the cost
// follows the scorecards in the window, not the size of historic. One pass per window yields every breakdown.

import { criteriaCovered, criteriaSet, someScoreLacksHistoric } from './contract-sql.js';

export interface SqlQuery {
  text: string;
  values: unknown[];
}

const IN_SCOPE = `d.calibrated_scorecard_id IS NULL AND (d.scorecard_type IS NULL OR d.scorecard_type = 0)`;
const ABSENT_FROM_HISTORIC = `NOT EXISTS (
      SELECT 1 FROM historic.scorecard_scores h
      WHERE h.customer_id = d.customer AND h.profile_id = d.profile AND h.scorecard_id = d.resource_id)`;

/**
 * Still in flight at the settle cutoff `param` (the run's start minus gap.settleMinutes): created or submitted since,
 * so its historic write may simply not have landed yet. Such scorecards are counted apart and never judged.
 */
const IN_FLIGHT = (param: string): string => `(d.created_at >= ${param} OR coalesce(d.submitted_at >= ${param}, false))`;

const HOUR_TEXT = (col: string): string => `to_char(${col}, 'YYYY-MM-DD"T"HH24":00:00.000Z"')`;

/** The 48-bit millisecond prefix a UUIDv7 carries, as the text its IDs start with ('019bcaf4-4b65'). */
export function uuidV7Prefix(at: Date): string {
  const hex = Math.max(0, Math.min(at.getTime(), 2 ** 48 - 1)).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}`;
}

/** How far an ID's embedded time may stray from created_at and still take the range path. */
export const ID_RANGE_MARGIN_MS = 3_600_000;

/** The ID range [lo, hi) whose historic rows and director scores one window reads in one range each. */
export function idRange(from: Date, to: Date): { lo: string; hi: string } {
  return { lo: uuidV7Prefix(new Date(from.getTime() - ID_RANGE_MARGIN_MS)), hi: uuidV7Prefix(new Date(to.getTime() + ID_RANGE_MARGIN_MS)) };
}

/**
 * CTEs over the ID range [lo, hi) (parameters `lo`, `hi`; customer $1, profile $2): per scorecard with rows there,
 * its historic criteria (hist_sets: present in historic) and its director criteria (score_sets), as sets
 * (contract-sql.ts criteriaSet). Each table is read in one ordered range of its (customer, profile, scorecard_id)
 * index and aggregated as it streams: UUIDv7 IDs sort by time, so a window's rows are contiguous there, and every
 * row of a scorecard whose ID is in the range is in it. No probe per scorecard or per score, and no index on
 * criterion_id needed (the contract has none).
 */
function rangeCtes(lo: string, hi: string): string {
  return `WITH hist_sets AS (
  SELECT h.scorecard_id, ${criteriaSet('h')} FROM historic.scorecard_scores h
  WHERE h.customer_id = $1 AND h.profile_id = $2 AND h.scorecard_id >= ${lo} AND h.scorecard_id < ${hi}
  GROUP BY h.scorecard_id
), score_sets AS (
  SELECT s.scorecard_id, ${criteriaSet('s')} FROM director.scores s
  WHERE s.customer = $1 AND s.profile = $2 AND s.scorecard_id >= ${lo} AND s.scorecard_id < ${hi}
  GROUP BY s.scorecard_id
)`;
}

/** The joins rangeCtes' sets need: p (historic) and sc (director scores) of scorecard d. */
const RANGE_JOINS = `LEFT JOIN hist_sets p ON p.scorecard_id = d.resource_id
    LEFT JOIN score_sets sc ON sc.scorecard_id = d.resource_id`;

/**
 * A scorecard's state as the report judges it: 'excluded' (calibration, non-original: never judged), 'in_flight'
 * (newer than the settle cutoff), 'missing' (no historic row at all), 'partial' (some historic rows, but a director
 * score without its row), or 'present'. IDs in [lo, hi) are decided by the range CTEs; every other ID (other UUID
 * versions, or a v7 ID whose time strays) is probed through the indexes, one scorecard at a time. Both are exact.
 */
function stateCase(lo: string, hi: string, settledBefore: string): string {
  return `CASE WHEN NOT (${IN_SCOPE}) THEN 'excluded'
            WHEN ${IN_FLIGHT(settledBefore)} THEN 'in_flight'
            WHEN d.resource_id >= ${lo} AND d.resource_id < ${hi} THEN
              CASE WHEN p.scorecard_id IS NULL THEN 'missing'
                   WHEN sc.scorecard_id IS NOT NULL AND NOT ${criteriaCovered('sc', 'p')} THEN 'partial' ELSE 'present' END
            WHEN ${ABSENT_FROM_HISTORIC} THEN 'missing'
            WHEN ${someScoreLacksHistoric('d')} THEN 'partial'
            ELSE 'present' END`;
}

/**
 * One window, one pass: counts per (created hour, submit date, class): total, missing, partial and in flight.
 * Calibration and non-original scorecards are counted apart: skipped by design, never missing. In-scope scorecards
 * newer than the settle cutoff ($7) are in_flight only: not in total, missing or partial.
 *
 * Presence in historic is decided as in stateCase: a range read of historic and director.scores over [lo, hi) for
 * v7 IDs minted during the window (give or take the margin), one probe per scorecard for every other ID.
 */
export function windowCountsQuery(customer: string, profile: string, from: Date, to: Date, settledBefore: Date): SqlQuery {
  const { lo, hi } = idRange(from, to);
  return {
    text: `
${rangeCtes('$5', '$6')}
SELECT ${HOUR_TEXT('g.hour')} AS hour, to_char(g.submitted_date, 'YYYY-MM-DD') AS submitted_date, g.cls,
       g.total::int AS total, g.missing::int AS missing, g.partial::int AS partial, g.in_flight::int AS in_flight
FROM (
  SELECT x.hour, x.submitted_date, x.cls,
         count(*) FILTER (WHERE x.state <> 'in_flight') AS total,
         count(*) FILTER (WHERE x.state = 'missing') AS missing,
         count(*) FILTER (WHERE x.state = 'partial') AS partial,
         count(*) FILTER (WHERE x.state = 'in_flight') AS in_flight
  FROM (
    SELECT date_trunc('hour', d.created_at AT TIME ZONE 'UTC') AS hour,
           (d.submitted_at AT TIME ZONE 'UTC')::date AS submitted_date,
           CASE WHEN d.calibrated_scorecard_id IS NOT NULL THEN 'calibration'
                WHEN d.scorecard_type IS NOT NULL AND d.scorecard_type <> 0 THEN 'non_original'
                ELSE 'in_scope' END AS cls,
           ${stateCase('$5', '$6', '$7')} AS state
    FROM director.scorecards d
    ${RANGE_JOINS}
    WHERE d.customer = $1 AND d.profile = $2 AND d.created_at >= $3 AND d.created_at < $4
    -- a fence: the state (and the probes in it) is computed once per scorecard, not once per count below
    OFFSET 0
  ) x
  GROUP BY 1, 2, 3
) g`,
    values: [customer, profile, from, to, lo, hi, settledBefore],
  };
}

/** The earliest missing scorecard of a population inside one hour (the scan tells which hour); in-flight ones are
 *  not missing. */
export function firstMissingQuery(customer: string, profile: string, hourStart: Date, submitted: boolean, settledBefore: Date): SqlQuery {
  return {
    text: `
SELECT d.resource_id AS scorecard_id, d.created_at, d.submitted_at
FROM director.scorecards d
WHERE d.customer = $1 AND d.profile = $2 AND d.created_at >= $3 AND d.created_at < $3 + interval '1 hour'
  AND (d.submitted_at IS NOT NULL) = $4 AND ${IN_SCOPE} AND NOT ${IN_FLIGHT('$5')} AND ${ABSENT_FROM_HISTORIC}
ORDER BY d.created_at, d.resource_id
LIMIT 1`,
    values: [customer, profile, hourStart, submitted, settledBefore],
  };
}

/** Templates of the missing scorecards in one hour (the investigation's Query 9, restricted to the missing). */
export function missingTemplatesQuery(customer: string, profile: string, hourStart: Date, submitted: boolean, settledBefore: Date, limit = 10): SqlQuery {
  return {
    text: `
SELECT m.template_id, t.title, m.count::int AS count
FROM (
  SELECT d.template_id, count(*) AS count
  FROM director.scorecards d
  WHERE d.customer = $1 AND d.profile = $2 AND d.created_at >= $3 AND d.created_at < $3 + interval '1 hour'
    AND (d.submitted_at IS NOT NULL) = $4 AND ${IN_SCOPE} AND NOT ${IN_FLIGHT('$6')} AND ${ABSENT_FROM_HISTORIC}
  GROUP BY d.template_id
) m
LEFT JOIN director.scorecard_templates t ON t.customer = $1 AND t.profile = $2 AND t.resource_id = m.template_id
ORDER BY m.count DESC, m.template_id
LIMIT $5`,
    values: [customer, profile, hourStart, submitted, limit, settledBefore],
  };
}

/**
 * The missing and partial scorecards of one window, for the CSV export (state 'missing' or 'partial', decided as
 * the window count decides it, in-flight ones left out); windows keep memory flat.
 */
export function missingIdsQuery(customer: string, profile: string, from: Date, to: Date, settledBefore: Date): SqlQuery {
  const { lo, hi } = idRange(from, to);
  return {
    text: `
${rangeCtes('$5', '$6')}
SELECT x.scorecard_id, x.created_at, x.submitted_at, x.state
FROM (
  SELECT d.resource_id AS scorecard_id, d.created_at, d.submitted_at, ${stateCase('$5', '$6', '$7')} AS state
  FROM director.scorecards d
  ${RANGE_JOINS}
  WHERE d.customer = $1 AND d.profile = $2 AND d.created_at >= $3 AND d.created_at < $4
  OFFSET 0
) x
WHERE x.state IN ('missing', 'partial')
ORDER BY x.created_at, x.scorecard_id`,
    values: [customer, profile, from, to, lo, hi, settledBefore],
  };
}

/**
 * Scorecards of one window that are present in historic (in-flight ones left out, as in the counts): the side
 * compared with ClickHouse. `settling`: newer than ClickHouse's own settle cutoff ($6), whose pipeline lags more.
 */
export function presentIdsQuery(customer: string, profile: string, from: Date, to: Date, settledBefore: Date, clickhouseSettledBefore: Date): SqlQuery {
  return {
    text: `
SELECT d.resource_id AS scorecard_id, (d.submitted_at IS NOT NULL) AS submitted, ${IN_FLIGHT('$6')} AS settling
FROM director.scorecards d
WHERE d.customer = $1 AND d.profile = $2 AND d.created_at >= $3 AND d.created_at < $4
  AND ${IN_SCOPE} AND NOT ${IN_FLIGHT('$5')} AND NOT ${ABSENT_FROM_HISTORIC}`,
    values: [customer, profile, from, to, settledBefore, clickhouseSettledBefore],
  };
}

/**
 * Does the customer have any scorecard in [from, to)? One probe of the (customer, profile, created_at) index, so a
 * customer without data costs one query instead of a scan of every day window (hundreds in a fleet).
 */
export function anyScorecardsQuery(customer: string, profile: string, from: Date, to: Date): SqlQuery {
  return {
    text: `SELECT EXISTS (SELECT 1 FROM director.scorecards d WHERE d.customer = $1 AND d.profile = $2 AND d.created_at >= $3 AND d.created_at < $4) AS any`,
    values: [customer, profile, from, to],
  };
}
