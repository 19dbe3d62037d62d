import type { MigrationBuilder } from 'node-pg-migrate';

// Silences for planned work and the daily digest.
// - watch_silences: one row per `/scorecard-gap silence` (who, where, customer or 'all', from/to, reason);
//   `unsilence` sets ended_at. Silences from the config file are not stored: they are read from the config.
// - watch_alerts.silenced_at: set while a silence held the alert's posts; cleared (in one statement, so one process
//   wins) by the message that says the silence ended and the problem is still open.
// - watch_digests: one row per audit and UTC day, claimed before the digest is posted, so a retried job or a second
//   worker never posts it twice.

export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.sql(`
CREATE TABLE scorecard_bot.watch_silences (
  id bigserial PRIMARY KEY,
  customer text NOT NULL,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  reason text NOT NULL,
  created_by text NOT NULL,
  channel text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  ended_at timestamptz,
  ended_by text,
  CHECK (starts_at < ends_at)
);
CREATE INDEX watch_silences_active_idx ON scorecard_bot.watch_silences (ends_at) WHERE ended_at IS NULL;

ALTER TABLE scorecard_bot.watch_alerts ADD COLUMN silenced_at timestamptz;

CREATE TABLE scorecard_bot.watch_digests (
  audit text NOT NULL,
  day date NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now(),
  posted_ts text,
  PRIMARY KEY (audit, day)
);
`);
}

export const down = false;
