import type { MigrationBuilder } from 'node-pg-migrate';

// On-call on an alert: who acknowledged it and when (an acknowledged alert is never escalated), a snooze (until a
// time, or until the alert resolves; follow-ups wait for its end, a resolution does not), and when it was escalated
// (once). Each is set by one conditional UPDATE, so two processes never record the same click or escalation twice.

export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.sql(`
ALTER TABLE scorecard_bot.watch_alerts
  ADD COLUMN acked_by text,
  ADD COLUMN acked_at timestamptz,
  ADD COLUMN snoozed_by text,
  ADD COLUMN snoozed_at timestamptz,
  ADD COLUMN snoozed_until timestamptz,
  ADD COLUMN snoozed_until_resolved boolean NOT NULL DEFAULT false,
  ADD COLUMN escalated_at timestamptz;
`);
}

export const down = false;
