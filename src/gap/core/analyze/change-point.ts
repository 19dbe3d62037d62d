// change_point: the daily missing rate (by created date) moves to a new sustained level.
//
// Method: best-first binary segmentation of the daily series with a binomial likelihood cost, so each day weighs as
// much as its volume. Real daily rates scatter far more than binomial noise (rentokil's 10-30% on ~150 a day; a
// chronic few % on 80k a day), which would make any wobble "significant" at large volume. So the likelihood-ratio
// statistic is divided by the over-dispersion of the two proposed segments (Pearson chi-square / df, at least 1):
// a quasi-likelihood test that compares a change against the day-to-day scatter actually seen. A split must also
// leave >= 3 days with volume on each side and move the rate by >= 0.1 absolute.
//
// Weekly structure: when the series has a significant weekday pattern (weekday-structure.ts), a split must also
// move the weekday-standardised rate by the minimum effect, so which weekdays fall on each side of a split never
// makes a change on its own.
//
// One story: the points are reported against the final segmentation. Each point's `before` and `after` are the
// pooled rates of the two segments it separates, so the `after` of one point is the `before` of the next. A point
// that no longer passes the tests against its final neighbours (its significance came from a wider segment) is
// dropped, the weakest first, and the rest recomputed.
//
// Decided: a drop to ~0 that lasts to the end of the period is a `recovery`, not a change point; the caller passes
// only the days before the recovery. Hours explained by a weekly, batch or recurring failure are removed by the
// caller too, so one failing hour is reported once, as what it is.
import type { Finding, Population } from '../report.js';
import { binomialLogLik, pearsonChi2, pool, rateOf, type Tally } from './stats.js';
import { CHANGE_POINT } from './thresholds.js';
import type { DayTally } from './view.js';
import { standardisedRate, weekdayProfile } from './weekday-structure.js';

export type ChangePointFinding = Extract<Finding, { kind: 'change_point' }>;

/** What a split must pass; CHANGE_POINT by default, the chronic segmentation passes its own (see thresholds.ts). */
export interface SplitRules {
  minSegmentDays: number;
  minEffect: number;
  /** Optional: the two rates must also differ by this factor (the larger over the smaller). */
  minRatio?: number;
  critical: number;
  maxPoints: number;
}

export interface Split {
  at: number;
  statistic: number;
  before: Tally;
  after: Tally;
  daysBefore: number;
  daysAfter: number;
}

/** Weekday factors (weekday-structure.ts) the effect rules are also checked against; all 1: none. */
export type Factors = readonly number[];

function bigEnough(before: number, after: number, rules: SplitRules): boolean {
  if (Math.abs(after - before) < rules.minEffect) return false;
  if (rules.minRatio === undefined) return true;
  return Math.max(before, after) >= rules.minRatio * Math.min(before, after);
}

/** The split of days[lo, hi) at k, if it passes the size rules; its statistic is not yet compared with critical. */
export function splitAt(days: readonly DayTally[], lo: number, k: number, hi: number, rules: SplitRules, factors?: Factors): Split | null {
  if (k - lo < rules.minSegmentDays || hi - k < rules.minSegmentDays) return null;
  const left = days.slice(lo, k);
  const right = days.slice(k, hi);
  const before = pool(left);
  const after = pool(right);
  if (!bigEnough(rateOf(before), rateOf(after), rules)) return null;
  if (factors && !bigEnough(standardisedRate(left, factors), standardisedRate(right, factors), rules)) return null;
  const lr = 2 * (binomialLogLik(before) + binomialLogLik(after) - binomialLogLik(pool([before, after])));
  const chi2 = pearsonChi2(left, rateOf(before)) + pearsonChi2(right, rateOf(after));
  const dispersion = Math.max(1, chi2 / (hi - lo - 2));
  return { at: k, statistic: lr / dispersion, before, after, daysBefore: k - lo, daysAfter: hi - k };
}

/** The most significant admissible split of days[lo, hi), or null when none passes the tests. */
function bestSplit(days: readonly DayTally[], lo: number, hi: number, rules: SplitRules, factors?: Factors): Split | null {
  if (hi - lo < 2 * rules.minSegmentDays) return null;
  let best: Split | null = null;
  for (let k = lo + rules.minSegmentDays; k <= hi - rules.minSegmentDays; k++) {
    const split = splitAt(days, lo, k, hi, rules, factors);
    if (split && (best === null || split.statistic > best.statistic)) best = split;
  }
  return best !== null && best.statistic >= rules.critical ? best : null;
}

/** Re-test every split against its final neighbours, dropping the weakest failing one until all pass. */
function settle(days: readonly DayTally[], ats: number[], rules: SplitRules, factors?: Factors): Split[] {
  let cuts = [...ats].sort((a, b) => a - b);
  for (;;) {
    const bounds = [0, ...cuts, days.length];
    const splits = cuts.map((k, i) => splitAt(days, bounds[i] ?? 0, k, bounds[i + 2] ?? days.length, rules, factors));
    let weakest = -1;
    splits.forEach((s, i) => {
      const statistic = s?.statistic ?? -1;
      if (statistic < rules.critical && (weakest < 0 || statistic < (splits[weakest]?.statistic ?? -1))) weakest = i;
    });
    if (weakest < 0) return splits as Split[];
    cuts = cuts.filter((_, i) => i !== weakest);
  }
}

/** Best-first binary segmentation: the splits (sorted) of the significant changes of days, each against the final
 *  segments around it. With `weekly`, the weekday structure of days is taken into account (see above). */
export function segmentDays(days: readonly DayTally[], rules: SplitRules = CHANGE_POINT, opts: { weekly?: boolean } = {}): Split[] {
  const profile = opts.weekly ? weekdayProfile(days) : null;
  const factors = profile?.weekly ? profile.factors : undefined;
  const segments: [number, number][] = [[0, days.length]];
  const found: number[] = [];
  while (found.length < rules.maxPoints) {
    let pick: { index: number; split: Split } | null = null;
    segments.forEach(([lo, hi], index) => {
      const split = bestSplit(days, lo, hi, rules, factors);
      if (split && (pick === null || split.statistic > pick.split.statistic)) pick = { index, split };
    });
    if (pick === null) break;
    const { index, split } = pick as { index: number; split: Split };
    const [lo, hi] = segments[index] ?? [0, 0];
    segments.splice(index, 1, [lo, split.at], [split.at, hi]);
    found.push(split.at);
  }
  return settle(days, found, rules, factors);
}

export function toChangePoint(population: Population, days: readonly DayTally[], s: Split): ChangePointFinding {
  return {
    kind: 'change_point' as const,
    population,
    at: days[s.at]?.date ?? '',
    before: rateOf(s.before),
    after: rateOf(s.after),
    daysBefore: s.daysBefore,
    daysAfter: s.daysAfter,
  };
}

/** @param days daily tallies (days with volume only, sorted) of the stretch to examine. */
export function findChangePoints(population: Population, days: readonly DayTally[]): ChangePointFinding[] {
  return segmentDays(days, CHANGE_POINT, { weekly: true }).map((s) => toChangePoint(population, days, s));
}
