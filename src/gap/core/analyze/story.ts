// One consistent story across a population's findings. Pure.
//
// - Consecutive change points share the segment between them: the `after` of one is the `before` of the next,
//   both the pooled rate of the days between them (and `daysAfter` / `daysBefore` their count). The first point
//   keeps its own `before` (the period's days before it, or the level before the period for a step on its first
//   day); the last point's `after` runs to the end of the days given (a recovery, or the period's end).
// - The onset's first day over 1% and the first change point up from ~0 are the same day, or the onset says why
//   they differ (`levelChangedOn`): the step's first day was not yet clear evidence on its own (1 of 8 on a
//   quiet Saturday), or the days over 1% before it were isolated.
import type { ChangePointFinding } from './change-point.js';
import type { OnsetFinding } from './onset.js';
import { pool, rateOf } from './stats.js';
import { BAD_DAY, CHRONIC } from './thresholds.js';
import type { DayTally } from './view.js';

/**
 * @param points change points from all sources (a step on the period's first day first, then the period's own,
 *   then steps the chronic segmentation saw begin), possibly on the same day: the first of a day is kept.
 * @param days the residual daily tallies the points are about (period days before any recovery), sorted.
 */
export function oneStory(points: readonly ChangePointFinding[], days: readonly DayTally[]): ChangePointFinding[] {
  const byDay = new Map<string, ChangePointFinding>();
  for (const p of points) if (!byDay.has(p.at)) byDay.set(p.at, p);
  const sorted = [...byDay.values()].sort((a, b) => a.at.localeCompare(b.at));
  const between = (from: string, to: string | undefined): DayTally[] => days.filter((d) => d.date >= from && (to === undefined || d.date < to));
  const out: ChangePointFinding[] = [];
  sorted.forEach((p, i) => {
    const after = between(p.at, sorted[i + 1]?.at);
    const prev = sorted[i - 1];
    const before = prev ? between(prev.at, p.at) : null;
    out.push({
      ...p,
      ...(before ? { before: rateOf(pool(before)), daysBefore: before.length } : {}),
      after: rateOf(pool(after)),
      daysAfter: after.length,
    });
  });
  // A point whose neighbours, restated, no longer differ is no change at all (the smallest new level any rule
  // accepts is the chronic one's).
  const kept = out.filter((p) => Math.abs(p.after - p.before) >= CHRONIC.segmentation.minEffect);
  return kept.length === out.length ? out : oneStory(kept, days);
}

/** The onset, saying why its first day over 1% is not the day of the first change point up from ~0 (if so). */
export function withLevelChange(onset: OnsetFinding | null, points: readonly ChangePointFinding[], rawDays: readonly DayTally[]): OnsetFinding | null {
  const first = points[0];
  if (onset === null || first === undefined) return onset;
  if (first.before >= BAD_DAY.rate || first.after <= first.before || first.at === onset.firstDayOver1Pct) return onset;
  if (first.at < onset.firstMissingAt.slice(0, 10)) return onset; // a level of stragglers before the first missing: not this onset's
  const day = rawDays.find((d) => d.date === first.at) ?? { total: 0, missing: 0 };
  return { ...onset, levelChangedOn: { date: first.at, total: day.total, missing: day.missing } };
}
