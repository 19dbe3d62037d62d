// clickhouse_gap: scorecards present in historic but absent from ClickHouse, per population, on the period's days.
import type { Finding, Population } from '../report.js';
import type { GapSeries } from '../series.js';
import { dateInPeriod } from './view.js';

export type ClickhouseGapFinding = Extract<Finding, { kind: 'clickhouse_gap' }>;

export function findClickhouseGap(series: GapSeries, population: Population): ClickhouseGapFinding | null {
  const byDate = new Map<string, number>();
  for (const d of series.clickhouseMissingDays) {
    if (d.population !== population || d.missing <= 0 || !dateInPeriod(d.date, series.period)) continue;
    byDate.set(d.date, (byDate.get(d.date) ?? 0) + d.missing);
  }
  const days = [...byDate.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([date, count]) => ({ date, count }));
  const count = days.reduce((s, d) => s + d.count, 0);
  return count > 0 ? { kind: 'clickhouse_gap', population, count, days } : null;
}
