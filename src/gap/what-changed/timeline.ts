import type { GapReport } from '../core/report.js';
import type { TableModel } from '../../shared/text-table.js';
import { daysBetween, formatLongDate, formatShortDate, formatShortDateTime, plural, truncate } from '../../shared/format.js';
import { findingAnchors } from '../../changes/correlate.js';
import type { ChangeEvent } from '../../changes/event.js';
import { findingChangeLines } from './change-lines.js';

// The release timeline: the changes of the period with a month either side, and the report's first missing
// scorecard, change points and recovery placed among them (the investigation's "Deployment Timeline Analysis").
// And, for `all`, one row per customer: first missing, the release before it and the one after. Pure.

const DAY = 86_400_000;

function monthShift(iso: string, months: number): number {
  const d = new Date(iso);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, d.getUTCDate());
}

interface Row {
  t: number;
  order: number;
  cells: string[];
  finding: boolean;
}

export function releaseTimelineTable(report: GapReport): TableModel | null {
  if (!report.changes) return null;
  const from = monthShift(report.period.from, -1);
  const to = monthShift(report.period.to, 1);
  const rows: Row[] = [];
  for (const e of report.changes) {
    const t = Date.parse(e.at);
    if (t >= from && t < to) rows.push({ t, order: 0, cells: [formatShortDateTime(e.at), e.kind, truncate(e.title, 90), e.source], finding: false });
  }
  for (const population of ['submitted', 'unsubmitted'] as const) {
    const fm = report.firstMissing[population];
    const t = fm ? Date.parse(fm.createdAt) : NaN;
    if (fm && t >= from && t < to) rows.push({ t, order: 1, cells: [formatShortDateTime(fm.createdAt), 'finding', `▶ First missing ${population} scorecard created`, ''], finding: true });
  }
  for (const f of report.findings) {
    if (f.kind === 'onset') continue; // its time is the first missing scorecard, listed above
    const lines = findingChangeLines({ ...f, nearbyChanges: [] });
    findingAnchors(f).forEach((a, i) => {
      if (a.from >= from && a.from < to) {
        const label = lines[i]?.what ?? f.kind;
        rows.push({ t: a.from, order: 1, cells: [a.isDay ? formatShortDate(new Date(a.from).toISOString()) : formatShortDateTime(new Date(a.from).toISOString()), 'finding', `▶ ${label}`, ''], finding: true });
      }
    });
  }
  rows.sort((x, y) => x.t - y.t || x.order - y.order);
  return {
    title: 'Release timeline',
    note: `Changes ${formatShortDate(new Date(from).toISOString())} to ${formatShortDate(new Date(to - DAY).toISOString())} (UTC) with the findings (▶) among them. A change next to a finding is a lead to check, not proof of a cause.`,
    columns: [
      { header: 'When (UTC)', align: 'left' },
      { header: 'Kind', align: 'left' },
      { header: 'Change or finding', align: 'left' },
      { header: 'Source', align: 'left' },
    ],
    rows: rows.map((r) => r.cells),
    emphasis: rows.map((r) => r.finding),
  };
}

function releaseCell(e: ChangeEvent | undefined): string {
  return e ? `${formatShortDateTime(e.at)}: ${truncate(e.title, 60)}` : '–';
}

/** 'Same day as Jan 8 release', 'After Dec 17 release (14 days)'. */
function placement(first: string, before: ChangeEvent | undefined): string {
  if (!before) return 'No release before it in the window';
  const sameDay = before.at.slice(0, 10) === new Date(first).toISOString().slice(0, 10);
  if (sameDay) return `Same day as ${formatShortDate(before.at)} release`;
  const days = daysBetween(before.at.slice(0, 10), new Date(first).toISOString().slice(0, 10));
  return `After ${formatShortDate(before.at)} release (${plural(days, 'day')} later)`;
}

/** The investigation's "Correlation with Missing Scorecards": null when no report has change sources. */
export function releaseCorrelationTable(reports: readonly GapReport[]): TableModel | null {
  if (!reports.some((r) => r.changes)) return null;
  const rows: string[][] = [];
  for (const r of reports) {
    const fm = r.firstMissing.submitted ?? r.firstMissing.unsubmitted;
    if (!fm) {
      rows.push([r.customer, 'none', '–', '–', '–']);
      continue;
    }
    const t = Date.parse(fm.createdAt);
    const releases = (r.changes ?? []).filter((e) => e.kind === 'deploy');
    const before = releases.filter((e) => Date.parse(e.at) <= t).at(-1);
    const after = releases.find((e) => Date.parse(e.at) > t);
    rows.push([r.customer, `${formatLongDate(fm.createdAt)} ${formatShortDateTime(fm.createdAt).split(' ').at(-1) ?? ''}`, releaseCell(before), releaseCell(after), placement(fm.createdAt, before)]);
  }
  return {
    title: 'Correlation with missing scorecards',
    note: 'First missing scorecard (submitted, else unsubmitted; created, UTC) against the releases (changes of kind deploy) around it.',
    columns: [
      { header: 'Customer', align: 'left' },
      { header: 'First missing', align: 'left' },
      { header: 'Release before', align: 'left' },
      { header: 'Release after', align: 'left' },
      { header: 'Release timeline', align: 'left' },
    ],
    rows,
  };
}
