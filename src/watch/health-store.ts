import type pg from 'pg';
import type { AuditHealthRow } from './staleness.js';

// The watchdog's own state in the ops database (migration 0009_watch-health): audit completions, the stale notice
// and failing customers. The claim methods return true to exactly one caller, which then posts the notice.

const H = 'scorecard_bot.watch_audit_health';
const F = 'scorecard_bot.watch_customer_failures';

export class WatchHealthStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Starts the clock of audits never seen before (an audit that never completes becomes stale too). */
  async register(audits: readonly string[]): Promise<void> {
    if (audits.length === 0) return;
    await this.pool.query(`INSERT INTO ${H} (audit) SELECT unnest($1::text[]) ON CONFLICT (audit) DO NOTHING`, [audits]);
  }

  async completed(audit: string, at: Date): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${H} (audit, finished_at) VALUES ($1, $2) ON CONFLICT (audit) DO UPDATE SET finished_at = GREATEST(${H}.finished_at, EXCLUDED.finished_at)`,
      [audit, at],
    );
  }

  async rows(): Promise<AuditHealthRow[]> {
    const { rows } = await this.pool.query(`SELECT audit, registered_at, finished_at, stale_since FROM ${H}`);
    return (rows as Record<string, unknown>[]).map((r) => ({
      audit: String(r.audit),
      registeredAt: r.registered_at as Date,
      finishedAt: (r.finished_at as Date | null) ?? null,
      staleSince: (r.stale_since as Date | null) ?? null,
    }));
  }

  /** True for the one caller that marks the audit stale. */
  async claimStale(audit: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`UPDATE ${H} SET stale_since = now() WHERE audit = $1 AND stale_since IS NULL`, [audit]);
    return (rowCount ?? 0) > 0;
  }

  /** True for the one caller that clears the stale mark. */
  async claimRunningAgain(audit: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`UPDATE ${H} SET stale_since = NULL WHERE audit = $1 AND stale_since IS NOT NULL`, [audit]);
    return (rowCount ?? 0) > 0;
  }

  /** Gives a claim back when its message could not be posted (the next look tries again). */
  async unclaimStale(audit: string, stale: boolean): Promise<void> {
    await this.pool.query(`UPDATE ${H} SET stale_since = ${stale ? 'NULL' : 'now()'} WHERE audit = $1`, [audit]);
  }

  /** True for the one caller that records the customer's audit as failing (it was not failing before). */
  async claimFailure(audit: string, customer: string, error: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`INSERT INTO ${F} (audit, customer, error) VALUES ($1, $2, $3) ON CONFLICT (audit, customer) DO NOTHING`, [audit, customer, error]);
    return (rowCount ?? 0) > 0;
  }

  /** True for the one caller that clears a failing customer audit. */
  async claimRecovery(audit: string, customer: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`DELETE FROM ${F} WHERE audit = $1 AND customer = $2`, [audit, customer]);
    return (rowCount ?? 0) > 0;
  }

  async unclaimFailure(audit: string, customer: string): Promise<void> {
    await this.pool.query(`DELETE FROM ${F} WHERE audit = $1 AND customer = $2`, [audit, customer]);
  }
}
