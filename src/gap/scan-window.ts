import { z } from 'zod';
import type { ReadOnlyDb } from '../sources/read-only-db.js';
import { windowCountsQuery } from './core/queries.js';
import { windowRowSchema, type WindowCounts } from './core/window-counts.js';
import type { TimeWindow } from './core/windows.js';

/** Runs one window's count query (read-only) and returns its rows as plain data. `settledBefore`: the run's settle
 *  cutoff (never the window's own clock: every window of a run judges against the same instant). */
export async function scanWindow(db: ReadOnlyDb, customer: string, profile: string, window: TimeWindow, settledBefore: Date): Promise<WindowCounts> {
  const started = performance.now();
  const q = windowCountsQuery(customer, profile, new Date(window.from), new Date(window.to), settledBefore);
  const rows = z.array(windowRowSchema).parse(await db.query(q.text, q.values));
  return { window, rows, elapsedMs: Math.round(performance.now() - started) };
}
