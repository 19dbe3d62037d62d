import type { MigrationBuilder } from 'node-pg-migrate';

// The watchdog's memory: one row per alert (its fingerprint, where it was announced, what it last told), and the
// last audit of each customer (for the App Home board and the metrics after a restart).

export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.sql(`
CREATE TABLE scorecard_bot.watch_alerts (
  id bigserial PRIMARY KEY,
  audit text NOT NULL,
  fingerprint text NOT NULL,
  customer text NOT NULL,
  profile text NOT NULL,
  population text NOT NULL,
  kind text NOT NULL,
  start_at text NOT NULL,
  channel text NOT NULL,
  status text NOT NULL CHECK (status IN ('open', 'resolved')),
  sentence text NOT NULL,
  missing integer NOT NULL,
  total integer NOT NULL,
  -- What the channel was last told (the announcement or the last follow-up): a follow-up needs twice this count
  -- or a higher rate level.
  told_missing integer NOT NULL,
  told_level integer NOT NULL,
  thread_ts text,
  summary_ts text,
  opened_at timestamptz NOT NULL DEFAULT now(),
  announced_at timestamptz,
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz
);
-- The same problem is open at most once per audit: the insert that wins announces it.
CREATE UNIQUE INDEX watch_alerts_open_idx ON scorecard_bot.watch_alerts (audit, fingerprint) WHERE status = 'open';
CREATE INDEX watch_alerts_channel_announced_idx ON scorecard_bot.watch_alerts (channel, announced_at);

CREATE TABLE scorecard_bot.watch_audits (
  audit text NOT NULL,
  customer text NOT NULL,
  profile text NOT NULL,
  finished_at timestamptz NOT NULL,
  duration_ms integer NOT NULL,
  period_label text NOT NULL,
  verdict text,
  populations jsonb,
  error text,
  PRIMARY KEY (audit, customer)
);
`);
}

export const down = false;
