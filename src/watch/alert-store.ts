import type pg from 'pg';
import type { Population } from '../gap/core/report.js';
import type { AlertCondition } from './alert-rules.js';
import { rateLevel } from './alert-rules.js';
import type { AlertKind } from './fingerprint.js';

// Alerts and last audits in the ops database (migration 0003_watch-alerts). Every state change is one statement,
// so two processes never announce, follow up or resolve the same alert twice.

export interface StoredAlert {
  id: string;
  audit: string;
  fingerprint: string;
  customer: string;
  profile: string;
  population: Population;
  kind: AlertKind;
  start: string;
  channel: string;
  status: 'open' | 'resolved';
  sentence: string;
  missing: number;
  total: number;
  toldMissing: number;
  toldLevel: number;
  threadTs: string | null;
  summaryTs: string | null;
  openedAt: string;
  announcedAt: string | null;
  lastSeenAt: string;
}

export interface AuditRecord {
  audit: string;
  customer: string;
  profile: string;
  finishedAt: Date;
  durationMs: number;
  periodLabel: string;
  verdict: string | null;
  populations: Record<string, { total: number; missing: number; clickhouseMissing: number | null; partial?: number; inFlight?: number }> | null;
  error: string | null;
}

const T = 'scorecard_bot.watch_alerts';

function rowOf(r: Record<string, unknown>): StoredAlert {
  const iso = (v: unknown): string | null => (v instanceof Date ? v.toISOString() : null);
  return {
    id: String(r.id),
    audit: String(r.audit),
    fingerprint: String(r.fingerprint),
    customer: String(r.customer),
    profile: String(r.profile),
    population: r.population as Population,
    kind: r.kind as AlertKind,
    start: String(r.start_at),
    channel: String(r.channel),
    status: r.status as 'open' | 'resolved',
    sentence: String(r.sentence),
    missing: Number(r.missing),
    total: Number(r.total),
    toldMissing: Number(r.told_missing),
    toldLevel: Number(r.told_level),
    threadTs: (r.thread_ts as string | null) ?? null,
    summaryTs: (r.summary_ts as string | null) ?? null,
    openedAt: iso(r.opened_at) ?? '',
    announcedAt: iso(r.announced_at),
    lastSeenAt: iso(r.last_seen_at) ?? '',
  };
}

export class AlertStore {
  constructor(private readonly pool: pg.Pool) {}

  async openAlerts(audit: string, customer?: string): Promise<StoredAlert[]> {
    const { rows } = await this.pool.query(
      `SELECT * FROM ${T} WHERE audit = $1 AND status = 'open' AND ($2::text IS NULL OR customer = $2) ORDER BY id`,
      [audit, customer ?? null],
    );
    return rows.map(rowOf);
  }

  /** Every open alert (App Home), newest first. */
  async allOpen(limit = 200): Promise<StoredAlert[]> {
    const { rows } = await this.pool.query(`SELECT * FROM ${T} WHERE status = 'open' ORDER BY opened_at DESC LIMIT $1`, [limit]);
    return rows.map(rowOf);
  }

  /** Opens an alert; null when the same fingerprint is already open for this audit (someone else has it). */
  async open(audit: string, channel: string, c: AlertCondition): Promise<StoredAlert | null> {
    const { rows } = await this.pool.query(
      `INSERT INTO ${T} (audit, fingerprint, customer, profile, population, kind, start_at, channel, status, sentence, missing, total, told_missing, told_level)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10, $11, $10, $12)
       ON CONFLICT (audit, fingerprint) WHERE status = 'open' DO NOTHING RETURNING *`,
      [audit, c.fingerprint, c.customer, c.profile, c.population, c.kind, c.start, channel, c.sentence, c.missing, c.total, rateLevel(c.rate)],
    );
    return rows[0] ? rowOf(rows[0] as Record<string, unknown>) : null;
  }

  async seen(id: string, c: Pick<AlertCondition, 'missing' | 'total' | 'sentence'>): Promise<void> {
    await this.pool.query(`UPDATE ${T} SET missing = $2, total = $3, sentence = $4, last_seen_at = now() WHERE id = $1`, [id, c.missing, c.total, c.sentence]);
  }

  /** Claims the announcement; false when it was announced already. */
  async claimAnnouncement(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`UPDATE ${T} SET announced_at = now() WHERE id = $1 AND announced_at IS NULL AND status = 'open'`, [id]);
    return (rowCount ?? 0) > 0;
  }

  /** Gives a claimed announcement back (its post failed): the next audit announces it. */
  async unclaimAnnouncement(id: string): Promise<void> {
    await this.pool.query(`UPDATE ${T} SET announced_at = NULL WHERE id = $1 AND thread_ts IS NULL AND summary_ts IS NULL`, [id]);
  }

  async setThread(id: string, threadTs: string): Promise<void> {
    await this.pool.query(`UPDATE ${T} SET thread_ts = $2 WHERE id = $1`, [id, threadTs]);
  }

  async setSummary(id: string, summaryTs: string): Promise<void> {
    await this.pool.query(`UPDATE ${T} SET summary_ts = $2 WHERE id = $1`, [id, summaryTs]);
  }

  /** Records a follow-up as told, only if nobody told a worse one since; false if it was already told. */
  async told(id: string, missing: number, level: number, was: { missing: number; level: number }): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE ${T} SET told_missing = $2, told_level = $3 WHERE id = $1 AND told_missing = $4 AND told_level = $5`,
      [id, missing, level, was.missing, was.level],
    );
    return (rowCount ?? 0) > 0;
  }

  /** Resolves an open alert; false when it was resolved already. */
  async resolve(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`UPDATE ${T} SET status = 'resolved', resolved_at = now() WHERE id = $1 AND status = 'open'`, [id]);
    return (rowCount ?? 0) > 0;
  }

  /** Alerts announced in a channel since `since` (alone or in a summary): the rate limit's count. */
  async announcedSince(channel: string, since: Date): Promise<number> {
    const { rows } = await this.pool.query(`SELECT count(*)::int AS n FROM ${T} WHERE channel = $1 AND announced_at >= $2 AND thread_ts IS NOT NULL`, [channel, since]);
    return Number((rows[0] as { n: number }).n);
  }

  async recordAudit(a: AuditRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO scorecard_bot.watch_audits (audit, customer, profile, finished_at, duration_ms, period_label, verdict, populations, error)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (audit, customer) DO UPDATE SET profile = EXCLUDED.profile, finished_at = EXCLUDED.finished_at, duration_ms = EXCLUDED.duration_ms,
         period_label = EXCLUDED.period_label, verdict = EXCLUDED.verdict,
         populations = COALESCE(EXCLUDED.populations, scorecard_bot.watch_audits.populations), error = EXCLUDED.error`,
      [a.audit, a.customer, a.profile, a.finishedAt, a.durationMs, a.periodLabel, a.verdict, a.populations === null ? null : JSON.stringify(a.populations), a.error],
    );
  }

  async lastAudits(): Promise<AuditRecord[]> {
    const { rows } = await this.pool.query(`SELECT * FROM scorecard_bot.watch_audits ORDER BY customer, audit`);
    return (rows as Record<string, unknown>[]).map((r) => ({
      audit: String(r.audit),
      customer: String(r.customer),
      profile: String(r.profile),
      finishedAt: r.finished_at as Date,
      durationMs: Number(r.duration_ms),
      periodLabel: String(r.period_label),
      verdict: (r.verdict as string | null) ?? null,
      populations: (r.populations as AuditRecord['populations']) ?? null,
      error: (r.error as string | null) ?? null,
    }));
  }
}

/** Backfill requests not settled yet (waiting for approval, approved, running), per customer: for the App Home. */
export async function pendingBackfills(pool: pg.Pool): Promise<Record<string, number>> {
  const { rows } = await pool.query(
    `SELECT customer, count(*)::int AS n FROM scorecard_bot.backfill_requests WHERE status IN ('pending', 'approved', 'running') GROUP BY customer`,
  );
  return Object.fromEntries((rows as { customer: string; n: number }[]).map((r) => [r.customer, r.n]));
}
