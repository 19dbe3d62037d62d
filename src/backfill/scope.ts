import { z } from 'zod';
import type { CustomerConfig } from '../config/schema.js';
import type { Period } from '../period/parse-period.js';
import { BotError } from '../shared/errors.js';

// What a backfill covers: one customer and a period (both populations), or one scorecard. Stored with the request
// and hashed into the plan, so it is plain JSON, parsed with zod wherever it comes back in.

export const backfillScopeSchema = z
  .object({
    customer: z.string().min(1),
    profile: z.string().min(1),
    from: z.string().datetime(),
    to: z.string().datetime(),
    label: z.string(),
    /** Set: "Backfill this scorecard" (from/to are then the day it was created). */
    scorecardId: z.string().min(1).max(100).optional(),
    /** Whether the job also writes ClickHouse (configured and backfill.clickhouse on). */
    clickhouse: z.boolean(),
  })
  .strict();
export type BackfillScope = z.infer<typeof backfillScopeSchema>;

const MAX_SCOPE_MS = 397 * 86_400_000; // 13 months, as the gap command allows

export function periodScope(customer: CustomerConfig, period: Period, clickhouse: boolean): BackfillScope {
  if (period.to.getTime() - period.from.getTime() > MAX_SCOPE_MS) {
    throw new BotError('BAD_INPUT', `A backfill covers at most 13 months; ${period.label} is longer.`, { hint: 'Narrow it, e.g. jan-2026.' });
  }
  return {
    customer: customer.name,
    profile: customer.profile,
    from: period.from.toISOString(),
    to: period.to.toISOString(),
    label: period.label,
    clickhouse,
  };
}

/** One scorecard: the window is the UTC day it was created (looked up read-only by the caller). */
export function scorecardScope(customer: CustomerConfig, scorecardId: string, createdAt: Date, clickhouse: boolean): BackfillScope {
  const from = Date.UTC(createdAt.getUTCFullYear(), createdAt.getUTCMonth(), createdAt.getUTCDate());
  return {
    customer: customer.name,
    profile: customer.profile,
    from: new Date(from).toISOString(),
    to: new Date(from + 86_400_000).toISOString(),
    label: `scorecard ${scorecardId}`,
    scorecardId,
    clickhouse,
  };
}
