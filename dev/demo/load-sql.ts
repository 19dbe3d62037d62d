import { conversationUuidSql, createdMsSql, md5, scoreCountSql, submittedMsSql, uuid7Sql } from './ids.js';
import type { NamedScorecard } from './named.js';
import type { Cohort } from './plan.js';
import { templateId } from './plan.js';

// SQL text and parameters for the loader. A chunk of the plan becomes a temp table of members (one row per
// scorecard, every attribute computed once), then four set-based INSERT ... SELECTs fan it out to the contract
// tables. OFFSET 0 keeps PostgreSQL from inlining the subqueries, which would recompute md5 per reference.

const CLS = { in_scope: 0, calibration: 1, non_original: 2 } as const;
const ts = (ms: string) => `(timestamptz 'epoch' + (${ms}) * interval '1 millisecond')`;

/** Parameters $1..$14: one array per cohort attribute. */
export function cohortParams(cohorts: Cohort[]): unknown[] {
  return [
    cohorts.map((c) => c.key),
    cohorts.map((c) => c.customer),
    cohorts.map((c) => CLS[c.cls]),
    cohorts.map((c) => c.hourMs),
    cohorts.map((c) => c.count),
    cohorts.map((c) => c.missing),
    cohorts.map((c) => c.delayDays),
    cohorts.map((c) => c.templateId),
    cohorts.map((c) => c.scoreMin),
    cohorts.map((c) => c.scoreMax),
    cohorts.map((c) => c.scoreSalt),
    cohorts.map((c) => c.ref?.key ?? null),
    cohorts.map((c) => c.ref?.hourMs ?? null),
    cohorts.map((c) => c.ref?.count ?? null),
  ];
}

const MEMBER_COLUMNS = `customer text, id text, conv_id text, template_id text, calibrated_id text, scorecard_type int,
  created_at timestamptz, submitted_at timestamptz, score_n int, hist_n int, chat boolean,
  conv_start timestamptz, conv_end timestamptz, hv int`;

/** One row per scorecard of the chunk; dropped at commit. */
export const CREATE_MEMBERS = `CREATE TEMP TABLE demo_m (${MEMBER_COLUMNS}) ON COMMIT DROP`;

export const INSERT_MEMBERS_FROM_COHORTS = `
INSERT INTO demo_m
SELECT customer, id, conv_id, template_id, calibrated_id, scorecard_type,
       ${ts('created_ms')} AS created_at,
       ${ts('submitted_ms')} AS submitted_at,
       score_n,
       CASE WHEN cls = 0 AND NOT missing THEN score_n ELSE 0 END AS hist_n,
       cls <> 1 AS chat,
       ${ts('created_ms - 60000 * (1 + hv % 180) - 1000 * (90 + (hv * 31) % 2700)')} AS conv_start,
       ${ts('created_ms - 60000 * (1 + hv % 180)')} AS conv_end,
       hv
FROM (
  SELECT t.*,
         ${uuid7Sql('t.created_ms', 't.h')} AS id,
         CASE WHEN t.cls = 1 THEN ${conversationUuidSql('t.rh')} ELSE ${conversationUuidSql('t.h')} END AS conv_id,
         CASE WHEN t.cls = 1 THEN ${uuid7Sql(createdMsSql('t.ref_hour_ms', 't.ref_n', 't.rj', 't.rh'), 't.rh')} END AS calibrated_id,
         CASE t.cls WHEN 0 THEN (CASE WHEN t.hv % 3 = 0 THEN 0 END) WHEN 2 THEN 1 + t.hv % 4 END AS scorecard_type,
         CASE WHEN t.delay IS NOT NULL THEN ${submittedMsSql('t.created_ms', 't.delay', 't.h')} END AS submitted_ms,
         ${scoreCountSql('t.smin', 't.smax', 't.salt', 't.i')} AS score_n
  FROM (
    SELECT g.*, ${createdMsSql('g.hour_ms', 'g.n', 'g.i', 'g.h')} AS created_ms, ('x' || substr(g.h, 29, 4))::bit(16)::int AS hv
    FROM (
      SELECT c.*, s.i, md5(c.key || '|' || s.i) AS h,
             ((s.i - 1) % c.ref_n) + 1 AS rj,
             CASE WHEN c.cls = 1 THEN md5(c.ref_key || '|' || (((s.i - 1) % c.ref_n) + 1)) END AS rh
      FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::int[], $6::boolean[], $7::int[], $8::text[],
                  $9::int[], $10::int[], $11::int[], $12::text[], $13::bigint[], $14::int[])
             AS c(key, customer, cls, hour_ms, n, missing, delay, template_id, smin, smax, salt, ref_key, ref_hour_ms, ref_n)
      CROSS JOIN LATERAL generate_series(1, c.n) AS s(i)
      OFFSET 0
    ) g
    OFFSET 0
  ) t
  OFFSET 0
) m
ORDER BY id`;

export function namedParams(named: NamedScorecard[]): unknown[] {
  return [
    named.map((n) => n.customer),
    named.map((n) => n.scorecardId),
    named.map((n) => n.conversationId),
    named.map((n) => templateId(n.customer, n.templateTitle)),
    named.map((n) => n.calibratedScorecardId),
    named.map((n) => n.scorecardType),
    named.map((n) => n.createdMs),
    named.map((n) => n.submittedMs),
    named.map((n) => n.scoreCount),
    named.map((n) => n.historicCount),
    // A calibration shares its calibrated scorecard's conversation; a missing conversation gets no chat row.
    named.map((n) => n.conversationExists && n.cls !== 'calibration'),
    named.map((n) => n.conversationStartedMs),
    named.map((n) => n.conversationEndedMs),
    named.map((n) => parseInt(md5(n.name).slice(0, 4), 16)),
  ];
}

export const INSERT_MEMBERS_FROM_NAMED = `
INSERT INTO demo_m
SELECT customer, id, conv_id, template_id, calibrated_id, scorecard_type, ${ts('created_ms')}, ${ts('submitted_ms')},
       score_n, hist_n, chat, ${ts('conv_start_ms')}, ${ts('conv_end_ms')}, hv
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[], $8::bigint[],
            $9::int[], $10::int[], $11::boolean[], $12::bigint[], $13::bigint[], $14::int[])
       AS n(customer, id, conv_id, template_id, calibrated_id, scorecard_type, created_ms, submitted_ms, score_n, hist_n,
            chat, conv_start_ms, conv_end_ms, hv)`;

/** $1 = profile id. */
export const INSERT_SCORECARDS = `
INSERT INTO director.scorecards (customer, profile, resource_id, conversation_id, template_id, calibrated_scorecard_id,
                                 scorecard_type, created_at, submitted_at, updated_at)
SELECT customer, $1, id, conv_id, template_id, calibrated_id, scorecard_type, created_at, submitted_at,
       coalesce(submitted_at, created_at)
FROM demo_m`;

export const INSERT_CHATS = `
INSERT INTO app.chats (customer_id, profile_id, conversation_id, started_at, ended_at)
SELECT customer, $1, conv_id, conv_start, conv_end FROM demo_m WHERE chat`;

// Criterion k of a template is the template id with k in its last 4 hex digits; score k of a scorecard is the
// scorecard id with k in 2 hex digits of its tail. Both stay UUID-shaped and unique without another md5.
const CRITERION = `left(m.template_id, 32) || lpad(to_hex(k), 4, '0')`;
const SCORE = `CASE WHEN (m.hv + k * 7) % 23 = 0 THEN NULL ELSE ((m.hv + k * 3) % 5) * 0.25 END::double precision`;

export const INSERT_SCORES = `
INSERT INTO director.scores (customer, profile, resource_id, scorecard_id, criterion_id, numeric_value, created_at)
SELECT m.customer, $1, left(m.id, 24) || lpad(to_hex(k), 2, '0') || right(m.id, 10), m.id, ${CRITERION}, ${SCORE},
       m.created_at
FROM demo_m m CROSS JOIN LATERAL generate_series(1, m.score_n) AS k`;

// The async historic write lands shortly after the create (or the submit).
const writtenAt = (m: string) => `coalesce(${m}submitted_at, ${m}created_at) + interval '1200 milliseconds'`;

export const INSERT_HISTORIC = `
INSERT INTO historic.scorecard_scores (customer_id, profile_id, scorecard_id, criterion_id, conversation_id, template_id,
                                       score, scorecard_created_at, scorecard_submitted_at, written_at)
SELECT m.customer, $1, m.id, ${CRITERION}, m.conv_id, m.template_id, ${SCORE}, m.created_at, m.submitted_at,
       ${writtenAt('m.')}
FROM demo_m m CROSS JOIN LATERAL generate_series(1, m.hist_n) AS k`;

const chTime = (col: string) => `coalesce(to_char((${col}) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'), '\\N')`;

/**
 * The chunk's historic rows as one ClickHouse TabSeparated text, built from the same members and the same
 * expressions as INSERT_HISTORIC (so ClickHouse mirrors historic exactly), leaving out the scorecards of `$2` (the
 * planted ClickHouse gap). Timestamps are formatted once per scorecard, not once per score.
 */
export const HISTORIC_AS_CLICKHOUSE_TSV = `
SELECT count(*)::int AS clickhouse, string_agg(m.head || ${CRITERION} || E'\\t' || coalesce((${SCORE})::text, '\\N') || m.tail, E'\\n') AS tsv
FROM (
  SELECT customer || E'\\t' || $1 || E'\\t' || id || E'\\t' AS head,
         E'\\t' || ${chTime('created_at')} || E'\\t' || ${chTime('submitted_at')} || E'\\t' || ${chTime(writtenAt(''))} AS tail,
         template_id, hv, hist_n
  FROM demo_m
  WHERE hist_n > 0 AND id <> ALL($2::text[])
  OFFSET 0
) m
CROSS JOIN LATERAL generate_series(1, m.hist_n) AS k`;

/** $1 customers, $2 profile, $3 from, $4 to: the rows a (re)load owns. */
const OWNED = `s.customer = ANY($1::text[]) AND s.profile = $2 AND s.created_at >= $3::timestamptz AND s.created_at < $4::timestamptz`;

export const EXISTING_ROWS = `SELECT count(*)::int AS n FROM (SELECT 1 FROM director.scorecards s WHERE ${OWNED} LIMIT 1) x`;

/** What each PostgreSQL tier holds of the plan's range ($1 customers, $2 profile, $3 from, $4 to). */
export const TIER_COUNTS = `SELECT
  (SELECT count(*) FROM director.scorecards s WHERE ${OWNED})::bigint AS scorecards,
  (SELECT count(*) FROM director.scores d JOIN director.scorecards s
     ON d.customer = s.customer AND d.profile = s.profile AND d.scorecard_id = s.resource_id WHERE ${OWNED})::bigint AS scores,
  (SELECT count(*) FROM historic.scorecard_scores
     WHERE customer_id = ANY($1::text[]) AND profile_id = $2 AND scorecard_created_at >= $3::timestamptz
       AND scorecard_created_at < $4::timestamptz)::bigint AS historic`;

export const DELETE_OWNED = [
  `DELETE FROM director.scores d USING director.scorecards s
   WHERE ${OWNED} AND d.customer = s.customer AND d.profile = s.profile AND d.scorecard_id = s.resource_id`,
  // Calibrations share the calibrated scorecard's conversation, which may lie outside the range.
  `DELETE FROM app.chats c USING director.scorecards s
   WHERE ${OWNED} AND s.calibrated_scorecard_id IS NULL
     AND c.customer_id = s.customer AND c.profile_id = s.profile AND c.conversation_id = s.conversation_id`,
  `DELETE FROM historic.scorecard_scores
   WHERE customer_id = ANY($1::text[]) AND profile_id = $2 AND scorecard_created_at >= $3::timestamptz
     AND scorecard_created_at < $4::timestamptz`,
  `DELETE FROM director.scorecards s WHERE ${OWNED}`,
];

/** $1 customers, $2 profile, $3 ids, $4 titles. */
export const UPSERT_TEMPLATES = `
INSERT INTO director.scorecard_templates (customer, profile, resource_id, title)
SELECT customer, $2, id, title FROM unnest($1::text[], $3::text[], $4::text[]) AS t(customer, id, title)
ON CONFLICT (customer, profile, resource_id) DO UPDATE SET title = EXCLUDED.title`;

export const CONTRACT_TABLES = ['director.scorecards', 'director.scores', 'director.scorecard_templates', 'historic.scorecard_scores', 'app.chats'] as const;
