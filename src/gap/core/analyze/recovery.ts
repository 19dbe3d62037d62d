// recovery: the day from which the daily missing rate stays at ~0 to the end of the period, after it had clearly
// been non-zero. Reported instead of a downward change point (the caller then looks for change points only before
// it). The day after the last bad day (stats.isBad) is the earliest candidate; the first candidate whose pooled
// rate to the end is <= 0.5% wins, so a lone straggler just after the fix moves the day by one instead of hiding
// the recovery. "Clearly non-zero" before: the few days just before, pooled, form a bad day, and the period had
// at least two bad days (one failing day, e.g. an isolated batch left in the series, is not an episode).
// A weekly failure (weekly-failure.ts) is not over until its slot has come round clean: the caller passes no
// recovery while one is still failing, and `notBefore` (the slot's first clean occurrence) otherwise, so the
// Monday after a failing weekend is never a recovery. The same holds where the weekly failure is below the
// detector's floors (5 scorecards a slot at 1/100 volume): when the days up to the last bad one have a weekly
// pattern (weekday-structure.ts), every weekday above the week's level must have come round after the candidate
// day, or it is a lull between two failing weekends, not a recovery.
import type { Finding, Population } from '../report.js';
import { isBad, pool, rateOf } from './stats.js';
import { RECOVERY } from './thresholds.js';
import type { DayTally } from './view.js';
import { weekdayOf, weekdayProfile } from './weekday-structure.js';

export type RecoveryFinding = Extract<Finding, { kind: 'recovery' }>;

/**
 * @param days daily tallies of the period (days with volume only, sorted), explained hours removed.
 * @param notBefore the earliest day a recovery may be declared ('YYYY-MM-DD'), if any.
 */
export function findRecovery(population: Population, days: readonly DayTally[], notBefore?: string): RecoveryFinding | null {
  let lastBad = -1;
  let badDays = 0;
  days.forEach((d, i) => {
    if (isBad(d)) {
      lastBad = i;
      badDays += 1;
    }
  });
  if (lastBad < 0 || badDays < RECOVERY.minBadDays) return null;
  const lookback = pool(days.slice(Math.max(0, lastBad + 1 - RECOVERY.lookbackDays), lastBad + 1));
  if (!isBad(lookback)) return null;
  const profile = weekdayProfile(days.slice(0, lastBad + 1));
  const failingWeekdays = profile.weekly ? [0, 1, 2, 3, 4, 5, 6].filter((w) => (profile.factors[w] ?? 1) > 1) : [];
  for (let r = lastBad + 1; r <= days.length - RECOVERY.minDaysAfter; r++) {
    const after = pool(days.slice(r));
    const day = days[r];
    const cameRound = failingWeekdays.every((w) => days.slice(r).some((d) => weekdayOf(d.date) === w));
    if (day && cameRound && (notBefore === undefined || day.date >= notBefore) && rateOf(after) <= RECOVERY.maxRateAfter) {
      return { kind: 'recovery', population, at: day.date, rateAfter: rateOf(after) };
    }
  }
  return null;
}
