// weekly_failure: the same weekday(s) fail week after week, at one UTC hour (a 10:00 batch that loses 80% every
// Saturday and Sunday) or over the whole day, while the other days of the week are healthy. Pure.
//
// A slot is an hour of the day, or the whole day. Per slot, each date of the period is failing, clean (enough
// volume, not failing) or quiet (too little to judge). An hour is failing by recurring-failure's own judgement
// (high in itself and well above the rest of its day); a whole day when it is well above the rest of its week
// (the other days within +-3 days), with the same floors and z test. The failing weekdays are those where at
// least half of the judged occurrences fail; six or seven of them is a daily failure (recurring_failure's), not a
// weekly one. Runs are then built over the occurrences of those weekdays only, as recurring-failure builds them
// over days: a failing occurrence extends the run, a quiet one is skipped, a clean one ends it and is its fixedOn
// (the slot came round clean). A run is weekly when it failed in >= 3 different weeks and the other days of its
// span were seen healthy at the same slot. Rates and ratios only: the same shapes at any volume above the floors.
import type { Finding, Population } from '../report.js';
import type { HourCell } from '../series.js';
import { gridOf, isFailingCell } from './recurring-failure.js';
import { pool, rateOf, twoProportionZ, type Tally } from './stats.js';
import { RECURRING, WEEKLY } from './thresholds.js';
import { addDays, dateOf, hourOn } from './view.js';
import { weekdayOf } from './weekday-structure.js';

export type WeeklyFinding = Extract<Finding, { kind: 'weekly_failure' }>;

export interface WeeklyRun {
  finding: WeeklyFinding;
  /** The failing occurrences' hours (ISO), i.e. what this finding explains. */
  hours: string[];
}

type State = 'failing' | 'clean' | 'quiet';
interface Occurrence extends Tally {
  date: string;
  state: State;
  hours: string[];
}

/** Is a whole day failing, against the rest of its week? */
function isFailingDay(day: Tally, week: Tally): boolean {
  if (day.total < RECURRING.minCellTotal || day.missing < RECURRING.minCellMissing) return false;
  const rate = rateOf(day);
  if (rate < WEEKLY.minDayRate) return false;
  if (week.total === 0) return false; // nothing to compare with: a whole-day failure, not a weekly one
  return rate - rateOf(week) >= WEEKLY.minDayExcess && twoProportionZ(day, week) >= RECURRING.minZ;
}

/** Monday of the date's week (UTC): weeks run Monday to Sunday, so a weekend is one week. */
const weekOf = (date: string): string => addDays(date, -((weekdayOf(date) + 6) % 7));

/** The next instant at or after `end` on one of the weekdays (at `hour`, or midnight for a whole day). */
function nextOccurrence(end: string, weekdays: readonly number[], hour: number | null): string | null {
  const endMs = Date.parse(end);
  for (let d = addDays(dateOf(end), -1), i = 0; i < 9; i++, d = addDays(d, 1)) {
    const at = hourOn(d, hour ?? 0);
    if (weekdays.includes(weekdayOf(d)) && Date.parse(at) >= endMs) return at;
  }
  return null;
}

function runsOfSlot(
  population: Population,
  hour: number | null,
  occurrences: readonly Occurrence[],
  periodEnd: string,
): WeeklyRun[] {
  const judged = [0, 1, 2, 3, 4, 5, 6].map((w) => occurrences.filter((o) => weekdayOf(o.date) === w && o.state !== 'quiet'));
  const weekdays = judged
    .map((os, w) => ({ w, failing: os.filter((o) => o.state === 'failing').length, judged: os.length }))
    .filter((x) => x.failing >= 2 && x.failing >= WEEKLY.minWeekdayShare * x.judged)
    .map((x) => x.w);
  if (weekdays.length === 0 || weekdays.length > WEEKLY.maxWeekdays) return [];
  const runs: WeeklyRun[] = [];
  let run: Occurrence[] = [];
  let quiet = 0;
  const close = (fixedOn: string | null): void => {
    if (run.length > 0) {
      const r = toRun(population, hour, weekdays, run, occurrences, fixedOn, periodEnd);
      if (r) runs.push(r);
    }
    run = [];
    quiet = 0;
  };
  for (const o of occurrences) {
    if (!weekdays.includes(weekdayOf(o.date))) continue;
    if (o.state === 'failing') {
      run.push(o);
      quiet = 0;
    } else if (run.length === 0) continue;
    else if (o.state === 'quiet') {
      quiet += 1;
      if (quiet > WEEKLY.maxQuietOccurrences) close(null); // it stopped running; when it was fixed is unknown
    } else close(o.date);
  }
  close(null);
  return runs;
}

function toRun(
  population: Population,
  hour: number | null,
  weekdays: readonly number[],
  run: readonly Occurrence[],
  all: readonly Occurrence[],
  fixedOn: string | null,
  periodEnd: string,
): WeeklyRun | null {
  const from = run[0]?.date ?? '';
  const to = run[run.length - 1]?.date ?? '';
  const weeks = new Set(run.map((o) => weekOf(o.date))).size;
  if (weeks < WEEKLY.minWeeks || run.length < WEEKLY.minOccurrences) return null;
  // The other days of the span, at the same slot, must be seen healthy.
  const others = all.filter((o) => o.date > from && o.date < to && !weekdays.includes(weekdayOf(o.date)) && o.state !== 'quiet');
  const failingOthers = others.filter((o) => o.state === 'failing').length;
  if (others.length - failingOthers < weeks - 1 || failingOthers > WEEKLY.maxOtherFailingShare * others.length) return null;
  const sum = pool(run);
  return {
    finding: {
      kind: 'weekly_failure',
      population,
      weekdays: [...weekdays],
      hourOfDay: hour,
      from,
      to,
      weeks,
      occurrences: run.map((o) => ({ date: o.date, total: o.total, missing: o.missing })),
      total: sum.total,
      missing: sum.missing,
      missingRate: rateOf(sum),
      fixedOn,
      nextExpected: fixedOn === null ? nextOccurrence(periodEnd, weekdays, hour) : null,
    },
    hours: run.flatMap((o) => o.hours),
  };
}

/**
 * @param cells the population's hours inside the period.
 * @param dates every date of the period in order (empty ones included).
 * @param periodEnd the period's end (ISO, exclusive): where "next expected" is counted from.
 */
export function findWeeklyFailures(
  population: Population,
  cells: readonly HourCell[],
  dates: readonly string[],
  periodEnd: string,
): WeeklyRun[] {
  const out: WeeklyRun[] = [];
  // Hour slots first: a failing hour is the hour's, and is removed before whole days are judged.
  const grid = gridOf(cells);
  for (let h = 0; h < 24; h++) {
    const hourTotal = grid.hourTotals[h] ?? { total: 0, missing: 0 };
    const otherHours = { total: grid.all.total - hourTotal.total, missing: grid.all.missing - hourTotal.missing };
    const occurrences = dates.map((date): Occurrence => {
      const cell = grid.cells.get(`${date}|${h}`);
      const day = grid.days.get(date) ?? { total: 0, missing: 0 };
      const tally = cell ?? { total: 0, missing: 0 };
      // A day with (almost) nothing but the slot (a weekend: the batch and 4 others) cannot show that the hour is
      // the odd one out; its rest of the day is then the other hours of the period, as for a day of one hour.
      const against = cell && day.total - cell.total < RECURRING.minCellTotal ? cell : day;
      const state: State =
        cell && isFailingCell(cell, against, otherHours) ? 'failing' : tally.total < RECURRING.minCellTotal ? 'quiet' : 'clean';
      return { date, ...pickTally(tally), state, hours: cell ? [cell.hour] : [] };
    });
    out.push(...runsOfSlot(population, h, occurrences, periodEnd));
  }
  const explained = new Set(out.flatMap((r) => r.hours));
  const days = new Map<string, Tally & { hours: string[] }>();
  for (const c of cells) {
    if (explained.has(c.hour) || c.total <= 0) continue;
    const date = dateOf(c.hour);
    const d = days.get(date) ?? { total: 0, missing: 0, hours: [] };
    days.set(date, { total: d.total + c.total, missing: d.missing + c.missing, hours: [...d.hours, c.hour] });
  }
  const occurrences = dates.map((date): Occurrence => {
    const day = days.get(date) ?? { total: 0, missing: 0, hours: [] };
    const week: Tally[] = [];
    for (let k = -3; k <= 3; k++) {
      const other = k === 0 ? undefined : days.get(addDays(date, k));
      if (other) week.push(other);
    }
    const state: State = isFailingDay(day, pool(week)) ? 'failing' : day.total < RECURRING.minCellTotal ? 'quiet' : 'clean';
    return { date, ...pickTally(day), state, hours: day.hours };
  });
  out.push(...runsOfSlot(population, null, occurrences, periodEnd));
  return out.sort((a, b) => a.finding.from.localeCompare(b.finding.from) || (a.finding.hourOfDay ?? 24) - (b.finding.hourOfDay ?? 24));
}

const pickTally = (t: Tally): Tally => ({ total: t.total, missing: t.missing });

/** Hours of a weekly finding's occurrences, for the hourly table (a whole-day one shows none: its days do). */
export function weeklyHours(f: WeeklyFinding): string[] {
  if (f.hourOfDay === null) return [];
  const h = f.hourOfDay;
  const hours = f.occurrences.map((o) => hourOn(o.date, h));
  if (f.fixedOn !== null) hours.push(hourOn(f.fixedOn, h));
  return hours;
}
