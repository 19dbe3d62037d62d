// recurring_failure: the same UTC hour fails day after day (a scheduled job), then stops.
//
// A cell (one hour of one day) is failing when, with enough volume to judge, its missing rate is high in itself AND
// well above the rest of the same day (two-proportion z): chronic background missing spread over the day is not
// an hour's failure, and an all-day failure is not one hour's either. For each hour of the day, runs are built over
// the period's days: failing days extend a run; a day where the hour has (almost) no volume, relative to the run's
// usual volume, is "no job that day" and is skipped (up to a couple in a row); any other day ends the run and is
// its fixedOn. A run of >= 3 failing days is reported. Everything is rates and ratios, so 60k-a-day and 600-a-day
// batches give the same runs.
import type { Finding, Population } from '../report.js';
import type { HourCell } from '../series.js';
import { median, pool, rateOf, twoProportionZ, type Tally } from './stats.js';
import { RECURRING } from './thresholds.js';
import { dateOf, hourOfDay } from './view.js';

export type RecurringFinding = Extract<Finding, { kind: 'recurring_failure' }>;

export interface RecurringRun {
  finding: RecurringFinding;
  /** The failing cells' hours (ISO), i.e. what this finding explains. */
  hours: string[];
}

export interface Grid {
  cells: Map<string, HourCell>; // key: date + '|' + hour of day
  days: Map<string, Tally>;
  hourTotals: Tally[]; // per hour of day, over the period
  all: Tally;
}

export function gridOf(cells: readonly HourCell[]): Grid {
  const grid: Grid = { cells: new Map(), days: new Map(), hourTotals: [], all: pool(cells) };
  for (let h = 0; h < 24; h++) grid.hourTotals.push({ total: 0, missing: 0 });
  for (const c of cells) {
    const date = dateOf(c.hour);
    const h = hourOfDay(c.hour);
    const key = `${date}|${h}`;
    const prev = grid.cells.get(key);
    grid.cells.set(key, prev ? { ...prev, total: prev.total + c.total, missing: prev.missing + c.missing } : c);
    const day = grid.days.get(date) ?? { total: 0, missing: 0 };
    grid.days.set(date, { total: day.total + c.total, missing: day.missing + c.missing });
    const ht = grid.hourTotals[h];
    if (ht) {
      ht.total += c.total;
      ht.missing += c.missing;
    }
  }
  return grid;
}

/** Is this hour of this day failing, compared with the rest of its day (or, if it is the whole day, with the rest
 *  of the period's hours)? Exported so the same judgement can be reused. */
export function isFailingCell(cell: Tally, day: Tally, otherHours: Tally): boolean {
  if (cell.total < RECURRING.minCellTotal || cell.missing < RECURRING.minCellMissing) return false;
  const rate = rateOf(cell);
  if (rate < RECURRING.minRate) return false;
  const restOfDay = { total: day.total - cell.total, missing: day.missing - cell.missing };
  const rest = restOfDay.total > 0 ? restOfDay : otherHours;
  if (rest.total === 0) return true; // nothing to compare with: a high rate on enough volume is all we have
  return rate - rateOf(rest) >= RECURRING.minExcess && twoProportionZ(cell, rest) >= RECURRING.minZ;
}

/** @param dates every date of the period in order (empty ones included). */
export function findRecurringFailures(
  population: Population,
  cells: readonly HourCell[],
  dates: readonly string[],
): RecurringRun[] {
  const grid = gridOf(cells);
  const runs: RecurringRun[] = [];
  for (let h = 0; h < 24; h++) {
    const hourTotal = grid.hourTotals[h] ?? { total: 0, missing: 0 };
    const otherHours = { total: grid.all.total - hourTotal.total, missing: grid.all.missing - hourTotal.missing };
    let run: HourCell[] = [];
    let quiet = 0;
    const close = (fixedOn: string | null): void => {
      if (run.length >= RECURRING.minDays) runs.push(toRun(population, h, run, fixedOn));
      run = [];
      quiet = 0;
    };
    for (const date of dates) {
      const cell = grid.cells.get(`${date}|${h}`);
      const day = grid.days.get(date) ?? { total: 0, missing: 0 };
      if (cell && isFailingCell(cell, day, otherHours)) {
        run.push(cell);
        quiet = 0;
        continue;
      }
      if (run.length === 0) continue;
      const usual = median(run.map((c) => c.total));
      const volume = cell?.total ?? 0;
      if (volume < Math.max(RECURRING.minCellTotal, RECURRING.quietShare * usual)) {
        quiet += 1; // the job did not run (or barely): neither a failure nor a fix
        if (quiet > RECURRING.maxQuietDays) close(null); // it stopped running; when it was fixed is unknown
        continue;
      }
      close(date);
    }
    close(null); // still failing (or silent) at the end of the period
  }
  return runs.sort((a, b) => a.finding.from.localeCompare(b.finding.from) || a.finding.hourOfDay - b.finding.hourOfDay);
}

function toRun(population: Population, hourOfDay: number, cells: HourCell[], fixedOn: string | null): RecurringRun {
  const first = cells[0];
  const last = cells[cells.length - 1];
  if (!first || !last) throw new Error('a recurring run has at least one cell');
  const sum = pool(cells);
  return {
    finding: {
      kind: 'recurring_failure',
      population,
      hourOfDay,
      from: dateOf(first.hour),
      to: dateOf(last.hour),
      fixedOn,
      missingRate: rateOf(sum),
      days: cells.length,
      total: sum.total,
      missing: sum.missing,
    },
    hours: cells.map((c) => c.hour),
  };
}
