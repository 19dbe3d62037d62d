import type pg from 'pg';
import { activeAt, type ActiveSilence } from './silences.js';

// Silences in the ops database (scorecard_bot.watch_silences), merged with those of the config file, and the mark
// a silence leaves on the alerts it held (watch_alerts.silenced_at). Taking the mark is one statement, so of two
// processes only one says that a silence ended.

const S = 'scorecard_bot.watch_silences';
const A = 'scorecard_bot.watch_alerts';

function rowOf(r: Record<string, unknown>): ActiveSilence & { id: string } {
  return { id: String(r.id), customer: String(r.customer), from: r.starts_at as Date, to: r.ends_at as Date, reason: String(r.reason), by: String(r.created_by) };
}

export interface NewSilence {
  customer: string;
  from: Date;
  to: Date;
  reason: string;
  by: string;
  channel: string;
}

export class SilenceStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly configured: readonly ActiveSilence[] = [],
  ) {}

  async create(s: NewSilence): Promise<ActiveSilence & { id: string }> {
    const { rows } = await this.pool.query(
      `INSERT INTO ${S} (customer, starts_at, ends_at, reason, created_by, channel) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [s.customer, s.from, s.to, s.reason, s.by, s.channel],
    );
    return rowOf(rows[0] as Record<string, unknown>);
  }

  /** In force at `now`: the database's and the config file's, soonest end first. */
  async active(now: Date): Promise<ActiveSilence[]> {
    const { rows } = await this.pool.query(`SELECT * FROM ${S} WHERE ended_at IS NULL AND starts_at <= $1 AND ends_at > $1 ORDER BY ends_at, id`, [now]);
    return activeAt([...(rows as Record<string, unknown>[]).map(rowOf), ...this.configured], now);
  }

  /** Ends the silences in force of one id or one customer ("all": the silences of every customer); returns them. */
  async end(target: { id: string } | { customer: string }, by: string, now: Date): Promise<ActiveSilence[]> {
    const [column, value] = 'id' in target ? ['id', target.id] : ['customer', target.customer];
    const { rows } = await this.pool.query(
      `UPDATE ${S} SET ended_at = $3, ended_by = $4 WHERE ${column} = $1 AND ended_at IS NULL AND starts_at <= $2 AND ends_at > $2 RETURNING *`,
      [value, now, now, by],
    );
    return (rows as Record<string, unknown>[]).map(rowOf);
  }

  /** A silence held this alert's posts (the first time is kept: "silenced since"). */
  async hold(alertId: string): Promise<void> {
    await this.pool.query(`UPDATE ${A} SET silenced_at = COALESCE(silenced_at, now()) WHERE id = $1`, [alertId]);
  }

  /** Takes the mark of a silence that held this alert; the ISO time it was set, or null (not held, or taken). */
  async takeHeld(alertId: string): Promise<string | null> {
    const { rows } = await this.pool.query(
      `UPDATE ${A} a SET silenced_at = NULL FROM (SELECT id, silenced_at AS was FROM ${A} WHERE id = $1 FOR UPDATE) o
       WHERE a.id = o.id AND a.silenced_at IS NOT NULL RETURNING o.was`,
      [alertId],
    );
    const was = (rows[0] as { was: Date } | undefined)?.was;
    return was ? was.toISOString() : null;
  }

  /** Puts the mark back (the message saying the silence ended could not be posted). */
  async restoreHeld(alertId: string, at: string): Promise<void> {
    await this.pool.query(`UPDATE ${A} SET silenced_at = COALESCE(silenced_at, $2) WHERE id = $1`, [alertId, at]);
  }
}
