import type { GapReport } from '../core/report.js';
import { formatInt } from '../../shared/format.js';
// CSV of missing and partial scorecard IDs (RFC 4180: CRLF line ends, fields quoted when they hold a comma, quote or line
// break, quotes doubled). Streams: rows may be an async iterable straight from a database cursor.

export interface MissingIdRow {
  scorecardId: string;
  population: string;
  createdAt: string | Date;
  submittedAt: string | Date | null;
  /** 'missing' (no historic row) or 'partial' (in historic, lacking some criteria). */
  state: string;
}

// `state` goes last, so a reader of the columns before it keeps working.
export const MISSING_IDS_HEADER = ['scorecard_id', 'population', 'created_at', 'submitted_at', 'state'] as const;

const EOL = '\r\n';

export function csvField(value: string | number | Date | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = value instanceof Date ? value.toISOString() : String(value);
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(fields: Array<string | number | Date | null | undefined>): string {
  return fields.map(csvField).join(',') + EOL;
}

/** The CSV in chunks: the header line, then one line a row (for streaming to a file or an upload). */
export async function* missingIdsCsvChunks(rows: AsyncIterable<MissingIdRow> | Iterable<MissingIdRow>): AsyncGenerator<string> {
  yield csvLine([...MISSING_IDS_HEADER]);
  for await (const r of rows) yield csvLine([r.scorecardId, r.population, r.createdAt, r.submittedAt, r.state]);
}

/** The whole CSV as text, header first. */
export async function missingIdsCsv(rows: AsyncIterable<MissingIdRow> | Iterable<MissingIdRow>): Promise<string> {
  const parts: string[] = [];
  for await (const chunk of missingIdsCsvChunks(rows)) parts.push(chunk);
  return parts.join('');
}

/**
 * The CSV upload's title; when the thread's CSV holds only the first `maxRows`, it says how many were left out and
 * how to get them all.
 */
export function csvTitle(report: Pick<GapReport, 'customer' | 'period'>, listed: number, maxRows: number): string {
  const base = `${report.customer}: missing scorecard IDs, ${report.period.label}`;
  if (listed <= maxRows) return base;
  // The period as the CLI reads it: first..last day (both inclusive).
  const lastDay = new Date(Date.parse(report.period.to) - 1).toISOString().slice(0, 10);
  const first = report.period.from.slice(0, 10);
  const period = first === lastDay ? first : `${first}..${lastDay}`;
  return `${base}: the first ${formatInt(maxRows)} of ${formatInt(listed)}; ${formatInt(listed - maxRows)} left out. All of them: scorecard-bot gap ${report.customer} ${period} --csv FILE`;
}

/** The `all` run's per-customer numbers, every customer (the thread's table shows the first ones only). */
export function impactCsv(reports: readonly GapReport[]): string {
  const header = csvLine([
    'customer',
    'profile',
    'verdict',
    'submitted_total',
    'submitted_missing',
    'submitted_partial',
    'unsubmitted_total',
    'unsubmitted_missing',
    'unsubmitted_partial',
    'clickhouse_missing',
  ]);
  const lines = reports.map((r) => {
    const { submitted: s, unsubmitted: u } = r.populations;
    const ch = s.clickhouseMissing === null || u.clickhouseMissing === null ? null : s.clickhouseMissing + u.clickhouseMissing;
    return csvLine([r.customer, r.profile, r.verdict, s.total, s.missing, s.partial, u.total, u.missing, u.partial, ch]);
  });
  return header + lines.join('');
}
