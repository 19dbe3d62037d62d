import type { GapReport } from '../core/report.js';
import { clickhouseUnavailable, findingSentence, storySentence, verdictSentence } from './finding-sentences.js';
import { formatDateTime, formatDuration, formatInt, formatPeriodRange, formatRatio, plural } from '../../shared/format.js';
import {
  clickhouseDaysTable,
  dailyBySubmittedTable,
  dailyTable,
  hourlyTable,
  impactTable,
  monthlyTable,
  timelineTable,
} from './tables.js';
import { textTable, type TableModel } from '../../shared/text-table.js';
import { changesTerminalParts } from '../what-changed/render-terminal.js';
import { clickhouseInFlightClause, inFlightSentence, inFlightTotal, partialSentence, partialTotal } from './settle-sentences.js';

// The report for a terminal (`scorecard-bot gap`): plain text, no colour codes, tables aligned like the incident
// report's. Pure: report in, string out.

function section(table: TableModel, emptyText: string): string {
  const head = `${table.title}\n${'-'.repeat(table.title.length)}`;
  if (table.rows.length === 0) return `${head}\n${emptyText}`;
  return [head, ...(table.note ? [table.note] : []), textTable(table)].join('\n');
}

export function excludedSentence(report: GapReport): string {
  const { calibration, nonOriginal } = report.excluded;
  return `Excluded by design (never written to historic): ${plural(calibration, 'calibration scorecard')}, ${plural(nonOriginal, 'non-original scorecard')} (appeals, calibration responses).`;
}

export function clickhouseSentence(report: GapReport): string {
  if (!report.clickhouse.configured) return 'ClickHouse: not configured, so only historic was checked.';
  if (!report.clickhouse.available) return `${clickhouseUnavailable(report)}, so only historic was checked.`;
  const { submitted, unsubmitted } = report.populations;
  const s = submitted.clickhouseMissing ?? 0;
  const u = unsubmitted.clickhouseMissing ?? 0;
  const inFlight = clickhouseInFlightClause(report);
  if (s + u === 0) return `ClickHouse: every scorecard found in historic${inFlight ? ' and settled' : ''} is also in ClickHouse.${inFlight}`;
  return `ClickHouse: ${formatInt(s)} submitted and ${formatInt(u)} unsubmitted scorecards are in historic but missing from ClickHouse.${inFlight}`;
}

function headlineTable(report: GapReport): string {
  const { submitted, unsubmitted } = report.populations;
  const ch = (n: number | null): string =>
    !report.clickhouse.configured ? 'not configured' : !report.clickhouse.available ? 'unavailable' : formatInt(n ?? 0);
  // Partial and in-flight columns only when there are some: a report without them reads as it always did.
  const partial = partialTotal(report) > 0;
  const inFlight = inFlightTotal(report) > 0;
  const row = (label: string, p: GapReport['populations']['submitted']): string[] => [
    label,
    formatInt(p.total),
    formatInt(p.missing),
    formatRatio(p.missing, p.total),
    ...(partial ? [formatInt(p.partial), formatRatio(p.partial, p.total)] : []),
    ...(inFlight ? [formatInt(p.inFlight)] : []),
    ch(p.clickhouseMissing),
  ];
  return textTable({
    columns: [
      { header: 'Population', align: 'left' },
      { header: 'Total', align: 'right' },
      { header: 'Missing', align: 'right' },
      { header: '% Missing', align: 'right' },
      ...(partial ? [{ header: 'Partial', align: 'right' as const }, { header: '% Partial', align: 'right' as const }] : []),
      ...(inFlight ? [{ header: 'In flight', align: 'right' as const }] : []),
      { header: 'Missing in ClickHouse', align: 'right' },
    ],
    rows: [row('Submitted', submitted), row('Unsubmitted', unsubmitted)],
  });
}

export function renderTerminalReport(report: GapReport): string {
  const title = `Scorecard gap: ${report.customer} (${report.profile}), ${report.period.label}`;
  const meta =
    `Period ${formatPeriodRange(report.period)} (UTC), by ${report.period.grain}; generated ${formatDateTime(report.generatedAt)}; ` +
    `${plural(report.stats.windows, 'window')}, ${plural(report.stats.queries, 'query', 'queries')}, ${formatDuration(report.stats.elapsedMs)}.`;
  const findings =
    report.findings.length === 0
      ? 'Findings\n--------\nNone.'
      : ['Findings', '--------', ...report.findings.map((f) => `  • ${findingSentence(f, report.findings)}`)].join('\n');
  const parts = [
    `${title}\n${'='.repeat(title.length)}`,
    meta,
    [verdictSentence(report), storySentence(report)].filter((l) => l !== null).join('\n'),
    [headlineTable(report), partialSentence(report), inFlightSentence(report), excludedSentence(report), clickhouseSentence(report)].filter((l) => l !== null).join('\n'),
    findings,
    ...changesTerminalParts(report),
    section(monthlyTable(report), 'No scorecards.'),
    section(dailyTable(report), 'No scorecards.'),
    section(dailyBySubmittedTable(report), 'No submitted scorecards.'),
    section(hourlyTable(report), 'No hours with missing scorecards.'),
    section(timelineTable(report), 'Nothing missing.'),
  ];
  if (report.clickhouse.configured && report.clickhouse.days.length > 0) {
    parts.push(section(clickhouseDaysTable(report), ''));
  }
  return `${parts.join('\n\n')}\n`;
}

/** The "Scale of Impact" table over several customers' reports, with a total row. */
export function renderImpactTable(reports: GapReport[]): string {
  const table = impactTable(reports);
  return `${section(table, 'No reports.')}\n`;
}
