import { z } from 'zod';
import type { ClickhouseTier } from '../sources/clickhouse.js';
import type { ReadOnlyDb } from '../sources/read-only-db.js';
import type { ClickhouseTierState, ConversationTier, DirectorTier, HistoricTier, ScoresTier } from './check-result.js';
import { clickhouseCriteriaQuery, scorecardFactsQuery } from './check-queries.js';

// The edge of a check: one round trip per tier. Postgres answers in one statement inside one read-only
// transaction (ReadOnlyDb); ClickHouse in one query, plus one unwindowed retry only when the window is empty.

export interface PostgresFacts {
  director: DirectorTier;
  scores: ScoresTier;
  historic: HistoricTier;
  conversation: ConversationTier;
}

const time = z.date().transform((d) => d.toISOString());
const count = z.coerce.number().int().nonnegative();

const factsRowSchema = z.object({
  created_at: time,
  submitted_at: time.nullable(),
  updated_at: time.nullable(),
  scorecard_type: z.number().int().nullable(),
  calibrated_scorecard_id: z.string().nullable(),
  template_id: z.string().nullable(),
  template_title: z.string().nullable(),
  conversation_id: z.string().nullable(),
  score_rows: count,
  score_criteria: count,
  historic_rows: count,
  historic_criteria: count,
  scores_without_historic: count,
  chat_found: z.boolean(),
  chat_started_at: time.nullable(),
  chat_ended_at: time.nullable(),
});

/** director, scores, historic and conversation of one scorecard; null when director.scorecards has no such row. */
export async function gatherPostgres(
  db: ReadOnlyDb,
  customer: string,
  profile: string,
  id: string,
  idTime: Date | null,
): Promise<PostgresFacts | null> {
  const q = scorecardFactsQuery(customer, profile, id, idTime);
  const rows = await db.transaction((query) => query(q.text, q.values));
  const first = rows[0];
  if (first === undefined) return null;
  const r = factsRowSchema.parse(first);
  return {
    director: {
      createdAt: r.created_at,
      submittedAt: r.submitted_at,
      updatedAt: r.updated_at,
      scorecardType: r.scorecard_type,
      calibratedScorecardId: r.calibrated_scorecard_id,
      templateId: r.template_id,
      templateTitle: r.template_title,
      conversationId: r.conversation_id,
    },
    scores: { rows: r.score_rows, criteria: r.score_criteria },
    historic: { rows: r.historic_rows, criteria: r.historic_criteria, scoresWithoutHistoric: r.scores_without_historic },
    conversation: {
      id: r.conversation_id,
      found: r.chat_found,
      startedAt: r.chat_started_at,
      endedAt: r.chat_ended_at,
    },
  };
}

const criteriaRowSchema = z.object({ criteria: z.coerce.number().int().nonnegative() });

async function criteria(ch: ClickhouseTier, q: ReturnType<typeof clickhouseCriteriaQuery>, signal?: AbortSignal): Promise<number> {
  const rs = await ch.client.query({ ...q, format: 'JSONEachRow', ...(signal ? { abort_signal: signal } : {}) });
  const [row] = z.array(criteriaRowSchema).parse(await rs.json());
  return row?.criteria ?? 0;
}

/**
 * Distinct criteria of the scorecard in ClickHouse, first within ±1 day of `around` (skips parts and partitions
 * of other days), then, only if that finds nothing, over the whole sorting-key range of the scorecard.
 */
export async function gatherClickhouse(
  ch: ClickhouseTier | null,
  customer: string,
  profile: string,
  id: string,
  around: Date | null,
  signal?: AbortSignal,
): Promise<ClickhouseTierState> {
  if (!ch) return { status: 'not_configured' };
  if (around) {
    const n = await criteria(ch, clickhouseCriteriaQuery(ch.table, customer, profile, id, around), signal);
    if (n > 0) return { status: 'checked', criteria: n, narrowed: true };
  }
  const n = await criteria(ch, clickhouseCriteriaQuery(ch.table, customer, profile, id, null), signal);
  return { status: 'checked', criteria: n, narrowed: false };
}
