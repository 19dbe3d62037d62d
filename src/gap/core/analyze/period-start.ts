// A step into the period: healthy through February, 50% missing from Mar 1 00:00. The change points are looked for
// inside the period, where a step on its first day has no "before", and where a step a few quiet days in (nclh: 3
// scorecards a day, losing from Jan 11) cannot be told from noise with only the period's own first days as its
// before. The days scanned before the period (its history, or the months the look-back read) are that before.
// Pure.
//
// The level before is the last segment of those earlier days (segmented with the same rules, so "0% through Feb"
// is the stretch since the last change before the period). It is joined to the period's first segment (up to its
// first change point, so the step's `after` is the next point's `before`), and the best split of the joined days
// at or after the period's first day must pass the change-point tests (size, effect, significance). When that
// split is the period's first day, the step is `atPeriodStart`.
import { segmentDays, splitAt, toChangePoint, type ChangePointFinding, type Split } from './change-point.js';
import type { Population } from '../report.js';
import { CHANGE_POINT } from './thresholds.js';
import type { DayTally } from './view.js';

/**
 * @param earlier residual daily tallies before the period (history and look-back), sorted.
 * @param periodDays residual daily tallies of the period before any recovery, sorted.
 * @param periodSplits the change points found in periodDays (segmentDays), sorted.
 * @param periodStart the period's first day, 'YYYY-MM-DD'.
 */
export function findPeriodStartStep(
  population: Population,
  earlier: readonly DayTally[],
  periodDays: readonly DayTally[],
  periodSplits: readonly Split[],
  periodStart: string,
): ChangePointFinding | null {
  if (earlier.length === 0 || periodDays.length === 0) return null;
  const earlierSplits = segmentDays(earlier, CHANGE_POINT);
  const lastLevel = earlier.slice(earlierSplits[earlierSplits.length - 1]?.at ?? 0);
  const firstLevel = periodDays.slice(0, periodSplits[0]?.at ?? periodDays.length);
  const joined = [...lastLevel, ...firstLevel];
  let best: Split | null = null;
  for (let k = lastLevel.length; k <= joined.length - CHANGE_POINT.minSegmentDays; k++) {
    const split = splitAt(joined, 0, k, joined.length, CHANGE_POINT);
    if (split && (best === null || split.statistic > best.statistic)) best = split;
  }
  if (best === null || best.statistic < CHANGE_POINT.critical) return null;
  const point = toChangePoint(population, joined, best);
  if (best.at > lastLevel.length) return point; // a step inside the period's first segment, seen against the history
  return {
    ...point,
    ...(point.at === periodStart ? { atPeriodStart: true } : {}),
    beforeSpan: { from: lastLevel[0]?.date ?? point.at, to: lastLevel[lastLevel.length - 1]?.date ?? point.at },
  };
}
