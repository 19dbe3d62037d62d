import type { GapReport, Population } from '../core/report.js';
import { formatInt, formatRatio } from '../../shared/format.js';

// The sentences about scorecards the report counts apart from "missing": partial ones (in historic, but lacking
// criteria director.scores has) and in-flight ones (too new to judge). Shared by the terminal and Slack renderers.

const POPULATIONS: readonly Population[] = ['submitted', 'unsubmitted'];

export function partialTotal(report: GapReport): number {
  return report.populations.submitted.partial + report.populations.unsubmitted.partial;
}

export function inFlightTotal(report: GapReport): number {
  return report.populations.submitted.inFlight + report.populations.unsubmitted.inFlight;
}

/** "120 of 2,480 submitted (4.8%) and 3 of 9,000 unsubmitted (0.0%)": the populations with partial scorecards. */
function partialCounts(report: GapReport): string {
  return POPULATIONS.filter((p) => report.populations[p].partial > 0)
    .map((p) => {
      const { partial, total } = report.populations[p];
      return `${formatInt(partial)} of ${formatInt(total)} ${p} (${formatRatio(partial, total)})`;
    })
    .join(' and ');
}

/** One line for the headline when some scorecards are partial; null when none is. */
export function partialSentence(report: GapReport): string | null {
  if (partialTotal(report) === 0) return null;
  return `Partial: ${partialCounts(report)} scorecards are in historic with fewer or different criteria than director.scores (counted apart from missing; a backfill repairs them).`;
}

/** The verdict sentence of `partial_only`; `chClause` is the ClickHouse clause the other verdicts end with. */
export function partialOnlyVerdict(report: GapReport, chClause: string): string {
  return `${report.customer}, ${report.period.label}: every scorecard has rows in historic, but ${partialCounts(report)} scorecards lack criteria that director.scores has${chClause}.`;
}

/** "12 in flight (newer than 30 min), not judged: 2 submitted, 10 unsubmitted."; null when none is. */
export function inFlightSentence(report: GapReport): string | null {
  const n = inFlightTotal(report);
  if (n === 0) return null;
  const minutes = report.settle?.minutes;
  const newer = minutes === undefined ? '' : ` (newer than ${formatInt(minutes)} min)`;
  const split = POPULATIONS.filter((p) => report.populations[p].inFlight > 0).map((p) => `${formatInt(report.populations[p].inFlight)} ${p}`);
  return `${formatInt(n)} in flight${newer}, not judged: ${split.join(', ')}.`;
}

/** " 3 more in historic are newer than 60 min, not yet judged in ClickHouse."; '' when none. */
export function clickhouseInFlightClause(report: GapReport): string {
  const n = (report.populations.submitted.clickhouseInFlight ?? 0) + (report.populations.unsubmitted.clickhouseInFlight ?? 0);
  if (n === 0) return '';
  const minutes = report.settle?.clickhouseMinutes;
  const newer = minutes === null || minutes === undefined ? '' : ` newer than ${formatInt(minutes)} min,`;
  return ` ${formatInt(n)} more in historic ${n === 1 ? 'is' : 'are'}${newer} not yet judged in ClickHouse (in flight).`;
}
