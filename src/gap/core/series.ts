import type { Population } from './report.js';

// What the scan hands to analysis: plain counts, never IDs in bulk. Everything is UTC; hours are ISO strings
// 'YYYY-MM-DDTHH:00:00.000Z', dates 'YYYY-MM-DD'.

export interface HourCell {
  hour: string;
  /** Judged scorecards: in-flight ones are not in total, missing or partial. */
  total: number;
  /** No historic row at all. */
  missing: number;
  /** In historic, but with a director score whose criterion has no historic row; never also missing. Absent: 0. */
  partial?: number;
  /** Newer than the run's settle cutoff, not judged. Absent: 0. */
  inFlight?: number;
}

export interface DateCell {
  date: string;
  total: number;
  missing: number;
}

/** Missing submitted scorecards grouped by the day they were created and the day they were submitted. */
export interface CreatedSubmittedCell {
  createdDate: string;
  submittedDate: string;
  count: number;
}

export interface GapSeries {
  /** The period asked for: from inclusive, to exclusive (ISO instants). */
  period: { from: string; to: string };
  /** The range actually scanned (the period plus the months before it for the monthly history). */
  scanned: { from: string; to: string };
  /** Every hour of the scanned range that had at least one in-scope scorecard, sorted, per population. */
  hourly: Record<Population, HourCell[]>;
  /** Submitted population (created in the scanned range), grouped by submit date, sorted. */
  bySubmitDate: DateCell[];
  /** Missing submitted scorecards by (created date, submitted date), sorted by created then submitted. */
  missingSubmittedPairs: CreatedSubmittedCell[];
  firstMissing: Record<Population, { scorecardId: string; createdAt: string; submittedAt: string | null } | null>;
  /** Per day and population: present in historic but absent from ClickHouse. Empty when not configured. */
  clickhouseMissingDays: { date: string; population: Population; missing: number }[];
}
