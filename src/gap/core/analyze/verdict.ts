// The one-word answer: is anything missing from historic in the period, or only from ClickHouse, or nothing?
import type { Finding } from '../report.js';
import type { GapSeries } from '../series.js';
import { periodCells, POPULATIONS } from './view.js';

export type Verdict = 'gap' | 'no_gap' | 'clickhouse_gap_only' | 'no_data';

export function verdictOf(series: GapSeries, findings: readonly Finding[]): Verdict {
  // Nothing in director is not "nothing missing": a wrong profile or an empty period must not read as healthy.
  const inScope = POPULATIONS.reduce((n, p) => n + periodCells(series, p).reduce((s, c) => s + c.total, 0), 0);
  if (inScope === 0) return 'no_data';
  const historicMissing = POPULATIONS.some((p) => periodCells(series, p).some((c) => c.missing > 0));
  if (historicMissing) return 'gap';
  if (findings.some((f) => f.kind === 'clickhouse_gap' && f.count > 0)) return 'clickhouse_gap_only';
  return 'no_gap';
}
