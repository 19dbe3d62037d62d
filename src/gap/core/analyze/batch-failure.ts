// batch_failure: one hour with far more scorecards than usual, most of them missing, on its own.
//
// "Usual" is the median non-empty hour of the population over the whole scanned range (history included, so a month
// of failures cannot redefine normal); robust to the batch itself and to quiet nights. The hour must be >= 5x that
// and >= 50 scorecards, >= 50% missing, and its rate must exceed the rest of its own day by >= 0.25 (the failure is
// the hour's, not the day's). Hours inside a recurring run of the same hour of day are that run's, not isolated
// batches. `templates` is left empty: the service fills it from a follow-up query.
import type { Finding, Population } from '../report.js';
import type { HourCell } from '../series.js';
import type { RecurringRun } from './recurring-failure.js';
import { median, pool, rateOf, type Tally } from './stats.js';
import { BATCH } from './thresholds.js';
import { dateOf, hourOfDay } from './view.js';

export type BatchFinding = Extract<Finding, { kind: 'batch_failure' }>;

/** Median total of the non-empty hours (the series only lists hours with volume). */
export function typicalHourTotal(scannedCells: readonly HourCell[]): number {
  return median(scannedCells.filter((c) => c.total > 0).map((c) => c.total));
}

/**
 * @param cells the population's hours inside the period.
 * @param typical typicalHourTotal over the scanned range.
 * @param recurring runs already found for this population (their hours are not isolated).
 */
export function findBatchFailures(
  population: Population,
  cells: readonly HourCell[],
  typical: number,
  recurring: readonly RecurringRun[],
): BatchFinding[] {
  const days = new Map<string, Tally>();
  for (const c of cells) {
    const date = dateOf(c.hour);
    const d = days.get(date) ?? { total: 0, missing: 0 };
    days.set(date, { total: d.total + c.total, missing: d.missing + c.missing });
  }
  const all = pool(cells);
  const threshold = Math.max(BATCH.minTotal, BATCH.timesTypical * typical);
  const out: BatchFinding[] = [];
  for (const c of cells) {
    if (c.total < threshold || rateOf(c) < BATCH.minMissingRate) continue;
    const date = dateOf(c.hour);
    const day = days.get(date) ?? c;
    const restOfDay = { total: day.total - c.total, missing: day.missing - c.missing };
    // A day that is only this hour is compared with the rest of the period instead.
    const rest = restOfDay.total > 0 ? restOfDay : { total: all.total - c.total, missing: all.missing - c.missing };
    if (rateOf(c) - rateOf(rest) < BATCH.minExcessOverDay) continue;
    const h = hourOfDay(c.hour);
    const inRun = recurring.some(
      (r) => r.finding.hourOfDay === h && r.finding.from <= date && date <= r.finding.to,
    );
    if (inRun) continue;
    out.push({
      kind: 'batch_failure',
      population,
      at: new Date(c.hour).toISOString(),
      total: c.total,
      missing: c.missing,
      typicalHourTotal: typical,
      templates: [],
    });
  }
  return out.sort((a, b) => a.at.localeCompare(b.at));
}
