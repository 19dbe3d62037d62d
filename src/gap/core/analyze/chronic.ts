// chronic: a long stretch at one steady, non-zero missing rate ("the issue has existed for months": spirit's
// unsubmitted 0.1-0.3% from July 2025). Pure.
//
// Method: the daily series (history and look-back included, hours explained by batch or recurring failures
// removed, cut at a recovery) is cut into steady stretches by the same binary segmentation as change points, with
// the chronic rules of thresholds.ts (a new level is at least 0.5 points AND twice or half the old one). A stretch
// is chronic when, from its first missing scorecard on, it lasts >= 28 days with volume, its pooled 95% Wilson
// lower bound is over 0.05%, and missing shows up in each quarter of its volume (steady, not a few old one-offs).
// Deciding on pooled counts is what lets a low-volume population losing a steady few % be named chronic, where
// no single small day is "bad". The stretch's leading days with nothing missing are "0% before" (a clean month
// merges into the stretch: 0% vs 0.2% is below the new-level rule), so `began` is the first missing day.
//
// One story with the other findings: the stretches are also cut at the change points found (a stretch never spans
// a change point), a stretch whose missing follows the weekday (weekday-structure.ts: a weekly failure) is not
// steady, and a stretch that starts inside the period after a clean or different level is not chronic at all: the
// scan saw it begin, so it is a change point (`0% -> 50% on Mar 1, the period's first day`). Chronic is kept for a
// level that held before the period began, or whose start could not be seen.
import type { Finding, Population } from '../report.js';
import { segmentDays, type ChangePointFinding } from './change-point.js';
import { pool, rateOf, wilsonLower, wilsonUpper, type Tally } from './stats.js';
import { CHRONIC } from './thresholds.js';
import type { DayTally } from './view.js';
import { weekdayProfile } from './weekday-structure.js';

export type ChronicFinding = Extract<Finding, { kind: 'chronic' }>;

export interface ChronicContext {
  /** The first day scanned (look-back included), 'YYYY-MM-DD'. */
  scanStart: string;
  /** The period's first day: a stretch starting on or after it, after a clean or other level, is a change point. */
  periodStart?: string;
  /** Days (change points found elsewhere) a stretch must not span. */
  cutDates?: readonly string[];
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] ?? 0) + ((sorted[hi] ?? 0) - (sorted[lo] ?? 0)) * (pos - lo);
}

/** 10th-90th percentile of the rates of consecutive blocks each expected to hold a few missing (see thresholds). */
export function levelRange(days: readonly DayTally[], level: number): { low: number; high: number } {
  const target = level > 0 ? CHRONIC.rangeBlockExpected / level : Infinity;
  const blocks: Tally[] = [];
  let acc: Tally = { total: 0, missing: 0 };
  for (const d of days) {
    acc = { total: acc.total + d.total, missing: acc.missing + d.missing };
    if (acc.total >= target) {
      blocks.push(acc);
      acc = { total: 0, missing: 0 };
    }
  }
  const last = blocks[blocks.length - 1];
  if (acc.total > 0 && last) blocks[blocks.length - 1] = pool([last, acc]);
  else if (acc.total > 0) blocks.push(acc);
  // Too few blocks for a spread of days: the pooled rate's own 95% interval is the honest range.
  if (blocks.length < 3) {
    const whole = pool(days);
    return { low: wilsonLower(whole), high: wilsonUpper(whole) };
  }
  const rates = blocks.map(rateOf).sort((a, b) => a - b);
  const [qLow, qHigh] = CHRONIC.rangePercentiles;
  return { low: percentile(rates, qLow), high: percentile(rates, qHigh) };
}

/** Missing in every one of CHRONIC.parts parts of equal volume, and no weekly pattern. */
function isSteady(days: readonly DayTally[]): boolean {
  return showsInEveryPart(days) && !weekdayProfile(days).weekly;
}

function showsInEveryPart(days: readonly DayTally[]): boolean {
  const total = pool(days).total;
  const missingPerPart = new Array<number>(CHRONIC.parts).fill(0);
  let before = 0;
  for (const d of days) {
    const part = Math.min(CHRONIC.parts - 1, Math.floor(((before + d.total / 2) / total) * CHRONIC.parts));
    missingPerPart[part] = (missingPerPart[part] ?? 0) + d.missing;
    before += d.total;
  }
  return missingPerPart.every((m) => m > 0);
}

/**
 * @param days daily tallies (days with volume only, sorted) from the first day scanned (look-back included), with
 *   explained hours removed and cut before a recovery.
 */
export function findChronic(
  population: Population,
  days: readonly DayTally[],
  ctx: ChronicContext,
): (ChronicFinding | ChangePointFinding)[] {
  const atDates = (ctx.cutDates ?? []).map((d) => days.findIndex((x) => x.date >= d)).filter((i) => i > 0);
  const found = segmentDays(days, CHRONIC.segmentation).map((s) => s.at);
  const cuts = [...new Set([0, ...found, ...atDates, days.length])].sort((a, b) => a - b);
  const out: (ChronicFinding | ChangePointFinding)[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const lo = cuts[i] ?? 0;
    const hi = cuts[i + 1] ?? 0;
    const first = days.slice(lo, hi).findIndex((d) => d.missing > 0);
    if (first < 0) continue;
    // Leading days with nothing missing are "0% before" only when they would have shown the level: at low volume a
    // few empty days are what the level itself looks like.
    const lead = pool(days.slice(lo, lo + first)).total;
    const start = lead * rateOf(pool(days.slice(lo + first, hi))) >= CHRONIC.cleanLeadExpected ? lo + first : lo;
    const stretch = days.slice(start, hi);
    if (stretch.length < CHRONIC.minDays) continue;
    const tally = pool(stretch);
    const lowerBound = wilsonLower(tally);
    if (lowerBound <= CHRONIC.minLowerBound || !isSteady(stretch)) continue;
    const head = stretch[0] as DayTally;
    const firstMissingDay = stretch.find((d) => d.missing > 0)?.date ?? head.date;
    const previous = lo > 0 ? pool(days.slice(cuts[i - 1] ?? 0, lo)) : null;
    let before: ChronicFinding['before'];
    if (start > lo || (previous !== null && previous.missing === 0)) before = 'clean';
    else if (previous !== null) before = 'other_level';
    else if (head.date > ctx.scanStart) before = 'no_scorecards';
    else before = 'not_scanned';
    const level = rateOf(tally);
    if (ctx.periodStart !== undefined && head.date >= ctx.periodStart && (before === 'clean' || before === 'other_level')) {
      // Seen beginning inside the period: a step, not a level that was already there.
      const [beforeFrom, beforeTo, beforeRate, daysBefore] =
        start > lo
          ? [days[lo]?.date, days[start - 1]?.date, 0, start - lo]
          : [days[cuts[i - 1] ?? 0]?.date, days[lo - 1]?.date, rateOf(previous ?? { total: 0, missing: 0 }), lo - (cuts[i - 1] ?? 0)];
      out.push({
        kind: 'change_point',
        population,
        at: head.date,
        before: beforeRate,
        after: level,
        daysBefore,
        daysAfter: stretch.length,
        ...(head.date === ctx.periodStart ? { atPeriodStart: true } : {}),
        beforeSpan: { from: beforeFrom ?? head.date, to: beforeTo ?? head.date },
      });
      continue;
    }
    out.push({
      kind: 'chronic',
      population,
      since: head.date,
      to: stretch[stretch.length - 1]?.date ?? head.date,
      began: before === 'not_scanned' ? null : firstMissingDay,
      before,
      level,
      range: levelRange(stretch, level),
      lowerBound,
      days: stretch.length,
      total: tally.total,
      missing: tally.missing,
    });
  }
  return out;
}
