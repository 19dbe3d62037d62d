import type { MigrationBuilder } from 'node-pg-migrate';

// The watchdog's watchdog: per audit, when it last completed (any worker) and whether its channel was told it
// stopped; per audit and customer, a failing customer audit the channel was told about. Each change of state is one
// claiming statement, so two processes never post the same notice twice.

export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.sql(`
CREATE TABLE IF NOT EXISTS scorecard_bot.watch_audit_health (
  audit text PRIMARY KEY,
  registered_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  stale_since timestamptz
);
CREATE TABLE IF NOT EXISTS scorecard_bot.watch_customer_failures (
  audit text NOT NULL,
  customer text NOT NULL,
  failed_since timestamptz NOT NULL DEFAULT now(),
  error text NOT NULL,
  PRIMARY KEY (audit, customer)
);
`);
}

export const down = false;
