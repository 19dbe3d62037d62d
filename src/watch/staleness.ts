import cronParser from 'cron-parser';
import type { WatchAudit } from '../config/watch-schema.js';
import { auditIntervalMs } from './spread.js';

// The watchdog's own watchdog, as plain data: an audit that has not completed for twice its interval is stale
// (its scheduler stopped, its workers are gone, or its runs never end). Before a first completion the clock starts
// when a process first saw the audit in its config.

export interface AuditHealthRow {
  audit: string;
  registeredAt: Date;
  finishedAt: Date | null;
  /** Set while the channel has been told the audit is stale (cleared when it runs again). */
  staleSince: Date | null;
}

export interface AuditHealth {
  audit: string;
  stale: boolean;
  /** The last completion, or when the audit was first configured. */
  lastCompleted: Date | null;
  deadline: Date;
  /** The channel was told it is stale and has not been told it runs again. */
  told: boolean;
}

/**
 * When an audit last seen complete at `last` becomes stale: twice its interval later. For a cron schedule, also no
 * earlier than its second run after `last`, so a weekday cron is not stale over the weekend.
 */
export function staleDeadline(audit: Pick<WatchAudit, 'cron' | 'every'>, last: Date): Date {
  const twice = last.getTime() + 2 * auditIntervalMs(audit);
  if (!audit.cron) return new Date(twice);
  const it = cronParser.parseExpression(audit.cron, { tz: 'UTC', currentDate: last });
  it.next();
  const second = it.next().toDate().getTime();
  return new Date(Math.max(twice, second));
}

export function judgeAudits(audits: readonly Pick<WatchAudit, 'name' | 'cron' | 'every'>[], rows: readonly AuditHealthRow[], now: Date): AuditHealth[] {
  const byName = new Map(rows.map((r) => [r.audit, r]));
  return audits.map((a) => {
    const row = byName.get(a.name);
    // Not registered yet (the process has just started): it cannot be late.
    const since = row?.finishedAt ?? row?.registeredAt ?? now;
    const deadline = staleDeadline(a, since);
    return { audit: a.name, stale: now.getTime() > deadline.getTime(), lastCompleted: row ? since : null, deadline, told: row?.staleSince != null };
  });
}

/** How often a process looks: often enough to notice within a fraction of the shortest interval, at most every 30 s. */
export function monitorIntervalMs(audits: readonly Pick<WatchAudit, 'cron' | 'every'>[]): number {
  if (audits.length === 0) return 30_000;
  const shortest = Math.min(...audits.map((a) => auditIntervalMs(a)));
  return Math.min(30_000, Math.max(500, Math.floor(shortest / 2)));
}
