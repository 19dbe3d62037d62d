import { z } from 'zod';
import type { ReadOnlyDb } from '../sources/read-only-db.js';
import { windowCountsQuery } from './queries.js';
import type { TimeWindow } from './windows.js';

// One window's result: small, plain and serialisable, so it can be a BullMQ child job's return value.

export const windowRowSchema = z.object({
  hour: z.string(),
  submitted_date: z.string().nullable(),
  cls: z.enum(['in_scope', 'calibration', 'non_original']),
  total: z.number().int(),
  missing: z.number().int(),
});
export type WindowRow = z.infer<typeof windowRowSchema>;

export const windowCountsSchema = z.object({
  window: z.object({ from: z.string(), to: z.string() }),
  rows: z.array(windowRowSchema),
  elapsedMs: z.number(),
});
export type WindowCounts = z.infer<typeof windowCountsSchema>;

export async function scanWindow(db: ReadOnlyDb, customer: string, profile: string, window: TimeWindow): Promise<WindowCounts> {
  const started = performance.now();
  const q = windowCountsQuery(customer, profile, new Date(window.from), new Date(window.to));
  const rows = z.array(windowRowSchema).parse(await db.query(q.text, q.values));
  return { window, rows, elapsedMs: Math.round(performance.now() - started) };
}
