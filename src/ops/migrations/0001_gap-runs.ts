import type { MigrationBuilder } from 'node-pg-migrate';

// Migration 1 is the table the old idempotent DDL created. IF NOT EXISTS adopts an ops database created before
// migrations existed: its gap_runs is already there and must be kept as it is.

export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.sql(`
CREATE SCHEMA IF NOT EXISTS scorecard_bot;
CREATE TABLE IF NOT EXISTS scorecard_bot.gap_runs (
  run_id text PRIMARY KEY,
  customer text NOT NULL,
  period_label text NOT NULL,
  period_from timestamptz NOT NULL,
  period_to timestamptz NOT NULL,
  requested_by text NOT NULL,
  channel text NOT NULL,
  root_ts text NOT NULL,
  status text NOT NULL CHECK (status IN ('queued', 'done', 'failed')),
  verdict text,
  summary jsonb,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX IF NOT EXISTS gap_runs_customer_created_idx ON scorecard_bot.gap_runs (customer, created_at DESC);
`);
}

export const down = false;
