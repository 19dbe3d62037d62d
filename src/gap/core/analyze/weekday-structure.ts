// Weekday structure of a daily missing-rate series: does the rate follow the day of the week (a weekend batch
// that fails, a job that only misbehaves on Mondays) rather than one level? Pure.
//
// Method (the seasonal step of an STL-style decomposition, on counts): each day is judged against its own week,
// i.e. against the pooled rate of the other days within +-3 calendar days (the local level). Its expected missing
// is its volume times that level. Per weekday, observed over expected missing, shrunk towards 1 by a prior of a
// few expected missing, is the weekday's factor. Because every day is compared with its own neighbours, a step in
// the level (0% -> 50% on Mar 1) is not mistaken for a weekday effect: each weekday sees the step equally. Because
// days weigh by their volume, a 300-a-day weekday beside a 4-a-day weekend is not a pattern either.
// Significance: the Poisson deviance of the seven weekday totals against their expectations, divided by the
// day-to-day over-dispersion left once the weekday factors are applied (quasi-likelihood, as the change-point
// test does), against chi-square with 6 df at p = 1e-4. A pattern also needs size: the worst weekday at least
// twice the best (thresholds.ts WEEKDAY).
//
// No maintained JavaScript library does seasonal decomposition of binomial counts with volume weights (the STL
// ports on npm are unmaintained and work on continuous values), so the dozen lines are here, with their reasons.
import { pool, rateOf, type Tally } from './stats.js';
import { WEEKDAY } from './thresholds.js';
import { addDays, type DayTally } from './view.js';

export interface WeekdayProfile {
  /** Factor of the missing rate per weekday (0 = Sunday .. 6 = Saturday, UTC), volume-weighted mean 1. All 1
   *  when the structure is not significant. */
  factors: number[];
  /** Over-dispersion-scaled deviance of the weekday totals (chi-square, 6 df). */
  statistic: number;
  /** Significant and large (WEEKDAY): the rate is a weekly pattern, not one level. */
  weekly: boolean;
}

const FLAT: WeekdayProfile = { factors: [1, 1, 1, 1, 1, 1, 1], statistic: 0, weekly: false };
export const weekdayOf = (date: string): number => new Date(`${date}T00:00:00.000Z`).getUTCDay();

/** Each day's expected missing at the level of the rest of its week (the other days within +-3 days). */
function expectedAtLocalLevel(days: readonly DayTally[]): { day: DayTally; expected: number }[] {
  const byDate = new Map(days.map((d) => [d.date, d]));
  return days.map((day) => {
    const around: Tally[] = [];
    for (let k = -3; k <= 3; k++) {
      const other = k === 0 ? undefined : byDate.get(addDays(day.date, k));
      if (other) around.push(other);
    }
    return { day, expected: day.total * rateOf(pool(around)) };
  });
}

export function weekdayProfile(days: readonly DayTally[]): WeekdayProfile {
  const first = days[0]?.date;
  const last = days[days.length - 1]?.date;
  if (first === undefined || last === undefined || addDays(first, WEEKDAY.minSpanDays - 1) > last) return FLAT;
  const judged = expectedAtLocalLevel(days);
  const observed = new Array<number>(7).fill(0);
  const expected = new Array<number>(7).fill(0);
  for (const { day, expected: e } of judged) {
    const w = weekdayOf(day.date);
    observed[w] = (observed[w] ?? 0) + day.missing;
    expected[w] = (expected[w] ?? 0) + e;
  }
  const allExpected = expected.reduce((s, e) => s + e, 0);
  if (allExpected <= 0) return FLAT;
  const a = WEEKDAY.priorExpected;
  const raw = observed.map((m, w) => (m + a) / ((expected[w] ?? 0) + a));
  // Normalise to a volume-weighted mean of 1, so a factor reads "times the week's level".
  const mean = raw.reduce((s, f, w) => s + f * (expected[w] ?? 0), 0) / allExpected;
  const factors = raw.map((f) => f / mean);
  let deviance = 0;
  observed.forEach((m, w) => {
    const e = expected[w] ?? 0;
    if (e > 0) deviance += 2 * ((m > 0 ? m * Math.log(m / e) : 0) - (m - e));
    else if (m > 0) deviance += 2 * m; // missing where the week had none at all: counted, never a division by 0
  });
  let pearson = 0;
  let n = 0;
  for (const { day, expected: e } of judged) {
    const fitted = e * (factors[weekdayOf(day.date)] ?? 1);
    if (fitted <= 0) continue;
    pearson += (day.missing - fitted) ** 2 / fitted;
    n += 1;
  }
  const dispersion = n > 7 ? Math.max(1, pearson / (n - 7)) : 1;
  const statistic = deviance / dispersion;
  const present = factors.filter((_, w) => (expected[w] ?? 0) > 0 || (observed[w] ?? 0) > 0);
  const ratio = Math.max(...present) / Math.max(1e-12, Math.min(...present));
  const weekly = statistic >= WEEKDAY.critical && ratio >= WEEKDAY.minRatio;
  return weekly ? { factors, statistic, weekly } : { ...FLAT, statistic };
}

/** A stretch's rate as if each of its days were an average weekday: missing over weekday-weighted volume. */
export function standardisedRate(days: readonly DayTally[], factors: readonly number[]): number {
  let weighted = 0;
  let missing = 0;
  for (const d of days) {
    weighted += d.total * (factors[weekdayOf(d.date)] ?? 1);
    missing += d.missing;
  }
  return weighted > 0 ? Math.min(1, missing / weighted) : 0;
}
