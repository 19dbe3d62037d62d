import pg from 'pg';
import { runOpsMigrations } from './migrations/run.js';
import { clientDeadlineMs, createSafePool } from '../sources/safe-pool.js';

// The bot's own state (not a customer's): who asked for which run, where its thread is, how it ended. The tables
// are created by versioned migrations (src/ops/migrations/), never by DDL strings here.

/** Deadlines of the ops pool: bookkeeping is small, so a stalled ops database fails fast instead of hanging a run. */
export const OPS_CONNECT_TIMEOUT_MS = 5_000;
export const OPS_STATEMENT_TIMEOUT_MS = 10_000;

/** The ops database pool: error listeners on every client, connect/statement/query deadlines, keepAlive. */
export function createOpsPool(
  url: string,
  opts: { connectTimeoutMs?: number; statementTimeoutMs?: number; max?: number; onError?: (err: Error) => void } = {},
): pg.Pool {
  const statementTimeoutMs = opts.statementTimeoutMs ?? OPS_STATEMENT_TIMEOUT_MS;
  return createSafePool({
    url,
    max: opts.max ?? 4,
    applicationName: 'scorecard-bot-ops',
    connectTimeoutMs: opts.connectTimeoutMs ?? OPS_CONNECT_TIMEOUT_MS,
    statementTimeoutMs,
    queryTimeoutMs: clientDeadlineMs(statementTimeoutMs),
    onError: opts.onError,
  });
}

export interface GapRunRecord {
  runId: string;
  customer: string;
  periodLabel: string;
  periodFrom: string;
  periodTo: string;
  requestedBy: string;
  channel: string;
  rootTs: string;
}

export class OpsStore {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Applies the versioned migrations in src/ops/migrations (OPS_DDL is migration 1), under an advisory lock.
   * With `migrationUrl` (ops.migrationUrl: the role that owns the schema) they run on a short-lived connection of
   * that role, so the pool's runtime role never needs to own or alter anything.
   */
  async migrate(migrationUrl?: string): Promise<string[]> {
    if (migrationUrl) {
      const client = new pg.Client({ connectionString: migrationUrl, application_name: 'scorecard-bot-migrate', connectionTimeoutMillis: OPS_CONNECT_TIMEOUT_MS });
      // A connection lost while migrating must fail the migration, not crash the process.
      client.on('error', () => undefined);
      await client.connect();
      try {
        return await runOpsMigrations(client);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    const client = await this.pool.connect();
    try {
      return await runOpsMigrations(client);
    } finally {
      client.release();
    }
  }

  async recordRun(r: GapRunRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO scorecard_bot.gap_runs (run_id, customer, period_label, period_from, period_to, requested_by, channel, root_ts, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued') ON CONFLICT (run_id) DO NOTHING`,
      [r.runId, r.customer, r.periodLabel, r.periodFrom, r.periodTo, r.requestedBy, r.channel, r.rootTs],
    );
  }

  async finishRun(runId: string, outcome: { status: 'done' | 'failed'; verdict?: string; summary?: unknown; error?: string }): Promise<void> {
    await this.pool.query(
      `UPDATE scorecard_bot.gap_runs SET status = $2, verdict = $3, summary = $4, error = $5, finished_at = now() WHERE run_id = $1`,
      [runId, outcome.status, outcome.verdict ?? null, outcome.summary === undefined ? null : JSON.stringify(outcome.summary), outcome.error ?? null],
    );
  }

  async getRun(runId: string): Promise<(GapRunRecord & { status: string; verdict: string | null }) | null> {
    const { rows } = await this.pool.query(
      `SELECT run_id, customer, period_label, period_from, period_to, requested_by, channel, root_ts, status, verdict
       FROM scorecard_bot.gap_runs WHERE run_id = $1`,
      [runId],
    );
    const r = rows[0] as Record<string, unknown> | undefined;
    if (!r) return null;
    return { ...runRecord(r), status: String(r.status), verdict: (r.verdict as string | null) ?? null };
  }

  /** Runs not yet marked done or failed, oldest first: what the reconciler checks against the job queue. */
  async unfinishedRuns(limit = 500): Promise<(GapRunRecord & { createdAt: string })[]> {
    const { rows } = await this.pool.query(
      `SELECT run_id, customer, period_label, period_from, period_to, requested_by, channel, root_ts, created_at
       FROM scorecard_bot.gap_runs WHERE status = 'queued' ORDER BY created_at LIMIT $1`,
      [limit],
    );
    return (rows as Record<string, unknown>[]).map((r) => ({ ...runRecord(r), createdAt: (r.created_at as Date).toISOString() }));
  }

  /** Ends a run that is still open; false when it had ended already (another process got there first). */
  async failIfUnfinished(runId: string, error: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE scorecard_bot.gap_runs SET status = 'failed', error = $2, finished_at = now() WHERE run_id = $1 AND status = 'queued'`,
      [runId, error],
    );
    return (rowCount ?? 0) > 0;
  }
}

function runRecord(r: Record<string, unknown>): GapRunRecord {
  return {
    runId: String(r.run_id),
    customer: String(r.customer),
    periodLabel: String(r.period_label),
    periodFrom: (r.period_from as Date).toISOString(),
    periodTo: (r.period_to as Date).toISOString(),
    requestedBy: String(r.requested_by),
    channel: String(r.channel),
    rootTs: String(r.root_ts),
  };
}
