import type pg from 'pg';
import { z } from 'zod';

// The Home tab's "recent activity": the last gap runs and backfill requests, read from the ops database, only in
// the channels the viewer is a member of (the caller decides which; a thread link is useless, and its content not
// theirs to see, in a channel they are not in).

export const RECENT_LIMIT = 10;
/** How far back the channels of recent activity are collected: a channel quiet for this many rows is not offered. */
const CANDIDATE_ROWS = 500;

export interface RecentRun {
  runId: string;
  customer: string;
  periodLabel: string;
  requestedBy: string;
  channel: string;
  rootTs: string;
  status: 'queued' | 'done' | 'failed';
  verdict: string | null;
  createdAt: Date;
}

export interface RecentBackfill {
  id: string;
  customer: string;
  label: string;
  scorecardId: string | null;
  requester: string;
  decidedBy: string | null;
  channel: string;
  threadTs: string | null;
  status: string;
  historicRows: number | null;
  createdAt: Date;
}

const runRow = z.object({
  run_id: z.string(),
  customer: z.string(),
  period_label: z.string(),
  requested_by: z.string(),
  channel: z.string(),
  root_ts: z.string(),
  status: z.enum(['queued', 'done', 'failed']),
  verdict: z.string().nullable(),
  created_at: z.date(),
});

const backfillRow = z.object({
  id: z.string(),
  customer: z.string(),
  label: z.string().nullable(),
  scorecard_id: z.string().nullable(),
  requester: z.string(),
  decided_by: z.string().nullable(),
  channel: z.string(),
  thread_ts: z.string().nullable(),
  status: z.string(),
  historic_rows: z.number().nullable(),
  created_at: z.date(),
});

/** The channels that recent runs and backfills were in, most recent first. */
export async function recentChannels(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ channel: string }>(
    `SELECT channel FROM (
       (SELECT channel, created_at FROM scorecard_bot.gap_runs ORDER BY created_at DESC LIMIT $1)
       UNION ALL
       (SELECT channel, created_at FROM scorecard_bot.backfill_requests ORDER BY created_at DESC LIMIT $1)
     ) recent GROUP BY channel ORDER BY max(created_at) DESC`,
    [CANDIDATE_ROWS],
  );
  return rows.map((r) => r.channel);
}

export async function recentActivity(pool: pg.Pool, channels: readonly string[], limit = RECENT_LIMIT): Promise<{ runs: RecentRun[]; backfills: RecentBackfill[] }> {
  if (channels.length === 0) return { runs: [], backfills: [] };
  const [runs, backfills] = await Promise.all([
    pool.query(
      `SELECT run_id, customer, period_label, requested_by, channel, root_ts, status, verdict, created_at FROM scorecard_bot.gap_runs
        WHERE channel = ANY($1) ORDER BY created_at DESC LIMIT $2`,
      [channels, limit],
    ),
    pool.query(
      `SELECT id, customer, scope->>'label' AS label, scope->>'scorecardId' AS scorecard_id, requester, decided_by, channel, thread_ts, status,
              (result->>'historicRows')::int AS historic_rows, created_at
         FROM scorecard_bot.backfill_requests WHERE channel = ANY($1) ORDER BY created_at DESC LIMIT $2`,
      [channels, limit],
    ),
  ]);
  return {
    runs: runs.rows.map((r) => {
      const p = runRow.parse(r);
      return { runId: p.run_id, customer: p.customer, periodLabel: p.period_label, requestedBy: p.requested_by, channel: p.channel, rootTs: p.root_ts, status: p.status, verdict: p.verdict, createdAt: p.created_at };
    }),
    backfills: backfills.rows.map((r) => {
      const p = backfillRow.parse(r);
      return {
        id: p.id,
        customer: p.customer,
        label: p.label ?? '',
        scorecardId: p.scorecard_id,
        requester: p.requester,
        decidedBy: p.decided_by,
        channel: p.channel,
        threadTs: p.thread_ts,
        status: p.status,
        historicRows: p.historic_rows,
        createdAt: p.created_at,
      };
    }),
  };
}
