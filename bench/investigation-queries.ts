// The investigation's own queries (../shared/incident-report.md, Queries 1, 2, 3, 7 and 8), as written, with the
// placeholders filled in. Only NOW() is pinned to the end of the period, so "the last 6 months" means the same
// months on the demo data as it did during the incident.

export interface InvestigationQuery {
  name: string;
  sql: string;
}

export function investigationQueries(customer: string, profile: string, now: string): InvestigationQuery[] {
  const fill = (sql: string): string => sql.replaceAll("'CUSTOMER'", `'${customer}'`).replaceAll("'PROFILE'", `'${profile}'`).replaceAll('NOW()', `'${now}'::timestamptz`);
  return [
    {
      name: 'Query 1: monthly, submitted, 6 months',
      sql: fill(`SELECT
  DATE_TRUNC('month', d.created_at)::date as month,
  COUNT(*) as total_submitted,
  COUNT(*) FILTER (WHERE h.scorecard_id IS NULL) as missing,
  ROUND(100.0 * COUNT(*) FILTER (WHERE h.scorecard_id IS NULL) / COUNT(*), 1) as pct_missing
FROM director.scorecards d
LEFT JOIN (SELECT DISTINCT scorecard_id FROM historic.scorecard_scores
           WHERE customer_id = 'CUSTOMER' AND profile_id = 'PROFILE') h
  ON d.resource_id = h.scorecard_id
WHERE d.customer = 'CUSTOMER' AND d.profile = 'PROFILE'
  AND d.submitted_at IS NOT NULL
  AND d.calibrated_scorecard_id IS NULL
  AND (d.scorecard_type IS NULL OR d.scorecard_type = 0)
  AND d.created_at > NOW() - INTERVAL '6 months'
GROUP BY DATE_TRUNC('month', d.created_at)
ORDER BY month DESC`),
    },
    {
      name: 'Query 2: daily, submitted, Dec 15 - Jan 15',
      sql: fill(`SELECT
  DATE(d.created_at) as date,
  COUNT(*) as total,
  COUNT(*) FILTER (WHERE h.scorecard_id IS NULL) as missing
FROM director.scorecards d
LEFT JOIN (SELECT DISTINCT scorecard_id FROM historic.scorecard_scores
           WHERE customer_id = 'CUSTOMER' AND profile_id = 'PROFILE') h
  ON d.resource_id = h.scorecard_id
WHERE d.customer = 'CUSTOMER' AND d.profile = 'PROFILE'
  AND d.submitted_at IS NOT NULL
  AND d.calibrated_scorecard_id IS NULL
  AND (d.scorecard_type IS NULL OR d.scorecard_type = 0)
  AND d.created_at BETWEEN '2025-12-15' AND '2026-01-15'
GROUP BY DATE(d.created_at)
ORDER BY date`),
    },
    {
      name: 'Query 3: first missing (NOT IN)',
      sql: fill(`SELECT MIN(created_at) as first_missing_created
FROM director.scorecards
WHERE customer = 'CUSTOMER' AND profile = 'PROFILE'
  AND submitted_at IS NOT NULL
  AND calibrated_scorecard_id IS NULL
  AND (scorecard_type IS NULL OR scorecard_type = 0)
  AND resource_id NOT IN (
    SELECT DISTINCT scorecard_id FROM historic.scorecard_scores
    WHERE customer_id = 'CUSTOMER' AND profile_id = 'PROFILE'
  )`),
    },
    {
      name: 'Query 7: monthly, unsubmitted, 6 months',
      sql: fill(`SELECT
  DATE_TRUNC('month', d.created_at)::date as month,
  COUNT(*) as total_unsubmitted,
  COUNT(*) FILTER (WHERE h.scorecard_id IS NULL) as missing,
  ROUND(100.0 * COUNT(*) FILTER (WHERE h.scorecard_id IS NULL) / COUNT(*), 1) as pct_missing
FROM director.scorecards d
LEFT JOIN (SELECT DISTINCT scorecard_id FROM historic.scorecard_scores
           WHERE customer_id = 'CUSTOMER' AND profile_id = 'PROFILE') h
  ON d.resource_id = h.scorecard_id
WHERE d.customer = 'CUSTOMER' AND d.profile = 'PROFILE'
  AND d.submitted_at IS NULL
  AND d.calibrated_scorecard_id IS NULL
  AND (d.scorecard_type IS NULL OR d.scorecard_type = 0)
  AND d.created_at > NOW() - INTERVAL '6 months'
GROUP BY DATE_TRUNC('month', d.created_at)
ORDER BY month DESC`),
    },
    {
      name: 'Query 8: hourly, unsubmitted, Jan 23',
      sql: fill(`SELECT
  DATE_TRUNC('hour', d.created_at) as hour,
  COUNT(*) as total,
  COUNT(*) FILTER (WHERE h.scorecard_id IS NULL) as missing
FROM director.scorecards d
LEFT JOIN (SELECT DISTINCT scorecard_id FROM historic.scorecard_scores
           WHERE customer_id = 'CUSTOMER' AND profile_id = 'PROFILE') h
  ON d.resource_id = h.scorecard_id
WHERE d.customer = 'CUSTOMER' AND d.profile = 'PROFILE'
  AND d.submitted_at IS NULL
  AND d.calibrated_scorecard_id IS NULL
  AND (d.scorecard_type IS NULL OR d.scorecard_type = 0)
  AND d.created_at BETWEEN '2026-01-23 00:00:00' AND '2026-01-24 00:00:00'
GROUP BY DATE_TRUNC('hour', d.created_at)
ORDER BY hour`),
    },
  ];
}

/** The floor: one index-driven pass over the same range, counting the missing of both populations. */
export function floorQuery(customer: string, profile: string, from: string, to: string): { text: string; values: unknown[] } {
  return {
    text: `SELECT count(*)::bigint AS total,
       count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM historic.scorecard_scores h
         WHERE h.customer_id = d.customer AND h.profile_id = d.profile AND h.scorecard_id = d.resource_id))::bigint AS missing
FROM director.scorecards d
WHERE d.customer = $1 AND d.profile = $2 AND d.created_at >= $3 AND d.created_at < $4
  AND d.calibrated_scorecard_id IS NULL AND (d.scorecard_type IS NULL OR d.scorecard_type = 0)`,
    values: [customer, profile, from, to],
  };
}
