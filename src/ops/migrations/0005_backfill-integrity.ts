import type { MigrationBuilder } from 'node-pg-migrate';

// Backfill integrity (issue 18):
// - each planned scorecard keeps the digest of what the approval covers (its director scores, template,
//   conversation, submit time); a chunk writes only scorecards whose digest still matches, and marks the others;
// - `lost`: a request whose planner stopped (its heartbeat is older than the reconciler's grace);
// - the planner's heartbeat, the report whose button asked for the backfill (to edit it after a repair), and the
//   writer host a credential command resolved to at the job's first start.

export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.sql(`
ALTER TABLE scorecard_bot.backfill_items ADD COLUMN digest text;
-- 'changed': its digest no longer matched when its chunk ran, so it was left alone.
ALTER TABLE scorecard_bot.backfill_items ADD COLUMN outcome text CHECK (outcome IN ('changed'));

ALTER TABLE scorecard_bot.backfill_requests DROP CONSTRAINT backfill_requests_status_check;
ALTER TABLE scorecard_bot.backfill_requests ADD CONSTRAINT backfill_requests_status_check
  CHECK (status IN ('planning', 'pending', 'approved', 'denied', 'cancelled', 'expired',
                    'running', 'cancelling', 'done', 'done_with_remainder', 'failed', 'lost'));
ALTER TABLE scorecard_bot.backfill_requests ADD COLUMN heartbeat_at timestamptz;
ALTER TABLE scorecard_bot.backfill_requests ADD COLUMN source_run_id text;
-- A credential-command writer is bound by its command at approval; the host it resolved to at the job's first
-- start is pinned here, so a resumed job that resolves elsewhere refuses to continue.
ALTER TABLE scorecard_bot.backfill_requests ADD COLUMN writer_pinned jsonb;
CREATE INDEX backfill_requests_open_idx ON scorecard_bot.backfill_requests (status)
  WHERE status IN ('planning', 'approved', 'running', 'cancelling');
`);
}

export const down = false;
