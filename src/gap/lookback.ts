// The look-back: when a loss was already there on the first day scanned, scan the months before, one at a time
// and newest first, with the same read-only day windows, until a month without loss (or without scorecards: the
// customer's start) or gap.lookbackMonths. Bounded by design: it stops at the first clean month.
//
// Planning and deciding are pure; runLookback is the small shell that scans (scanWindow through the caller's `scan`).
import type { EarlierScan } from './core/analyze/index.js';
import { isBad, pool, wilsonLower } from './core/analyze/stats.js';
import { CHRONIC } from './core/analyze/thresholds.js';
import { dailyOf } from './core/analyze/view.js';
import type { Finding, Population } from './core/report.js';
import type { HourCell } from './core/series.js';
import { mapPool } from '../shared/map-pool.js';
import { mergeWindows } from './core/merge-windows.js';
import type { WindowCounts } from './core/window-counts.js';
import { dayWindows, type TimeWindow } from './core/windows.js';

export type LookbackStop = 'clean' | 'no_scorecards' | 'limit';

/** Populations whose loss was already there on the first day scanned: a chronic stretch reaching back to it, or an
 *  onset whose first missing scorecard or first bad day is on it. */
export function lookbackNeeded(findings: readonly Finding[]): Population[] {
  const need = new Set<Population>();
  for (const f of findings) {
    if (f.kind === 'chronic' && f.before === 'not_scanned') need.add(f.population);
    if (f.kind === 'onset' && f.earlierThanScan) need.add(f.population);
  }
  return (['submitted', 'unsubmitted'] as const).filter((p) => need.has(p));
}

/** The calendar months before `scannedFrom`, newest first, at most `maxMonths`; the first may be partial. */
export function lookbackMonths(scannedFrom: string, maxMonths: number): TimeWindow[] {
  const out: TimeWindow[] = [];
  let to = new Date(scannedFrom);
  for (let i = 0; i < maxMonths; i++) {
    const back = new Date(to.getTime() - 1);
    const from = new Date(Date.UTC(back.getUTCFullYear(), back.getUTCMonth(), 1));
    out.push({ from: from.toISOString(), to: to.toISOString() });
    to = from;
  }
  return out;
}

/** One month of one population: still losing, clean (no bad day and a pooled rate not steadily above the chronic
 *  floor: a stray one-off does not keep the look-back going), or no scorecards at all. */
export function monthVerdict(cells: readonly HourCell[]): 'loss' | LookbackStop {
  const days = dailyOf(cells);
  const tally = pool(days);
  if (tally.total === 0) return 'no_scorecards';
  if (days.some(isBad) || wilsonLower(tally) > CHRONIC.minLowerBound) return 'loss';
  return 'clean';
}

export interface LookbackProgress {
  month: string;
  windowsDone: number;
  /** Windows of the months started so far (the look-back does not know in advance where it stops). */
  windowsTotal: number;
}

export interface LookbackDeps {
  scan: (window: TimeWindow) => Promise<WindowCounts>;
  concurrency: number;
  attempts: number;
  backoffMs?: number;
  onProgress?: (p: LookbackProgress) => void;
}

export interface LookbackResult {
  earlier: EarlierScan;
  stoppedBy: Partial<Record<Population, LookbackStop>>;
  /** Extra day windows scanned. */
  windows: number;
  /** The first hour holding a missing scorecard in the months scanned, per population (null: none). */
  firstMissingHour: Record<Population, string | null>;
}

export async function runLookback(
  deps: LookbackDeps,
  scannedFrom: string,
  maxMonths: number,
  populations: readonly Population[],
): Promise<LookbackResult> {
  const active = new Set(populations);
  // Each population keeps only the months up to the one its look-back stopped at.
  const fromOf: Partial<Record<Population, string>> = {};
  const stoppedBy: LookbackResult['stoppedBy'] = {};
  const scanned: WindowCounts[] = [];
  let from = scannedFrom;
  let done = 0;
  let total = 0;
  for (const month of lookbackMonths(scannedFrom, maxMonths)) {
    if (active.size === 0) break;
    const windows = dayWindows(new Date(month.from), new Date(month.to));
    total += windows.length;
    const label = month.from.slice(0, 7);
    const results = await mapPool(windows, (w) => deps.scan(w), {
      concurrency: deps.concurrency,
      attempts: deps.attempts,
      backoffMs: deps.backoffMs,
      onItemDone: () => deps.onProgress?.({ month: label, windowsDone: ++done, windowsTotal: total }),
    });
    scanned.push(...results);
    from = month.from;
    const merged = mergeWindows(results, month);
    for (const p of [...active]) {
      fromOf[p] = month.from;
      const verdict = monthVerdict(merged.hourly[p]);
      if (verdict !== 'loss') {
        stoppedBy[p] = verdict;
        active.delete(p);
      }
    }
  }
  for (const p of active) stoppedBy[p] = 'limit';
  const merged = mergeWindows(scanned, { from, to: scannedFrom });
  const own = (p: Population): HourCell[] => merged.hourly[p].filter((c) => c.hour >= (fromOf[p] ?? scannedFrom));
  const hourly = { submitted: own('submitted'), unsubmitted: own('unsubmitted') };
  const firstMissing = (p: Population): string | null => (active.has(p) || p in stoppedBy ? (hourly[p].find((c) => c.missing > 0)?.hour ?? null) : null);
  return {
    earlier: { from: new Date(from).toISOString(), hourly },
    stoppedBy,
    windows: scanned.length,
    firstMissingHour: { submitted: firstMissing('submitted'), unsubmitted: firstMissing('unsubmitted') },
  };
}
