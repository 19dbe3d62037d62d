import type { Finding, GapReport, Population } from '../core/report.js';
import {
  daysBetween,
  formatApprox,
  formatDate,
  formatDateTime,
  formatHourOfDay,
  formatInt,
  formatLevel,
  formatMonth,
  formatPct,
  formatRatio,
  formatShortDate,
  formatShortDateRange,
  formatWeekdayDate,
  formatWeekdays,
  plural,
} from '../../shared/format.js';
import { partialOnlyVerdict } from './settle-sentences.js';

// Plain English, with the numbers, one sentence per finding. Used as-is by the terminal and Slack renderers.

const MAX_TEMPLATES = 5;

function populationNoun(p: Population): string {
  return p === 'submitted' ? 'submitted scorecards' : 'unsubmitted scorecards';
}

function templatesClause(templates: Extract<Finding, { kind: 'batch_failure' }>['templates']): string {
  if (templates.length === 0) return '';
  const sorted = [...templates].sort((a, b) => b.count - a.count);
  const shown = sorted.slice(0, MAX_TEMPLATES).map((t) => `${t.title ?? t.templateId} (${formatInt(t.count)})`);
  const rest = sorted.length - MAX_TEMPLATES;
  return `; templates: ${shown.join(', ')}${rest > 0 ? `, and ${plural(rest, 'other')}` : ''}`;
}

type Chronic = Extract<Finding, { kind: 'chronic' }>;

/** The stretch at the level before a step: 'through Feb 2026' when it ends a month it filled, else 'from Feb 3 to Feb 28'. */
function beforeSpanText(span: { from: string; to: string }): string {
  const monthOf = (d: string): string => d.slice(0, 7);
  if (monthOf(span.from) === monthOf(span.to)) return `through ${formatMonth(span.to)}`;
  return `from ${formatMonth(span.from)} through ${formatMonth(span.to)}`;
}

/** "up from a steady 0.2% before it": the stretch of the same population that ended just before this one. */
function stepFrom(f: Chronic, others: readonly Finding[]): string {
  const prev = others
    .filter((o): o is Chronic => o.kind === 'chronic' && o.population === f.population && o.to < f.since)
    .sort((a, b) => a.to.localeCompare(b.to))
    .at(-1);
  if (!prev) return 'a step from the level before it';
  return `${f.level >= prev.level ? 'up' : 'down'} from a steady ${formatLevel(prev.level)} before it`;
}

function chronicStart(f: Chronic, others: readonly Finding[]): string {
  const began = f.began ?? f.since;
  switch (f.before) {
    case 'clean':
      return `began ${formatDate(began)}; 0% before`;
    case 'no_scorecards':
      return `began ${formatDate(began)}, with the customer's first ${populationNoun(f.population)} (${formatDate(f.since)})`;
    case 'other_level':
      return `began ${formatDate(began)}, ${stepFrom(f, others)}`;
    case 'not_scanned':
      return `already there on ${formatDate(f.since)}, the first day scanned: it began earlier`;
  }
}

type Weekly = Extract<Finding, { kind: 'weekly_failure' }>;
type Onset = Extract<Finding, { kind: 'onset' }>;

/** "Every Sat and Sun at 10:00 UTC, 80.0% of unsubmitted scorecards went missing (4 weekends, Jan 3 – Jan 25: ...)". */
function weeklySentence(f: Weekly): string {
  const weekend = f.weekdays.length === 2 && f.weekdays.includes(0) && f.weekdays.includes(6);
  const when = `Every ${formatWeekdays(f.weekdays)}${f.hourOfDay === null ? ', all day' : ` at ${formatHourOfDay(f.hourOfDay)}`}`;
  const span = f.from === f.to ? formatShortDate(f.from) : `${formatShortDate(f.from)} – ${formatShortDate(f.to)}`;
  const weeks = plural(f.weeks, weekend ? 'weekend' : 'week');
  const counts = `${formatInt(f.missing)} of ${formatInt(f.total)}`;
  const end =
    f.fixedOn !== null
      ? `the slot came round clean on ${formatWeekdayDate(f.fixedOn)}`
      : `still failing at the end of the period${f.nextExpected ? `, next expected ${formatWeekdayDate(f.nextExpected, f.hourOfDay !== null)}` : ''}`;
  return `${when}, ${formatPct(f.missingRate)} of ${populationNoun(f.population)} went missing (${weeks}, ${span}: ${counts}); ${end}.`;
}

/** Why the onset's first day over 1% is not the day the level changed (story.ts), or ''. */
function levelChangeClause(f: Onset): string {
  const c = f.levelChangedOn;
  if (!c) return '';
  const day = `${formatInt(c.missing)} of ${formatInt(c.total)}`;
  if (f.firstDayOver1Pct === null) return `, but the level changed on ${formatDate(c.date)} (see the change point): no single day was clear evidence on its own`;
  if (c.date < f.firstDayOver1Pct) return `; the new level began earlier, on ${formatDate(c.date)} (the change point), when ${day} missing was not yet clear evidence on its own`;
  return `; the sustained level began later, on ${formatDate(c.date)} (the change point): the days over 1% before it were isolated`;
}

/** @param others the report's findings: an onset beside a chronic stretch is not "isolated one-offs". */
export function findingSentence(f: Finding, others: readonly Finding[] = []): string {
  switch (f.kind) {
    case 'chronic': {
      const range = `${formatLevel(f.range.low)}–${formatLevel(f.range.high)}`;
      return (
        `Chronic: a steady ${formatLevel(f.level)} (${range}) of ${populationNoun(f.population)} missing every day from ` +
        `${formatDate(f.since)} to ${formatDate(f.to)} (${formatInt(f.missing)} of ${formatInt(f.total)} over ${plural(f.days, 'day')}), ` +
        `nothing changed in between; ${chronicStart(f, others)}.`
      );
    }
    case 'onset': {
      const first = `The first missing ${f.population} scorecard was created ${formatDateTime(f.firstMissingAt)} (${f.scorecardId})`;
      const earlier = f.earlierThanScan ? ' (the first day scanned: it began earlier)' : '';
      if (f.firstDayOver1Pct === null) {
        if (f.levelChangedOn) return `${first}${earlier}; no day's missing rate was clearly over 1%${levelChangeClause(f)}.`;
        const chronic = others.some((o) => o.kind === 'chronic' && o.population === f.population);
        return `${first}${earlier}; no day's missing rate passed 1%${chronic ? ', but the loss is steady (see chronic)' : ': isolated one-offs only'}.`;
      }
      const rate = f.rateThatDay === null ? '' : ` (${formatPct(f.rateThatDay)})`;
      return `${first}${earlier}; the daily missing rate first passed 1% on ${formatDate(f.firstDayOver1Pct)}${rate}${levelChangeClause(f)}.`;
    }
    case 'change_point': {
      const verb = f.after >= f.before ? 'jumped' : 'dropped';
      const first = f.atPeriodStart ? ", the period's first day" : '';
      const span = f.beforeSpan ? `; ${formatPct(f.before)} ${beforeSpanText(f.beforeSpan)}` : '';
      return `Missing rate for ${populationNoun(f.population)} ${verb} from ${formatPct(f.before)} to ${formatPct(f.after)} on ${formatDate(f.at)}${first}${span}.`;
    }
    case 'batch_failure': {
      const rate = formatRatio(f.missing, f.total);
      return (
        `Batch job at ${formatDateTime(f.at)} failed: ${formatInt(f.missing)} of ${formatInt(f.total)} ` +
        `${populationNoun(f.population)} missing (${rate}), in an hour that usually has ${formatApprox(f.typicalHourTotal)}` +
        `${templatesClause(f.templates)}.`
      );
    }
    case 'recurring_failure': {
      const span = daysBetween(f.from, f.to) + 1;
      const how = f.days >= span ? 'daily' : `on ${plural(f.days, 'day')}`;
      const counts = `${formatPct(f.missingRate)} missing: ${formatInt(f.missing)} of ${formatInt(f.total)} ${populationNoun(f.population)}`;
      const end = f.fixedOn === null ? 'still failing at the end of the period' : `fixed on ${formatShortDate(f.fixedOn)}`;
      return `The ${formatHourOfDay(f.hourOfDay)} batch failed ${how} from ${formatShortDate(f.from)} to ${formatShortDate(f.to)} (${counts}), ${end}.`;
    }
    case 'weekly_failure':
      return weeklySentence(f);
    case 'recovery':
      return `Missing rate for ${populationNoun(f.population)} recovered to ${formatPct(f.rateAfter)} from ${formatDate(f.at)}.`;
    case 'submit_date_correlation':
      return (
        `${formatInt(f.count)} missing ${f.count === 1 ? 'scorecard was' : 'scorecards were'} created before ${formatShortDate(f.createdBefore)} ` +
        `but submitted ${formatShortDateRange(f.submittedFrom, f.submittedTo)}: missing follows the submit date, not the create date.`
      );
    case 'clickhouse_gap': {
      const worst = [...f.days].sort((a, b) => b.count - a.count)[0];
      const where = f.days.length === 0 ? '' : ` on ${plural(f.days.length, 'day')}`;
      const most = worst && f.days.length > 1 ? ` (most on ${formatDate(worst.date)}: ${formatInt(worst.count)})` : '';
      const noun = f.count === 1 ? populationNoun(f.population).replace(/s$/, '') : populationNoun(f.population);
      return `${formatInt(f.count)} ${noun} ${f.count === 1 ? 'is' : 'are'} in historic but missing from ClickHouse${where}${most}.`;
    }
  }
}

function countsPhrase(missing: number, total: number, noun: string): string {
  return `${formatInt(missing)} of ${formatInt(total)} ${noun} (${formatRatio(missing, total)})`;
}

/** "ClickHouse: unavailable (connection refused)": the tier could not be compared, and why (a masked reason). */
export function clickhouseUnavailable(report: GapReport): string {
  return `ClickHouse: unavailable (${report.clickhouse.error ?? 'no reason given'})`;
}

/** One line: what the report concludes, with the numbers. */
export function verdictSentence(report: GapReport): string {
  const { submitted, unsubmitted } = report.populations;
  const subject = `${report.customer}, ${report.period.label}`;
  const chMissing = (submitted.clickhouseMissing ?? 0) + (unsubmitted.clickhouseMissing ?? 0);
  const chClause = !report.clickhouse.configured
    ? ''
    : !report.clickhouse.available
      ? `; ${clickhouseUnavailable(report)}`
      : chMissing > 0
      ? `; ${formatInt(chMissing)} more ${chMissing === 1 ? 'is' : 'are'} in historic but missing from ClickHouse`
      : '; ClickHouse matches historic';
  switch (report.verdict) {
    case 'gap': {
      const parts: string[] = [];
      if (submitted.missing > 0 || unsubmitted.missing === 0) parts.push(countsPhrase(submitted.missing, submitted.total, 'submitted'));
      if (unsubmitted.missing > 0) parts.push(countsPhrase(unsubmitted.missing, unsubmitted.total, 'unsubmitted'));
      return `${subject}: ${parts.join(' and ')} scorecards are missing from historic${chClause}.`;
    }
    case 'no_gap':
      return (
        `${subject}: no gap: all ${formatInt(submitted.total)} submitted and ${formatInt(unsubmitted.total)} unsubmitted ` +
        `scorecards are in historic${!report.clickhouse.configured ? '' : report.clickhouse.available ? ' and ClickHouse' : `; ${clickhouseUnavailable(report)}`}.`
      );
    case 'no_data': {
      const { calibration, nonOriginal } = report.excluded;
      const excluded = calibration + nonOriginal;
      const where = `${report.customer}/${report.profile} in ${report.period.label}`;
      return excluded === 0
        ? `No scorecards in director for ${where}: check the customer, profile and period.`
        : `No scorecards in scope in director for ${where} (only ${formatInt(excluded)} calibration or non-original ones, excluded by design): check the customer, profile and period.`;
    }
    case 'partial_only':
      return partialOnlyVerdict(report, chClause);
    case 'clickhouse_gap_only': {
      const parts: string[] = [];
      if ((submitted.clickhouseMissing ?? 0) > 0) parts.push(`${formatInt(submitted.clickhouseMissing ?? 0)} submitted`);
      if ((unsubmitted.clickhouseMissing ?? 0) > 0) parts.push(`${formatInt(unsubmitted.clickhouseMissing ?? 0)} unsubmitted`);
      const what = parts.length > 0 ? parts.join(' and ') : formatInt(chMissing);
      return `${subject}: historic is complete, but ${what} scorecards are missing from ClickHouse.`;
    }
  }
}

/**
 * The story in a person's words, when a loss is chronic: "spirit: unsubmitted scorecards have been going missing
 * at ~0.2% a day since Jul 2025, then ~4.2% from Nov 2025, then 12.0% in Jan 2026". null without a chronic finding.
 */
export function storySentence(report: GapReport): string | null {
  const parts: string[] = [];
  for (const population of ['submitted', 'unsubmitted'] as const) {
    const stretches = report.findings
      .filter((f): f is Chronic => f.kind === 'chronic' && f.population === population)
      .sort((a, b) => a.since.localeCompare(b.since));
    const [first, ...rest] = stretches;
    if (!first) continue;
    const since = first.began === null ? `since at least ${formatMonth(first.since)}` : `since ${formatMonth(first.began)}`;
    const steps = [`${populationNoun(population)} have been going missing at ~${formatLevel(first.level)} a day ${since}`];
    for (const c of rest) steps.push(`then ~${formatLevel(c.level)} from ${formatMonth(c.began ?? c.since)}`);
    const last = stretches[stretches.length - 1] ?? first;
    const { total, missing } = report.populations[population];
    const rate = total > 0 ? missing / total : 0;
    // The period's own rate, when it is a level of its own (twice or half the last steady one).
    if (total > 0 && (rate >= 2 * last.level || rate <= last.level / 2)) steps.push(`then ${formatRatio(missing, total)} in ${report.period.label}`);
    parts.push(steps.join(', '));
  }
  return parts.length === 0 ? null : `${report.customer}: ${parts.join('; ')}.`;
}
