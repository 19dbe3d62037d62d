import { z } from 'zod';

// The answer of one scorecard check: what each tier holds, the verdict (the incident report's "Possible Reasons"
// table), the evidence behind it and whether a backfill can repair it. CLI --json prints exactly this; the Slack
// renderer and the backfill button read it. Times are ISO-8601 strings (UTC).

export const VERDICTS = [
  'not_found',
  'excluded_calibration',
  'excluded_non_original',
  'no_scores',
  'conversation_missing',
  'missing_historic',
  'partial_historic',
  'missing_clickhouse',
  'healthy',
] as const;

export const verdictSchema = z.enum(VERDICTS);
export type Verdict = z.infer<typeof verdictSchema>;

const iso = z.string();

export const directorTierSchema = z.object({
  createdAt: iso,
  submittedAt: iso.nullable(),
  updatedAt: iso.nullable(),
  scorecardType: z.number().int().nullable(),
  calibratedScorecardId: z.string().nullable(),
  templateId: z.string().nullable(),
  templateTitle: z.string().nullable(),
  conversationId: z.string().nullable(),
});

export const scoresTierSchema = z.object({
  /** Rows in director.scores for the scorecard. */
  rows: z.number().int().nonnegative(),
  /** Distinct non-null criterion_id among them. */
  criteria: z.number().int().nonnegative(),
});

export const historicTierSchema = z.object({
  rows: z.number().int().nonnegative(),
  criteria: z.number().int().nonnegative(),
  /** director.scores rows whose criterion has no historic row: > 0 with rows > 0 means a partial write. */
  scoresWithoutHistoric: z.number().int().nonnegative(),
});

export const clickhouseTierSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('checked'),
    /** Distinct criterion_id (ReplacingMergeTree duplicates before a merge do not count twice). */
    criteria: z.number().int().nonnegative(),
    /** True when the answer came from the ±1 day window around the creation time (no fallback needed). */
    narrowed: z.boolean(),
  }),
  z.object({ status: z.literal('not_configured') }),
  z.object({ status: z.literal('unavailable'), message: z.string() }),
]);

export const conversationTierSchema = z.object({
  id: z.string().nullable(),
  found: z.boolean(),
  startedAt: iso.nullable(),
  endedAt: iso.nullable(),
});

export const unreachableSchema = z.object({ customer: z.string(), message: z.string() });

export const checkResultSchema = z.object({
  id: z.string(),
  customer: z.string().nullable(),
  profile: z.string().nullable(),
  createdAtFromId: iso.nullable(),
  tiers: z.object({
    director: directorTierSchema.nullable(),
    scores: scoresTierSchema.nullable(),
    historic: historicTierSchema.nullable(),
    clickhouse: clickhouseTierSchema.nullable(),
    conversation: conversationTierSchema.nullable(),
  }),
  verdict: verdictSchema,
  /** One sentence: the verdict in words. */
  summary: z.string(),
  evidence: z.array(z.string()),
  repairable: z.boolean(),
  searched: z.array(z.string()),
  unreachable: z.array(unreachableSchema),
});

export type DirectorTier = z.infer<typeof directorTierSchema>;
export type ScoresTier = z.infer<typeof scoresTierSchema>;
export type HistoricTier = z.infer<typeof historicTierSchema>;
export type ClickhouseTierState = z.infer<typeof clickhouseTierSchema>;
export type ConversationTier = z.infer<typeof conversationTierSchema>;
export type Unreachable = z.infer<typeof unreachableSchema>;
export type CheckResult = z.infer<typeof checkResultSchema>;

export const VERDICT_TITLES: Record<Verdict, string> = {
  not_found: 'Not found',
  excluded_calibration: 'Calibration scorecard (skipped by design)',
  excluded_non_original: 'Non-original scorecard (skipped by design)',
  no_scores: 'No scores',
  conversation_missing: 'Conversation missing',
  missing_historic: 'Missing from historic',
  partial_historic: 'Partially in historic',
  missing_clickhouse: 'Missing from ClickHouse',
  healthy: 'Healthy',
};
