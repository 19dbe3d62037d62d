import type { MigrationBuilder } from 'node-pg-migrate';

// One alert per problem: a row is now one (audit, customer, population) problem, its findings (kinds) inside it,
// and it must be confirmed before it is posted.
// - status 'pending': seen, not yet worth a post (fewer than watch[].minMissing missing, or seen in fewer than
//   watch[].confirmAudits consecutive audits); seen_count counts those audits. A pending row whose condition
//   disappears is deleted, never told.
// - findings: what the last audit found, one entry per kind ({kind, start, missing, total, rate, sentence}).
// - level: the rate level of the last audit's lead finding; told_kinds: the kinds the channel has been told about.
// Alerts open before this migration are merged: the oldest open row of each (audit, customer, population) keeps its
// thread and takes the new fingerprint; the others are closed without a post (their problem lives on in it).

export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.sql(`
ALTER TABLE scorecard_bot.watch_alerts DROP CONSTRAINT IF EXISTS watch_alerts_status_check;
ALTER TABLE scorecard_bot.watch_alerts ADD CONSTRAINT watch_alerts_status_check CHECK (status IN ('pending', 'open', 'resolved'));
ALTER TABLE scorecard_bot.watch_alerts
  ADD COLUMN seen_count integer NOT NULL DEFAULT 1,
  ADD COLUMN level integer NOT NULL DEFAULT 0,
  ADD COLUMN findings jsonb NOT NULL DEFAULT '[]'::jsonb,
  ADD COLUMN told_kinds text[] NOT NULL DEFAULT '{}',
  ADD COLUMN confirmed_at timestamptz;

WITH ranked AS (
  SELECT id, row_number() OVER (PARTITION BY audit, customer, population ORDER BY opened_at, id) AS n,
         array_agg(kind) OVER (PARTITION BY audit, customer, population) AS kinds
  FROM scorecard_bot.watch_alerts WHERE status = 'open'
)
UPDATE scorecard_bot.watch_alerts w
SET status = CASE WHEN r.n = 1 THEN 'open' ELSE 'resolved' END,
    resolved_at = CASE WHEN r.n = 1 THEN NULL ELSE now() END,
    fingerprint = CASE WHEN r.n = 1 THEN w.customer || '|' || w.population ELSE w.fingerprint END,
    told_kinds = r.kinds,
    level = w.told_level,
    confirmed_at = w.opened_at
FROM ranked r WHERE w.id = r.id;

DROP INDEX IF EXISTS scorecard_bot.watch_alerts_open_idx;
-- One live row (pending or open) per problem and audit: the insert that wins owns it.
CREATE UNIQUE INDEX watch_alerts_live_idx ON scorecard_bot.watch_alerts (audit, fingerprint) WHERE status IN ('pending', 'open');
`);
}

export const down = false;
