// submit_date_correlation: missing submitted scorecards follow the day they were SUBMITTED, not created.
//
// D, the first bad day, is taken on the submit-date axis: the first submit day that starts a run of >= 2 bad days
// (stats.isBad). Why not the create-date axis: if missing follows submit date, scorecards created earlier but
// submitted late go missing and make the days before the window look bad by create date (rentokil: 7 of 79
// created on Dec 31, all submitted Jan 14-28), which would pull D back onto them and hide the very effect we
// test. By submit date those days are clean. Then: of the missing scorecards created before D, how many were
// submitted on or after D? Reported when there are some and they are >= 80% of them.
import type { Finding } from '../report.js';
import type { GapSeries } from '../series.js';
import { isBad } from './stats.js';
import { SUBMIT_DATE } from './thresholds.js';

export type SubmitDateFinding = Extract<Finding, { kind: 'submit_date_correlation' }>;

/** First submit date starting a run of `sustainDays` consecutive bad days (days with volume), or null. */
export function firstBadSubmitDay(bySubmitDate: GapSeries['bySubmitDate']): string | null {
  const days = bySubmitDate.filter((d) => d.total > 0);
  for (let i = 0; i + SUBMIT_DATE.sustainDays <= days.length; i++) {
    const run = days.slice(i, i + SUBMIT_DATE.sustainDays);
    if (run.every(isBad)) return days[i]?.date ?? null;
  }
  return null;
}

export function findSubmitDateCorrelation(series: GapSeries): SubmitDateFinding | null {
  const d = firstBadSubmitDay(series.bySubmitDate);
  if (d === null) return null;
  const createdBefore = series.missingSubmittedPairs.filter((p) => p.createdDate < d && p.count > 0);
  const late = createdBefore.filter((p) => p.submittedDate >= d);
  const all = createdBefore.reduce((s, p) => s + p.count, 0);
  const count = late.reduce((s, p) => s + p.count, 0);
  if (count === 0 || count < SUBMIT_DATE.minShare * all) return null;
  const submitted = late.map((p) => p.submittedDate).sort();
  return {
    kind: 'submit_date_correlation',
    population: 'submitted',
    createdBefore: d,
    count,
    submittedFrom: submitted[0] ?? d,
    submittedTo: submitted[submitted.length - 1] ?? d,
  };
}
