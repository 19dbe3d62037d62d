import { z } from 'zod';

// One window's result: small, plain and serialisable, so it can be a BullMQ child job's return value.

export const windowRowSchema = z.object({
  hour: z.string(),
  submitted_date: z.string().nullable(),
  cls: z.enum(['in_scope', 'calibration', 'non_original']),
  total: z.number().int(),
  missing: z.number().int(),
  /** In historic, but a director score lacks its historic row (criteria as sets): disjoint from missing. */
  partial: z.number().int(),
  /** Newer than the run's settle cutoff: not in total, missing or partial. */
  in_flight: z.number().int(),
});
export type WindowRow = z.infer<typeof windowRowSchema>;

export const windowCountsSchema = z.object({
  window: z.object({ from: z.string(), to: z.string() }),
  rows: z.array(windowRowSchema),
  elapsedMs: z.number(),
});
export type WindowCounts = z.infer<typeof windowCountsSchema>;
