import type { Population } from './report.js';
import type { CreatedSubmittedCell, DateCell, HourCell } from './series.js';
import type { WindowCounts } from './window-counts.js';

export interface MergedCounts {
  /** Every cell carries partial and inFlight (0 when none). */
  hourly: Record<Population, Required<HourCell>[]>;
  bySubmitDate: DateCell[];
  missingSubmittedPairs: CreatedSubmittedCell[];
  /** Excluded-by-design counts inside the period. */
  excluded: { calibration: number; nonOriginal: number };
  /** The first hour (in the scanned range) holding a missing scorecard, per population. */
  firstMissingHour: Record<Population, string | null>;
}

interface Tally {
  total: number;
  missing: number;
  partial: number;
  inFlight: number;
}

function bump<K>(map: Map<K, Tally>, key: K, r: { total: number; missing: number; partial: number; in_flight: number }): void {
  const cell = map.get(key) ?? { total: 0, missing: 0, partial: 0, inFlight: 0 };
  cell.total += r.total;
  cell.missing += r.missing;
  cell.partial += r.partial;
  cell.inFlight += r.in_flight;
  map.set(key, cell);
}

/** Pure: folds window results (in any order, as jobs finish) into sorted series. */
export function mergeWindows(windows: WindowCounts[], period: { from: string; to: string }): MergedCounts {
  const hours: Record<Population, Map<string, Tally>> = { submitted: new Map(), unsubmitted: new Map() };
  const bySubmit = new Map<string, Tally>();
  const pairs = new Map<string, number>();
  const excluded = { calibration: 0, nonOriginal: 0 };
  const periodFrom = period.from;
  const periodTo = period.to;

  for (const w of windows) {
    for (const r of w.rows) {
      if (r.cls !== 'in_scope') {
        // hours and period bounds share one fixed ISO format (UTC), so text order is time order
        if (r.hour >= periodFrom && r.hour < periodTo) {
          if (r.cls === 'calibration') excluded.calibration += r.total;
          else excluded.nonOriginal += r.total;
        }
        continue;
      }
      const population: Population = r.submitted_date === null ? 'unsubmitted' : 'submitted';
      bump(hours[population], r.hour, r);
      if (r.submitted_date !== null) {
        bump(bySubmit, r.submitted_date, r);
        if (r.missing > 0) {
          const key = `${r.hour.slice(0, 10)}|${r.submitted_date}`;
          pairs.set(key, (pairs.get(key) ?? 0) + r.missing);
        }
      }
    }
  }

  const toCells = (m: Map<string, Tally>): Required<HourCell>[] =>
    [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([hour, c]) => ({ hour, ...c }));
  const hourly = { submitted: toCells(hours.submitted), unsubmitted: toCells(hours.unsubmitted) };
  const firstMissingHour = {
    submitted: hourly.submitted.find((c) => c.missing > 0)?.hour ?? null,
    unsubmitted: hourly.unsubmitted.find((c) => c.missing > 0)?.hour ?? null,
  };
  return {
    hourly,
    bySubmitDate: toCells(bySubmit).map(({ hour, total, missing }) => ({ date: hour, total, missing })),
    missingSubmittedPairs: [...pairs.entries()]
      .map(([k, count]) => {
        const [createdDate = '', submittedDate = ''] = k.split('|');
        return { createdDate, submittedDate, count };
      })
      .sort((a, b) => (a.createdDate + a.submittedDate < b.createdDate + b.submittedDate ? -1 : 1)),
    excluded,
    firstMissingHour,
  };
}
