import type pg from 'pg';
import type { AuditChainRow } from './audit-chain.js';
import type { BackfillPlan, PlanItem } from './plan.js';
import type { PlanCsvRow } from './plan-csv.js';
import { backfillScopeSchema, type BackfillScope } from './scope.js';
import type { BackfillStatus } from './status.js';
import type { PostgresIdentity } from './writer-identity.js';

// The backfill tables of the ops database (migration 0002). Every status change is one conditional UPDATE with
// its audit row in the same statement (a data-modifying CTE), so a transition and its record cannot part.

const T = 'scorecard_bot.backfill_requests';
const AUDIT = 'scorecard_bot.backfill_audit';

export interface BackfillRequest {
  id: string;
  customer: string;
  scope: BackfillScope;
  requester: string;
  channel: string;
  threadTs: string | null;
  status: BackfillStatus;
  planHash: string | null;
  plan: BackfillPlan | null;
  writerAvailable: boolean;
  chunkSize: number | null;
  decidedBy: string | null;
  cancelledBy: string | null;
  result: unknown;
  error: string | null;
  createdAt: Date;
  expiresAt: Date;
  decidedAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  heartbeatAt: Date | null;
  /** The gap report whose button asked for this backfill (null: from a check, the CLI or an alert). */
  sourceRunId: string | null;
  writerPinned: PostgresIdentity | null;
}

export interface Checkpoint {
  chunk: number;
  scorecards: number;
  historicRows: number;
  clickhouseRows: number;
  alreadyPresent: number;
}

export interface AuditEntry {
  id: number;
  requestId: string;
  at: Date;
  actor: string;
  action: string;
  channel: string | null;
  planHash: string | null;
  detail: unknown;
}

function toRequest(r: Record<string, unknown>): BackfillRequest {
  return {
    id: String(r.id),
    customer: String(r.customer),
    scope: backfillScopeSchema.parse(r.scope),
    requester: String(r.requester),
    channel: String(r.channel),
    threadTs: (r.thread_ts as string | null) ?? null,
    status: r.status as BackfillStatus,
    planHash: (r.plan_hash as string | null) ?? null,
    plan: (r.plan as BackfillPlan | null) ?? null,
    writerAvailable: Boolean(r.writer_available),
    chunkSize: r.chunk_size === null || r.chunk_size === undefined ? null : Number(r.chunk_size),
    decidedBy: (r.decided_by as string | null) ?? null,
    cancelledBy: (r.cancelled_by as string | null) ?? null,
    result: r.result ?? null,
    error: (r.error as string | null) ?? null,
    createdAt: r.created_at as Date,
    expiresAt: r.expires_at as Date,
    decidedAt: (r.decided_at as Date | null) ?? null,
    startedAt: (r.started_at as Date | null) ?? null,
    finishedAt: (r.finished_at as Date | null) ?? null,
    heartbeatAt: (r.heartbeat_at as Date | null) ?? null,
    sourceRunId: (r.source_run_id as string | null) ?? null,
    writerPinned: (r.writer_pinned as PostgresIdentity | null) ?? null,
  };
}

export class BackfillStore {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Runs `UPDATE ... WHERE <guard> RETURNING *` and, when a row changed, appends its audit entry in the same
   * statement. Returns the updated request, or null when the guard did not hold (someone else won, or never could).
   */
  private async transition(
    setSql: string,
    guardSql: string,
    params: unknown[],
    audit: { actor: string; action: string; detail?: unknown },
  ): Promise<BackfillRequest | null> {
    const n = params.length;
    const { rows } = await this.pool.query(
      `WITH t AS (UPDATE ${T} SET ${setSql} WHERE id = $1 AND ${guardSql} RETURNING *),
            a AS (INSERT INTO ${AUDIT} (request_id, actor, action, channel, plan_hash, detail)
                  SELECT id, $${n + 1}, $${n + 2}, channel, plan_hash, $${n + 3}::jsonb FROM t)
       SELECT * FROM t`,
      [...params, audit.actor, audit.action, audit.detail === undefined ? null : JSON.stringify(audit.detail)],
    );
    return rows[0] ? toRequest(rows[0] as Record<string, unknown>) : null;
  }

  async create(r: { id: string; scope: BackfillScope; requester: string; channel: string; threadTs: string | null; expiresAt: Date; sourceRunId?: string | null }): Promise<BackfillRequest> {
    const { rows } = await this.pool.query(
      `WITH t AS (INSERT INTO ${T} (id, customer, scope, requester, channel, thread_ts, status, expires_at, heartbeat_at, source_run_id)
                  VALUES ($1, $2, $3, $4, $5, $6, 'planning', $7, now(), $8) RETURNING *),
            a AS (INSERT INTO ${AUDIT} (request_id, actor, action, channel, detail)
                  SELECT id, requester, 'requested', channel, scope FROM t)
       SELECT * FROM t`,
      [r.id, r.scope.customer, JSON.stringify(r.scope), r.requester, r.channel, r.threadTs, r.expiresAt, r.sourceRunId ?? null],
    );
    return toRequest(rows[0] as Record<string, unknown>);
  }

  /** One multi-row INSERT per page of the plan. */
  async addItems(requestId: string, items: PlanItem[]): Promise<void> {
    if (items.length === 0) return;
    await this.pool.query(
      `INSERT INTO scorecard_bot.backfill_items (request_id, scorecard_id, reason, seq, submitted, scores, created_at, digest)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::int[], $5::boolean[], $6::int[], $7::timestamptz[], $8::text[])`,
      [
        requestId,
        items.map((i) => i.scorecardId),
        items.map((i) => i.reason),
        items.map((i) => i.seq),
        items.map((i) => i.submitted),
        items.map((i) => i.scores),
        items.map((i) => i.createdAt),
        items.map((i) => i.digest),
      ],
    );
    // Each page is proof of life: the reconciler ends a planning request whose heartbeat goes stale.
    await this.heartbeat(requestId);
  }

  /** The planner is alive (a request planning with an old heartbeat is lost: see lose()). */
  async heartbeat(id: string): Promise<void> {
    await this.pool.query(`UPDATE ${T} SET heartbeat_at = now() WHERE id = $1 AND status = 'planning'`, [id]);
  }

  /** planning → lost, when its planner has not been heard of for staleMs (the process died mid-plan). */
  lose(id: string, staleMs: number): Promise<BackfillRequest | null> {
    return this.transition(
      `status = 'lost', error = 'the planner stopped before the plan was ready', finished_at = now()`,
      `status = 'planning' AND coalesce(heartbeat_at, created_at) < now() - make_interval(secs => $2::double precision / 1000)`,
      [id, staleMs],
      { actor: 'bot', action: 'lost' },
    );
  }

  planned(id: string, plan: BackfillPlan): Promise<BackfillRequest | null> {
    return this.transition(
      `status = 'pending', plan_hash = $2, plan = $3::jsonb, writer_available = $4`,
      `status = 'planning'`,
      [id, plan.hash, JSON.stringify(plan), plan.writerConfigured],
      { actor: 'bot', action: 'planned', detail: { scorecards: plan.toWrite.scorecards, historicRows: plan.toWrite.historicRows } },
    );
  }

  /** planning → done: the plan found nothing to write, so nobody is asked to approve anything. */
  nothingToWrite(id: string, plan: BackfillPlan): Promise<BackfillRequest | null> {
    const result = { status: 'done', nothingToWrite: true, chunks: 0, chunksDone: 0, historicRows: 0, clickhouseRows: 0, alreadyPresent: 0, elapsedMs: 0, rowsPerSecond: 0 };
    return this.transition(
      `status = 'done', plan_hash = $2, plan = $3::jsonb, writer_available = $4, result = $5::jsonb, finished_at = now()`,
      `status = 'planning'`,
      [id, plan.hash, JSON.stringify(plan), plan.writerConfigured, JSON.stringify(result)],
      { actor: 'bot', action: 'nothing_to_write', detail: { scanned: plan.scanned } },
    );
  }

  /** A plan job that starts over (a retry after its worker died) begins from no items. */
  async clearItems(id: string): Promise<void> {
    await this.pool.query(`DELETE FROM scorecard_bot.backfill_items WHERE request_id = $1`, [id]);
  }

  /** Open requests (planning, pending and not expired, approved, running, cancelling) of one person. */
  async openCountBy(requester: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${T} WHERE requester = $1
         AND (status IN ('planning', 'approved', 'running', 'cancelling') OR (status = 'pending' AND expires_at > now()))`,
      [requester],
    );
    return rows[0]?.n ?? 0;
  }

  planFailed(id: string, error: string): Promise<BackfillRequest | null> {
    return this.transition(`status = 'failed', error = $2, finished_at = now()`, `status = 'planning'`, [id, error], {
      actor: 'bot',
      action: 'plan_failed',
      detail: { error },
    });
  }

  /** pending → approved, only with the current plan's hash, before expiry, by someone other than the requester. */
  approve(id: string, approver: string, planHash: string): Promise<BackfillRequest | null> {
    return this.transition(
      `status = 'approved', decided_by = $2, decided_at = now()`,
      `status = 'pending' AND plan_hash = $3 AND expires_at > now() AND requester <> $2 AND writer_available`,
      [id, approver, planHash],
      { actor: approver, action: 'approved' },
    );
  }

  deny(id: string, approver: string, planHash: string): Promise<BackfillRequest | null> {
    return this.transition(
      `status = 'denied', decided_by = $2, decided_at = now(), finished_at = now()`,
      `status = 'pending' AND plan_hash = $3 AND expires_at > now() AND requester <> $2`,
      [id, approver, planHash],
      { actor: approver, action: 'denied' },
    );
  }

  /**
   * Before the job (planning, pending, approved): cancelled, final at once, finished now. While running:
   * cancelling; the job sees it between chunks and stops (stop), or it had already written the last chunk (finish).
   */
  cancel(id: string, actor: string): Promise<BackfillRequest | null> {
    return this.transition(
      `status = CASE WHEN status = 'running' THEN 'cancelling' ELSE 'cancelled' END, cancelled_by = $2,
       finished_at = CASE WHEN status = 'running' THEN NULL ELSE now() END`,
      `status IN ('planning', 'pending', 'approved', 'running')`,
      [id, actor],
      { actor, action: 'cancelled' },
    );
  }

  expire(id: string): Promise<BackfillRequest | null> {
    return this.transition(`status = 'expired', finished_at = now()`, `status = 'pending' AND expires_at <= now()`, [id], {
      actor: 'bot',
      action: 'expired',
    });
  }

  /** approved → running, or running → running when a worker resumes a job another worker lost. */
  start(id: string, worker: string, chunkSize: number): Promise<BackfillRequest | null> {
    return this.transition(
      `status = 'running', started_at = coalesce(started_at, now()), chunk_size = coalesce(chunk_size, $2)`,
      `status IN ('approved', 'running')`,
      [id, chunkSize],
      {
        actor: worker,
        action: 'started',
      },
    );
  }

  /** From running, or from cancelling when the cancel came after the last chunk: it finished first. */
  finish(id: string, status: 'done' | 'done_with_remainder', result: unknown): Promise<BackfillRequest | null> {
    return this.transition(`status = $2, result = $3::jsonb, finished_at = now()`, `status IN ('running', 'cancelling')`, [id, status, JSON.stringify(result)], {
      actor: 'bot',
      action: status,
      detail: result,
    });
  }

  fail(id: string, error: string, detail: unknown): Promise<BackfillRequest | null> {
    return this.transition(`status = 'failed', error = $2, result = $3::jsonb, finished_at = now()`, `status IN ('running', 'approved', 'cancelling')`, [id, error, JSON.stringify(detail)], {
      actor: 'bot',
      action: 'failed',
      detail,
    });
  }

  /** cancelling → cancelled: the job stopped after its current chunk (or the reconciler found no job left). */
  stop(id: string, detail: unknown): Promise<BackfillRequest | null> {
    return this.transition(`status = 'cancelled', finished_at = now(), result = $2::jsonb`, `status = 'cancelling'`, [id, JSON.stringify(detail)], {
      actor: 'bot',
      action: 'stopped',
      detail,
    });
  }

  /** Pins the writer host a credential command resolved to at the job's first start (see writer-identity.ts). */
  async pinWriter(id: string, identity: PostgresIdentity): Promise<void> {
    await this.pool.query(`UPDATE ${T} SET writer_pinned = $2::jsonb WHERE id = $1 AND writer_pinned IS NULL`, [id, JSON.stringify(identity)]);
  }

  /** Scorecards whose digest no longer matched when their chunk ran: left alone, listed in the result. */
  async markChanged(id: string, scorecardIds: string[]): Promise<void> {
    if (scorecardIds.length === 0) return;
    await this.pool.query(`UPDATE scorecard_bot.backfill_items SET outcome = 'changed' WHERE request_id = $1 AND scorecard_id = ANY($2::text[])`, [id, scorecardIds]);
  }

  async changedItems(id: string, limit = 20): Promise<{ count: number; samples: string[] }> {
    const { rows } = await this.pool.query<{ n: number; samples: string[] | null }>(
      `SELECT count(*)::int AS n, (array_agg(scorecard_id ORDER BY seq))[1:$2] AS samples
       FROM scorecard_bot.backfill_items WHERE request_id = $1 AND outcome = 'changed'`,
      [id, limit],
    );
    return { count: rows[0]?.n ?? 0, samples: rows[0]?.samples ?? [] };
  }

  /** Requests in these statuses (the reconciler's work list), oldest first. */
  async inStatus(statuses: BackfillStatus[], limit = 200): Promise<BackfillRequest[]> {
    const { rows } = await this.pool.query(`SELECT * FROM ${T} WHERE status = ANY($1::text[]) ORDER BY created_at LIMIT $2`, [statuses, limit]);
    return rows.map((r) => toRequest(r as Record<string, unknown>));
  }

  /** The newest open request (planning, pending and not expired, approved, running) for exactly this scope in a channel. */
  async openFor(channel: string, scope: BackfillScope): Promise<BackfillRequest | null> {
    const { rows } = await this.pool.query(
      `SELECT * FROM ${T} WHERE channel = $1 AND scope = $2::jsonb
         AND (status IN ('planning', 'approved', 'running', 'cancelling') OR (status = 'pending' AND expires_at > now()))
       ORDER BY created_at DESC LIMIT 1`,
      [channel, JSON.stringify(scope)],
    );
    return rows[0] ? toRequest(rows[0] as Record<string, unknown>) : null;
  }

  async get(id: string): Promise<BackfillRequest | null> {
    const { rows } = await this.pool.query(`SELECT * FROM ${T} WHERE id = $1`, [id]);
    return rows[0] ? toRequest(rows[0] as Record<string, unknown>) : null;
  }

  async status(id: string): Promise<BackfillStatus | null> {
    const { rows } = await this.pool.query<{ status: BackfillStatus }>(`SELECT status FROM ${T} WHERE id = $1`, [id]);
    return rows[0]?.status ?? null;
  }

  async writeCount(id: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM scorecard_bot.backfill_items WHERE request_id = $1 AND seq IS NOT NULL`,
      [id],
    );
    return rows[0]?.n ?? 0;
  }

  async chunkItems(id: string, fromSeq: number, toSeq: number): Promise<{ scorecardId: string; reason: string; digest: string }[]> {
    const { rows } = await this.pool.query<{ scorecard_id: string; reason: string; digest: string | null }>(
      `SELECT scorecard_id, reason, digest FROM scorecard_bot.backfill_items WHERE request_id = $1 AND seq >= $2 AND seq < $3 ORDER BY seq`,
      [id, fromSeq, toSeq],
    );
    // A plan stored before digests existed has none: such an item matches nothing and is left alone.
    return rows.map((r) => ({ scorecardId: r.scorecard_id, reason: r.reason, digest: r.digest ?? '' }));
  }

  /** The plan's stored scorecards (to write, and missing ones left alone), a page at a time after `after` (scorecard ID order). */
  async itemsPage(id: string, after: string | null, limit: number): Promise<PlanCsvRow[]> {
    const { rows } = await this.pool.query<{ scorecard_id: string; reason: string; submitted: boolean; created_at: Date }>(
      `SELECT scorecard_id, reason, submitted, created_at FROM scorecard_bot.backfill_items
       WHERE request_id = $1 AND ($2::text IS NULL OR scorecard_id > $2) ORDER BY scorecard_id LIMIT $3`,
      [id, after, limit],
    );
    return rows.map((r) => ({ scorecardId: r.scorecard_id, reason: r.reason, submitted: r.submitted, createdAt: r.created_at }));
  }

  async leftAloneItems(id: string, limit = 20): Promise<{ scorecardId: string; reason: string }[]> {
    const { rows } = await this.pool.query<{ scorecard_id: string; reason: string }>(
      `SELECT scorecard_id, reason FROM scorecard_bot.backfill_items WHERE request_id = $1 AND seq IS NULL
       ORDER BY created_at, scorecard_id LIMIT $2`,
      [id, limit],
    );
    return rows.map((r) => ({ scorecardId: r.scorecard_id, reason: r.reason }));
  }

  async checkpoint(id: string, c: Checkpoint): Promise<void> {
    await this.pool.query(
      `INSERT INTO scorecard_bot.backfill_checkpoints (request_id, chunk, scorecards, historic_rows, clickhouse_rows, already_present)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (request_id, chunk) DO NOTHING`,
      [id, c.chunk, c.scorecards, c.historicRows, c.clickhouseRows, c.alreadyPresent],
    );
  }

  async checkpoints(id: string): Promise<Checkpoint[]> {
    const { rows } = await this.pool.query(
      `SELECT chunk, scorecards, historic_rows, clickhouse_rows, already_present
       FROM scorecard_bot.backfill_checkpoints WHERE request_id = $1 ORDER BY chunk`,
      [id],
    );
    return rows.map((r: Record<string, number>) => ({
      chunk: Number(r.chunk),
      scorecards: Number(r.scorecards),
      historicRows: Number(r.historic_rows),
      clickhouseRows: Number(r.clickhouse_rows),
      alreadyPresent: Number(r.already_present),
    }));
  }

  async appendAudit(e: { requestId: string; actor: string; action: string; channel?: string | null; planHash?: string | null; detail?: unknown }): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${AUDIT} (request_id, actor, action, channel, plan_hash, detail) VALUES ($1, $2, $3, $4, $5, $6::jsonb)`,
      [e.requestId, e.actor, e.action, e.channel ?? null, e.planHash ?? null, e.detail === undefined ? null : JSON.stringify(e.detail)],
    );
  }

  async audit(id: string): Promise<AuditEntry[]> {
    const { rows } = await this.pool.query(`SELECT * FROM ${AUDIT} WHERE request_id = $1 ORDER BY id`, [id]);
    return rows.map((r: Record<string, unknown>) => ({
      id: Number(r.id),
      requestId: String(r.request_id),
      at: r.at as Date,
      actor: String(r.actor),
      action: String(r.action),
      channel: (r.channel as string | null) ?? null,
      planHash: (r.plan_hash as string | null) ?? null,
      detail: r.detail ?? null,
    }));
  }

  /** Requests newest first, each with its checkpointed progress (what list shows); filters are optional. */
  async list(filter: { customer?: string; status?: BackfillStatus; limit: number }): Promise<RequestSummary[]> {
    const { rows } = await this.pool.query(
      `SELECT r.*, coalesce(c.chunks, 0) AS chunks_done, coalesce(c.historic_rows, 0) AS historic_rows_written
       FROM ${T} r
       LEFT JOIN (SELECT request_id, count(*)::int AS chunks, sum(historic_rows)::bigint AS historic_rows
                  FROM scorecard_bot.backfill_checkpoints GROUP BY request_id) c ON c.request_id = r.id
       WHERE ($1::text IS NULL OR r.customer = $1) AND ($2::text IS NULL OR r.status = $2)
       ORDER BY r.created_at DESC, r.id DESC LIMIT $3`,
      [filter.customer ?? null, filter.status ?? null, filter.limit],
    );
    return rows.map((r: Record<string, unknown>) => ({
      ...toRequest(r),
      chunksDone: Number(r.chunks_done),
      historicRowsWritten: Number(r.historic_rows_written),
    }));
  }

  /** The hash chain's first prev_hash (migration 0006), from the database so it cannot drift from the trigger's. */
  async auditGenesis(): Promise<string> {
    const { rows } = await this.pool.query<{ g: string }>(`SELECT scorecard_bot.backfill_audit_genesis() AS g`);
    return rows[0]!.g;
  }

  /**
   * One page of the whole audit log in id order, each row's hash recomputed by backfill_audit_hash(): the very
   * function the insert trigger hashed it with, so verification and insertion cannot disagree on the recipe.
   */
  async auditChainPage(afterId: string | null, limit: number): Promise<AuditChainRow[]> {
    const { rows } = await this.pool.query(
      // a.id in ORDER BY: a bare "id" would sort by the text output column (1, 10, 2 ...).
      `SELECT a.id::text AS id, a.request_id, a.action, a.actor, a.at, a.prev_hash, a.hash,
              scorecard_bot.backfill_audit_hash(a.prev_hash, a.id, a.request_id, a.at, a.actor, a.action, a.channel, a.plan_hash, a.detail) AS recomputed
       FROM ${AUDIT} a WHERE $1::bigint IS NULL OR a.id > $1::bigint ORDER BY a.id LIMIT $2`,
      [afterId, limit],
    );
    return rows.map((r: Record<string, unknown>) => ({
      id: String(r.id),
      requestId: String(r.request_id),
      action: String(r.action),
      actor: String(r.actor),
      at: r.at as Date,
      prevHash: (r.prev_hash as string | null) ?? null,
      hash: (r.hash as string | null) ?? null,
      recomputed: (r.recomputed as string | null) ?? null,
    }));
  }
}

/** A request with its checkpointed progress, as `backfill list` shows it. */
export interface RequestSummary extends BackfillRequest {
  chunksDone: number;
  historicRowsWritten: number;
}
