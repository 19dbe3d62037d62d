import type { BucketCounts, Counts, GapReport } from '../core/report.js';
import {
  formatDate,
  formatHour,
  formatHourOfDay,
  formatInt,
  formatLevel,
  formatMonth,
  formatPct,
  formatRatio,
  formatShortDate,
  formatWeekdays,
} from '../../shared/format.js';
import type { TableColumn, TableModel } from '../../shared/text-table.js';

// The tables a person wants to see, as plain cell text. The terminal renders them as aligned pipe tables, Slack
// as `table` blocks (or code blocks); both show the same cells.

const L = (header: string): TableColumn => ({ header, align: 'left' });
const R = (header: string): TableColumn => ({ header, align: 'right' });

const POPULATION_COLUMNS: TableColumn[] = [R('Submitted'), R('Missing'), R('% Missing'), R('Unsubmitted'), R('Missing'), R('% Missing')];
/** With partial scorecards, a Partial column after each population's % Missing: 9 columns, within a Slack table's 20. */
const POPULATION_COLUMNS_PARTIAL: TableColumn[] = [
  R('Submitted'), R('Missing'), R('% Missing'), R('Partial'), R('Unsubmitted'), R('Missing'), R('% Missing'), R('Partial'),
];

/** Partial columns only when the report has partial scorecards: a report without any reads as it always did. */
function withPartial(report: GapReport): boolean {
  return report.populations.submitted.partial + report.populations.unsubmitted.partial > 0;
}

function populationColumns(partial: boolean): TableColumn[] {
  return partial ? POPULATION_COLUMNS_PARTIAL : POPULATION_COLUMNS;
}

function countCells(c: Counts): string[] {
  return [formatInt(c.total), formatInt(c.missing), formatRatio(c.missing, c.total)];
}

function populationCells(c: BucketCounts, partial: boolean): string[] {
  return partial ? [...countCells(c), formatInt(c.partial)] : countCells(c);
}

function bucketCells(b: { submitted: BucketCounts; unsubmitted: BucketCounts }, partial: boolean): string[] {
  return [...populationCells(b.submitted, partial), ...populationCells(b.unsubmitted, partial)];
}

function hasMissing(b: { submitted: BucketCounts; unsubmitted: BucketCounts }): boolean {
  return b.submitted.missing > 0 || b.unsubmitted.missing > 0 || b.submitted.partial > 0 || b.unsubmitted.partial > 0;
}

export function monthlyTable(report: GapReport): TableModel {
  const monthly = [...report.monthly].sort((a, b) => a.month.localeCompare(b.month));
  const partial = withPartial(report);
  return {
    title: 'Monthly',
    note: `Scorecards by the month they were created (UTC); missing = absent from historic${partial ? '; partial = in historic, lacking criteria that director.scores has' : ''}.`,
    columns: [L('Month'), ...populationColumns(partial)],
    rows: monthly.map((m) => [formatMonth(m.month), ...bucketCells(m, partial)]),
    emphasis: monthly.map(hasMissing),
  };
}

export function dailyTable(report: GapReport): TableModel {
  const daily = [...report.daily].sort((a, b) => a.date.localeCompare(b.date));
  return {
    title: 'Daily',
    note: 'Scorecards by the day they were created (UTC).',
    columns: [L('Date'), ...populationColumns(withPartial(report))],
    rows: daily.map((d) => [formatDate(d.date), ...bucketCells(d, withPartial(report))]),
  };
}

export function dailyBySubmittedTable(report: GapReport): TableModel {
  const rows = [...report.dailyBySubmitted].sort((a, b) => a.date.localeCompare(b.date));
  return {
    title: 'Submitted scorecards by submit date',
    note: 'The same submitted scorecards, grouped by the day they were submitted (UTC).',
    columns: [L('Submitted on'), R('Total'), R('Missing'), R('% Missing')],
    rows: rows.map((d) => [formatDate(d.date), ...countCells(d)]),
  };
}

/** The hours worth a look: hours with missing scorecards (the worst first, at most `maxMissingHours`), each with
 *  the hour before and after it for contrast, in time order. Reports with few hours keep them all. */
export function hoursThatMatter(report: GapReport, maxMissingHours = 30, keepAllBelow = 24): GapReport['hourly'] {
  const hourly = [...report.hourly].sort((a, b) => a.hour.localeCompare(b.hour));
  if (hourly.length <= keepAllBelow) return hourly;
  const worst = hourly
    .map((h, i) => ({ i, missing: h.submitted.missing + h.unsubmitted.missing }))
    .filter((x) => x.missing > 0)
    .sort((a, b) => b.missing - a.missing || a.i - b.i)
    .slice(0, maxMissingHours);
  const keep = new Set<number>();
  for (const { i } of worst) for (const j of [i - 1, i, i + 1]) if (j >= 0 && j < hourly.length) keep.add(j);
  return [...keep].sort((a, b) => a - b).flatMap((i) => (hourly[i] ? [hourly[i]] : []));
}

export function hourlyTable(report: GapReport): TableModel {
  const hours = hoursThatMatter(report);
  const all = hours.length === report.hourly.length;
  return {
    title: 'Hourly',
    note: all
      ? 'Scorecards by the hour they were created.'
      : `The hours with the most missing scorecards and the hours around them (${hours.length} of ${report.hourly.length}).`,
    columns: [L('Hour (UTC)'), ...populationColumns(withPartial(report))],
    rows: hours.map((h) => [formatHour(h.hour).replace(/ UTC$/, ''), ...bucketCells(h, withPartial(report))]),
    emphasis: hours.map(hasMissing),
  };
}

interface TimelineEvent {
  /** Sort key: the day, then first-missing before other events of that day, then the time. */
  key: string;
  when: string;
  population: string;
  event: string;
}

function whenCell(at: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(at)) return at;
  const d = new Date(at);
  return `${formatDate(at)} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

/** First missing scorecards and the turning points found, in time order. */
export function timelineTable(report: GapReport): TableModel {
  const events: TimelineEvent[] = [];
  const add = (at: string, population: string, event: string, order = 1): void => {
    const iso = new Date(at).toISOString();
    events.push({ key: `${iso.slice(0, 10)}|${order}|${iso}`, when: whenCell(at), population, event });
  };
  for (const population of ['submitted', 'unsubmitted'] as const) {
    const first = report.firstMissing[population];
    if (!first) continue;
    const submitted = first.submittedAt ? `, submitted ${formatShortDate(first.submittedAt)}` : '';
    add(first.createdAt, population, `First missing scorecard created (${first.scorecardId}${submitted})`, 0);
  }
  for (const f of report.findings) {
    switch (f.kind) {
      case 'chronic': {
        const range = `${formatLevel(f.range.low)}–${formatLevel(f.range.high)}`;
        const start =
          f.began === null
            ? 'Already steady on the first day scanned'
            : f.before === 'other_level'
              ? 'New steady level'
              : `Steady loss begins${f.before === 'clean' ? ' (0% before)' : ''}`;
        add(f.began ?? f.since, f.population, `${start}: ~${formatLevel(f.level)} a day (${range}) until ${formatShortDate(f.to)}, no change in between`);
        break;
      }
      case 'onset':
        if (f.firstDayOver1Pct !== null) {
          const rate = f.rateThatDay === null ? '' : ` (${formatPct(f.rateThatDay)})`;
          add(f.firstDayOver1Pct, f.population, `Daily missing rate first over 1%${rate}`);
        }
        break;
      case 'change_point':
        add(f.at, f.population, `Missing rate ${formatPct(f.before)} → ${formatPct(f.after)}`);
        break;
      case 'batch_failure':
        add(f.at, f.population, `Batch failure: ${formatInt(f.missing)} of ${formatInt(f.total)} missing (${formatRatio(f.missing, f.total)})`);
        break;
      case 'recurring_failure':
        add(f.from, f.population, `${formatHourOfDay(f.hourOfDay)} batch starts failing (${formatPct(f.missingRate)} missing)`);
        if (f.fixedOn !== null) add(f.fixedOn, f.population, `${formatHourOfDay(f.hourOfDay)} batch fixed`);
        break;
      case 'weekly_failure': {
        const slot = `${formatWeekdays(f.weekdays)}${f.hourOfDay === null ? '' : ` ${formatHourOfDay(f.hourOfDay)}`}`;
        add(f.from, f.population, `Every ${slot} starts failing (${formatPct(f.missingRate)} missing)`);
        if (f.fixedOn !== null) add(f.fixedOn, f.population, `${slot} came round clean`);
        break;
      }
      case 'recovery':
        add(f.at, f.population, `Recovered: ${formatPct(f.rateAfter)} missing`);
        break;
      case 'clickhouse_gap':
      case 'submit_date_correlation':
        break;
    }
  }
  events.sort((a, b) => a.key.localeCompare(b.key));
  return {
    title: 'Timeline',
    note: 'When it started and what changed (UTC).',
    columns: [L('When (UTC)'), L('Population'), L('Event')],
    rows: events.map((e) => [e.when, e.population, e.event]),
  };
}

export function clickhouseDaysTable(report: GapReport): TableModel {
  const days = [...report.clickhouse.days].sort((a, b) => a.date.localeCompare(b.date) || a.population.localeCompare(b.population));
  return {
    title: 'ClickHouse',
    note: 'Days where scorecards are in historic but missing from ClickHouse.',
    columns: [L('Date'), L('Population'), R('Missing in ClickHouse')],
    rows: days.map((d) => [formatDate(d.date), d.population, formatInt(d.missing)]),
  };
}

/** The report's "Scale of Impact" table, one row a customer and a total row. */
/** Missing and partial scorecards of a report: what the impact table sorts by. */
const affectedCount = (r: GapReport): number =>
  r.populations.submitted.missing + r.populations.unsubmitted.missing + r.populations.submitted.partial + r.populations.unsubmitted.partial;

/** Names, the first `max` of them, then how many more. */
function someNames(names: readonly string[], max = 10): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

/**
 * The `all` report's table: customers with scorecards, most missing first; customers with none in one note line
 * (zeros would read as "nothing missing"); with `maxRows` (a Slack table's limit), the rest as one "and K more"
 * row. The Total row always covers every customer.
 */
export function impactTable(reports: GapReport[], opts: { maxRows?: number } = {}): TableModel {
  const sum = (pick: (r: GapReport) => number): number => reports.reduce((acc, r) => acc + pick(r), 0);
  const partial = reports.some(withPartial);
  const order = new Map(reports.map((r, i) => [r.customer, i]));
  const withData = reports
    .filter((r) => r.verdict !== 'no_data')
    .sort((a, b) => affectedCount(b) - affectedCount(a) || (order.get(a.customer) ?? 0) - (order.get(b.customer) ?? 0));
  // Room for the header, the "and K more" row and the Total row.
  const room = opts.maxRows === undefined ? Infinity : Math.max(1, opts.maxRows - 3);
  const shown = withData.length > room ? withData.slice(0, room) : withData;
  const hidden = withData.slice(shown.length);
  const rows = shown.map((r) => {
    const { submitted: s, unsubmitted: u } = r.populations;
    return [r.customer, r.profile, ...populationCells(s, partial), ...populationCells(u, partial)];
  });
  if (hidden.length > 0) {
    const of = (p: 'submitted' | 'unsubmitted'): BucketCounts => ({
      total: hidden.reduce((a, r) => a + r.populations[p].total, 0),
      missing: hidden.reduce((a, r) => a + r.populations[p].missing, 0),
      partial: hidden.reduce((a, r) => a + r.populations[p].partial, 0),
    });
    rows.push([`and ${hidden.length} more (in the CSV)`, '', ...populationCells(of('submitted'), partial), ...populationCells(of('unsubmitted'), partial)]);
  }
  const total: BucketCounts[] = (['submitted', 'unsubmitted'] as const).map((p) => ({
    total: sum((r) => r.populations[p].total),
    missing: sum((r) => r.populations[p].missing),
    partial: sum((r) => r.populations[p].partial),
  }));
  const periods = [...new Set(reports.map((r) => r.period.label))];
  const empty = reports.filter((r) => r.verdict === 'no_data').map((r) => r.customer);
  const emptyLine =
    empty.length === 0
      ? null
      : empty.length === 1
        ? `No scorecards in director for ${empty[0]} in ${periods.join(', ')} (check the customer, profile and period).`
        : `${empty.length} customers have no scorecards in ${periods.join(', ')}: ${someNames(empty)}.`;
  const notes = [...(periods.length > 0 ? [`Period: ${periods.join(', ')}.`] : []), ...(emptyLine ? [emptyLine] : [])];
  rows.push([
    `Total (${reports.length} ${reports.length === 1 ? 'customer' : 'customers'})`,
    '',
    ...total.flatMap((c) => populationCells(c, partial)),
  ]);
  return {
    title: 'Scale of impact',
    note: notes.length > 0 ? notes.join(' ') : undefined,
    columns: [
      L('Customer'),
      L('Profile'),
      R('Total Submitted'),
      R('Missing'),
      R('% Missing'),
      ...(partial ? [R('Partial')] : []),
      R('Total Unsubmitted'),
      R('Missing'),
      R('% Missing'),
      ...(partial ? [R('Partial')] : []),
    ],
    rows,
    emphasis: rows.map((_, i) => i === rows.length - 1),
  };
}
