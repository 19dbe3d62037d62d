import type pg from 'pg';
import type { Population } from '../gap/core/report.js';
import { z } from 'zod';
import { rateLevel } from './alert-rules.js';
import type { AlertKind } from './fingerprint.js';
import { problemFindingSchema, type AlertProblem, type ProblemFinding } from './problems.js';

// Alerts and last audits in the ops database (migrations 0003_watch-alerts, 0008_watch-problems). One row per
// problem: (audit, customer, population), its findings inside. Its life: 'pending' (seen, not yet confirmed: no
// post; deleted if it disappears), 'open' (confirmed; announced alone or in a summary unless quiet hours hold it),
// 'resolved'. It records what the channel was told (told_missing, told_level, told_kinds) and its thread
// (thread_ts; for a summarised alert, the summary's ts, also in summary_ts). Every state change is one statement,
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
  status: 'pending' | 'open' | 'resolved';
  /** The lead finding's sentence, count and rate level (see problems.ts). */
  sentence: string;
  missing: number;
  total: number;
  level: number;
  /** What the last audit found, one entry per finding. */
  findings: ProblemFinding[];
  /** Consecutive audits that saw it (counts up while pending; confirmation needs watch[].confirmAudits). */
  seenCount: number;
  /** What the channel was last told: the announcement or the last follow-up. */
  toldMissing: number;
  toldLevel: number;
  toldKinds: string[];
  /** Its thread: the alert's own message, or the summary it was announced in. */
  threadTs: string | null;
  /** Set when it was announced in the summary of the alerts over the hourly allowance. */
  summaryTs: string | null;
  openedAt: string;
  confirmedAt: string | null;
  announcedAt: string | null;
  lastSeenAt: string;
  /** On-call (migration 0010): who acknowledged it and when; a snooze (until a time, or until resolved); escalated. */
  ackedBy: string | null;
  ackedAt: string | null;
  snoozedBy: string | null;
  snoozedUntil: string | null;
  snoozedUntilResolved: boolean;
  escalatedAt: string | null;
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
const findingsSchema = z.array(problemFindingSchema);

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
    status: r.status as StoredAlert['status'],
    sentence: String(r.sentence),
    missing: Number(r.missing),
    total: Number(r.total),
    level: Number(r.level),
    findings: findingsSchema.parse(r.findings ?? []),
    seenCount: Number(r.seen_count),
    toldMissing: Number(r.told_missing),
    toldLevel: Number(r.told_level),
    toldKinds: (r.told_kinds as string[] | null) ?? [],
    threadTs: (r.thread_ts as string | null) ?? null,
    summaryTs: (r.summary_ts as string | null) ?? null,
    openedAt: iso(r.opened_at) ?? '',
    confirmedAt: iso(r.confirmed_at),
    announcedAt: iso(r.announced_at),
    lastSeenAt: iso(r.last_seen_at) ?? '',
    ackedBy: (r.acked_by as string | null) ?? null,
    ackedAt: iso(r.acked_at),
    snoozedBy: (r.snoozed_by as string | null) ?? null,
    snoozedUntil: iso(r.snoozed_until),
    snoozedUntilResolved: r.snoozed_until_resolved === true,
    escalatedAt: iso(r.escalated_at),
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

  /** Pending and open alerts: the problems an audit of this customer continues. */
  async liveAlerts(audit: string, customer: string): Promise<StoredAlert[]> {
    const { rows } = await this.pool.query(`SELECT * FROM ${T} WHERE audit = $1 AND customer = $2 AND status IN ('pending', 'open') ORDER BY id`, [audit, customer]);
    return rows.map(rowOf);
  }

  /** Records a problem seen for the first time, pending; null when another process has it already. */
  async open(audit: string, channel: string, p: AlertProblem): Promise<StoredAlert | null> {
    const { rows } = await this.pool.query(
      `INSERT INTO ${T} (audit, fingerprint, customer, profile, population, kind, start_at, channel, status, sentence, missing, total, level, findings, told_missing, told_level)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10, $11, $12, $13, 0, 0)
       ON CONFLICT (audit, fingerprint) WHERE status IN ('pending', 'open') DO NOTHING RETURNING *`,
      [audit, p.fingerprint, p.customer, p.profile, p.population, p.kind, p.start, channel, p.sentence, p.missing, p.total, rateLevel(p.rate), JSON.stringify(p.findings)],
    );
    return rows[0] ? rowOf(rows[0] as Record<string, unknown>) : null;
  }

  /** Another audit saw it: its numbers now, one more consecutive sighting; its start stays the earliest seen. */
  async seen(id: string, p: AlertProblem): Promise<StoredAlert | null> {
    const { rows } = await this.pool.query(
      `UPDATE ${T} SET missing = $2, total = $3, sentence = $4, kind = $5, level = $6, findings = $7, start_at = LEAST(start_at, $8),
         seen_count = seen_count + 1, last_seen_at = now()
       WHERE id = $1 AND status IN ('pending', 'open') RETURNING *`,
      [id, p.missing, p.total, p.sentence, p.kind, rateLevel(p.rate), JSON.stringify(p.findings), p.start],
    );
    return rows[0] ? rowOf(rows[0] as Record<string, unknown>) : null;
  }

  /** Pending to open (confirmed: worth a post); null when it was not pending any more. */
  async confirm(id: string): Promise<StoredAlert | null> {
    const { rows } = await this.pool.query(`UPDATE ${T} SET status = 'open', confirmed_at = now() WHERE id = $1 AND status = 'pending' RETURNING *`, [id]);
    return rows[0] ? rowOf(rows[0] as Record<string, unknown>) : null;
  }

  /** A pending problem that went away before it was confirmed: forgotten, never told. */
  async drop(id: string): Promise<void> {
    await this.pool.query(`DELETE FROM ${T} WHERE id = $1 AND status = 'pending'`, [id]);
  }

  /**
   * Claims the announcement and records, in the same statement, what it tells (the row's numbers and kinds now: a
   * problem held through quiet hours is told as it is when posted); null when it was announced already.
   */
  async claimAnnouncement(id: string, at?: Date): Promise<StoredAlert | null> {
    // `at`: the audit's clock, which the hourly allowance and the escalation delay are counted on.
    const { rows } = await this.pool.query(
      `UPDATE ${T} SET announced_at = COALESCE($2, now()), told_missing = missing, told_level = level,
         told_kinds = ARRAY(SELECT DISTINCT f->>'kind' FROM jsonb_array_elements(findings) f)
       WHERE id = $1 AND announced_at IS NULL AND status = 'open' RETURNING *`,
      [id, at ?? null],
    );
    return rows[0] ? rowOf(rows[0] as Record<string, unknown>) : null;
  }

  /** Gives a claimed announcement back (its post failed): the next audit announces it. */
  async unclaimAnnouncement(id: string): Promise<void> {
    await this.pool.query(`UPDATE ${T} SET announced_at = NULL WHERE id = $1 AND thread_ts IS NULL AND summary_ts IS NULL`, [id]);
  }

  async setThread(id: string, threadTs: string): Promise<void> {
    await this.pool.query(`UPDATE ${T} SET thread_ts = $2 WHERE id = $1`, [id, threadTs]);
  }

  /** Announced in a summary: the summary's thread is its thread (follow-ups and the resolution go there). */
  async setSummary(id: string, summaryTs: string): Promise<void> {
    await this.pool.query(`UPDATE ${T} SET summary_ts = $2, thread_ts = $2 WHERE id = $1`, [id, summaryTs]);
  }

  /** Records a follow-up as told, only if nobody told one since; false if it was already told. */
  async told(id: string, now: { missing: number; level: number; kinds: string[] }, was: { missing: number; level: number; kinds: string[] }): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE ${T} SET told_missing = $2, told_level = $3, told_kinds = $4 WHERE id = $1 AND told_missing = $5 AND told_level = $6 AND told_kinds = $7`,
      [id, now.missing, now.level, now.kinds, was.missing, was.level, was.kinds],
    );
    return (rowCount ?? 0) > 0;
  }

  /** Resolves an open alert; false when it was resolved already. */
  async resolve(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`UPDATE ${T} SET status = 'resolved', resolved_at = now() WHERE id = $1 AND status = 'open'`, [id]);
    return (rowCount ?? 0) > 0;
  }

  async byId(id: string): Promise<StoredAlert | null> {
    if (!/^\d{1,18}$/.test(id)) return null;
    const { rows } = await this.pool.query(`SELECT * FROM ${T} WHERE id = $1`, [id]);
    return rows[0] ? rowOf(rows[0] as Record<string, unknown>) : null;
  }

  /** Records the first acknowledgement of an open alert; null when it was acknowledged already (or is not open). */
  async acknowledge(id: string, user: string, at: Date): Promise<StoredAlert | null> {
    const { rows } = await this.pool.query(
      `UPDATE ${T} SET acked_by = $2, acked_at = $3 WHERE id = $1 AND status = 'open' AND acked_at IS NULL RETURNING *`,
      [id, user, at],
    );
    return rows[0] ? rowOf(rows[0] as Record<string, unknown>) : null;
  }

  /**
   * Snoozes an open alert until `until` (null: until it resolves). A snooze only ever extends: a click that ends
   * less than a minute after the snooze in force changes nothing (null), so two people (or two processes) choosing
   * the same at once record it once.
   */
  async snooze(id: string, user: string, at: Date, until: Date | null): Promise<StoredAlert | null> {
    const { rows } = await this.pool.query(
      `UPDATE ${T} SET snoozed_by = $2, snoozed_at = $3, snoozed_until = $4, snoozed_until_resolved = ($4::timestamptz IS NULL)
       WHERE id = $1 AND status = 'open' AND NOT snoozed_until_resolved
         AND ($4::timestamptz IS NULL OR snoozed_until IS NULL OR snoozed_until < $4::timestamptz - interval '1 minute') RETURNING *`,
      [id, user, at, until],
    );
    return rows[0] ? rowOf(rows[0] as Record<string, unknown>) : null;
  }

  /** Records the escalation of an open, unacknowledged alert; false when it was escalated (or acknowledged) already. */
  async escalate(id: string, at: Date): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE ${T} SET escalated_at = $2 WHERE id = $1 AND status = 'open' AND escalated_at IS NULL AND acked_at IS NULL`,
      [id, at],
    );
    return (rowCount ?? 0) > 0;
  }

  /** Gives an escalation back (its post failed): the next audit escalates it. */
  async unescalate(id: string): Promise<void> {
    await this.pool.query(`UPDATE ${T} SET escalated_at = NULL WHERE id = $1`, [id]);
  }

  /** Alerts posted alone in a channel since `since`: the rate limit's count (a summary is not counted). */
  async announcedSince(channel: string, since: Date): Promise<number> {
    const { rows } = await this.pool.query(
      `SELECT count(*)::int AS n FROM ${T} WHERE channel = $1 AND announced_at >= $2 AND thread_ts IS NOT NULL AND summary_ts IS NULL`,
      [channel, since],
    );
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

export interface LastRepair {
  id: string;
  finishedAt: Date;
  historicRows: number;
}

/** Each customer's latest finished backfill (done or done with a remainder): the board says when it is newer than the audit. */
export async function lastRepairs(pool: pg.Pool): Promise<Record<string, LastRepair>> {
  const { rows } = await pool.query(
    `SELECT DISTINCT ON (customer) customer, id, finished_at, coalesce((result->>'historicRows')::int, 0) AS historic_rows
       FROM scorecard_bot.backfill_requests WHERE status IN ('done', 'done_with_remainder') AND finished_at IS NOT NULL
      ORDER BY customer, finished_at DESC`,
  );
  return Object.fromEntries(
    (rows as { customer: string; id: string; finished_at: Date; historic_rows: number }[]).map((r) => [r.customer, { id: r.id, finishedAt: r.finished_at, historicRows: r.historic_rows }]),
  );
}
