// change_point: the daily missing rate (by created date) moves to a new sustained level.
//
// Method: best-first binary segmentation of the daily series with a binomial likelihood cost, so each day weighs as
// much as its volume. Real daily rates scatter far more than binomial noise (rentokil's 10-30% on ~150 a day; a
// chronic few % on 80k a day), which would make any wobble "significant" at large volume. So the likelihood-ratio
// statistic is divided by the over-dispersion of the two proposed segments (Pearson chi-square / df, at least 1):
// a quasi-likelihood test that compares a change against the day-to-day scatter actually seen. A split must also
// leave >= 3 days with volume on each side and move the rate by >= 0.1 absolute. Segments are split in order of
// significance, so each change point's `before`/`after` are the rates of the stretches it separates, bounded by
// the more significant change points around it (or the period ends).
//
// Decided: a drop to ~0 that lasts to the end of the period is a `recovery`, not a change point; the caller passes
// only the days before the recovery. Hours explained by a batch or recurring failure are removed by the caller too,
// so one failing hour is reported once, as what it is.
import type { Finding, Population } from '../report.js';
import { binomialLogLik, pearsonChi2, pool, rateOf, type Tally } from './stats.js';
import { CHANGE_POINT } from './thresholds.js';
import type { DayTally } from './view.js';

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

/** The most significant admissible split of days[lo, hi), or null when none passes the tests. */
function bestSplit(days: readonly DayTally[], lo: number, hi: number, rules: SplitRules): Split | null {
  const min = rules.minSegmentDays;
  if (hi - lo < 2 * min) return null;
  const whole = pool(days.slice(lo, hi));
  const wholeLogLik = binomialLogLik(whole);
  let best: Split | null = null;
  for (let k = lo + min; k <= hi - min; k++) {
    const left = days.slice(lo, k);
    const right = days.slice(k, hi);
    const before = pool(left);
    const after = pool(right);
    if (Math.abs(rateOf(after) - rateOf(before)) < rules.minEffect) continue;
    if (rules.minRatio !== undefined) {
      const [lo2, hi2] = [Math.min(rateOf(before), rateOf(after)), Math.max(rateOf(before), rateOf(after))];
      if (hi2 < rules.minRatio * lo2) continue;
    }
    const lr = 2 * (binomialLogLik(before) + binomialLogLik(after) - wholeLogLik);
    const chi2 = pearsonChi2(left, rateOf(before)) + pearsonChi2(right, rateOf(after));
    const dispersion = Math.max(1, chi2 / (hi - lo - 2));
    const statistic = lr / dispersion;
    if (best === null || statistic > best.statistic) {
      best = { at: k, statistic, before, after, daysBefore: k - lo, daysAfter: hi - k };
    }
  }
  return best !== null && best.statistic >= rules.critical ? best : null;
}

/** Best-first binary segmentation: the split indexes (sorted) of the significant changes of days. */
export function segmentDays(days: readonly DayTally[], rules: SplitRules = CHANGE_POINT): Split[] {
  const segments: [number, number][] = [[0, days.length]];
  const found: Split[] = [];
  while (found.length < rules.maxPoints) {
    let pick: { index: number; split: Split } | null = null;
    segments.forEach(([lo, hi], index) => {
      const split = bestSplit(days, lo, hi, rules);
      if (split && (pick === null || split.statistic > pick.split.statistic)) pick = { index, split };
    });
    if (pick === null) break;
    const { index, split } = pick as { index: number; split: Split };
    const [lo, hi] = segments[index] ?? [0, 0];
    segments.splice(index, 1, [lo, split.at], [split.at, hi]);
    found.push(split);
  }
  return found.sort((a, b) => a.at - b.at);
}

/** @param days daily tallies (days with volume only, sorted) of the stretch to examine. */
export function findChangePoints(population: Population, days: readonly DayTally[]): ChangePointFinding[] {
  return segmentDays(days, CHANGE_POINT).map((s) => ({
    kind: 'change_point' as const,
    population,
    at: days[s.at]?.date ?? '',
    before: rateOf(s.before),
    after: rateOf(s.after),
    daysBefore: s.daysBefore,
    daysAfter: s.daysAfter,
  }));
}
