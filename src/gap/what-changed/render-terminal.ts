import type { GapReport } from '../core/report.js';
import { textTable } from '../../shared/text-table.js';
import type { TableModel } from '../../shared/text-table.js';
import { reportChangeLines, sourcesSentence, type FindingChangeLine } from './change-lines.js';
import { releaseCorrelationTable, releaseTimelineTable } from './timeline.js';

// "What changed around then" and the release timeline for a terminal. Pure; empty when no change source is configured.

function heading(title: string): string {
  return `${title}\n${'-'.repeat(title.length)}`;
}

function tableText(table: TableModel): string {
  return [heading(table.title), ...(table.note ? [table.note] : []), table.rows.length ? textTable(table) : 'Nothing in this span.'].join('\n');
}

export function changeLineText(line: FindingChangeLine, indent = '  '): string {
  if (!line.lead) return `${indent}• ${line.label}: no recorded change from ${line.window}.`;
  const items = line.items.map((i) => `${indent}    - ${i.kind}: ${i.title} (${i.when})${i.link ? `  ${i.link}` : ''}`);
  const more = line.more > 0 ? [`${indent}    (and ${line.capped ? 'at least ' : ''}${line.more} more in the window)`] : [];
  return [`${indent}• ${line.label}: ${line.lead}:`, ...items, ...more].join('\n');
}

/** The section and the timeline table, as parts of the report (none when change sources are not configured). */
export function changesTerminalParts(report: GapReport): string[] {
  if (!report.changeSources) return [];
  const lines = reportChangeLines(report);
  const body = [sourcesSentence(report) ?? '', ...(lines.length ? lines.map((l) => changeLineText(l)) : ['  No finding has a time to place.'])];
  const timeline = releaseTimelineTable(report);
  return [[heading('What changed around then'), ...body.filter((b) => b !== '')].join('\n'), ...(timeline ? [tableText(timeline)] : [])];
}

/** `all`: the correlation table, or null without change sources. */
export function releaseCorrelationText(reports: readonly GapReport[]): string | null {
  const table = releaseCorrelationTable(reports);
  if (!table) return null;
  const down = [...new Set(reports.flatMap((r) => (r.changeSources ?? []).filter((s) => !s.available).map((s) => `${s.name} (${s.error ?? 'no reason given'})`)))];
  return `${tableText(table)}${down.length ? `\nUnavailable change sources: ${down.join(', ')}.` : ''}\n`;
}
