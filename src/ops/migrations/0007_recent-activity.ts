import type { MigrationBuilder } from 'node-pg-migrate';

// The App Home's recent activity reads the newest gap runs and backfill requests, overall (which channels were
// active) and per channel (the viewer's): both by created_at, newest first, without sorting the whole history.

export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.sql(`
CREATE INDEX IF NOT EXISTS gap_runs_created_idx ON scorecard_bot.gap_runs (created_at DESC);
CREATE INDEX IF NOT EXISTS gap_runs_channel_created_idx ON scorecard_bot.gap_runs (channel, created_at DESC);
CREATE INDEX IF NOT EXISTS backfill_requests_created_idx ON scorecard_bot.backfill_requests (created_at DESC);
CREATE INDEX IF NOT EXISTS backfill_requests_channel_created_idx ON scorecard_bot.backfill_requests (channel, created_at DESC);
`);
}

export const down = false;
