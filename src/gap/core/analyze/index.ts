// analyze(): a GapSeries in, the findings a person would write out, each carrying its evidence numbers. Pure.
//
// Per population the detectors run in dependency order: weekly failures first (a slot that fails every Saturday
// and Sunday is neither a daily run nor a string of isolated batches), then recurring failures (so their hours are
// not taken for isolated batches), then batch failures; the hours all three explain are removed from the daily
// series before looking for a recovery and then for change points before that recovery, so one event is reported
// once, as what it is. A recovery waits for every weekly slot to have come round clean. Onset uses the raw daily
// series of the whole scanned range, and chronic the residual one (both with the months a look-back scanned
// before it, when one ran); a step on the period's first day is found against those earlier days. story.ts then
// makes the findings agree with each other (consecutive change points share their segment; onset and first change
// point). The output order is stable: by kind (chronic, onset, change_point, weekly_failure, batch_failure,
// recurring_failure, recovery, submit_date_correlation, clickhouse_gap), then population (submitted,
// unsubmitted), then time.
import type { Finding, Population } from '../report.js';
import type { GapSeries, HourCell } from '../series.js';
import { findBatchFailures, typicalHourTotal } from './batch-failure.js';
import { segmentDays, toChangePoint, type ChangePointFinding } from './change-point.js';
import { findChronic, type ChronicFinding } from './chronic.js';
import { findClickhouseGap } from './clickhouse-gap.js';
import { findOnset } from './onset.js';
import { findPeriodStartStep } from './period-start.js';
import { findRecovery } from './recovery.js';
import { findRecurringFailures } from './recurring-failure.js';
import { oneStory, withLevelChange } from './story.js';
import { findSubmitDateCorrelation } from './submit-date-correlation.js';
import { CHANGE_POINT } from './thresholds.js';
import { dailyOf, dateOf, hourOfDay, periodCells, periodDates, POPULATIONS } from './view.js';
import { weekdayOf } from './weekday-structure.js';
import { findWeeklyFailures } from './weekly-failure.js';

export { hoursThatMatter } from './hours-that-matter.js';
export { verdictOf, type Verdict } from './verdict.js';

/** Months scanned before the scanned range to find when a loss began (see ../lookback.ts); cells are sorted. */
export interface EarlierScan {
  from: string;
  hourly: Record<Population, HourCell[]>;
}

// A chronic stretch comes first: it is what the other findings of its population happen on top of.
const KIND_ORDER: readonly Finding['kind'][] = [
  'chronic',
  'onset',
  'change_point',
  'weekly_failure',
  'batch_failure',
  'recurring_failure',
  'recovery',
  'submit_date_correlation',
  'clickhouse_gap',
];

function analyzePopulation(series: GapSeries, population: Population, earlier?: EarlierScan): Finding[] {
  const cells = periodCells(series, population);
  const dates = periodDates(series.period);
  const weekly = findWeeklyFailures(population, cells, dates, series.period.to);
  const weeklyHours = new Set(weekly.flatMap((w) => w.hours));
  const rest = cells.filter((c) => !weeklyHours.has(c.hour));
  const recurring = findRecurringFailures(population, rest, dates);
  const batches = findBatchFailures(population, rest, typicalHourTotal(series.hourly[population]), recurring);
  const explained = new Set([...weeklyHours, ...recurring.flatMap((r) => r.hours), ...batches.map((b) => b.at)]);
  // Batch `at` is normalised to toISOString(); add the cells' own spelling too in case the series differs.
  for (const c of cells) if (explained.has(new Date(c.hour).toISOString())) explained.add(c.hour);
  const residual = dailyOf(cells, explained);
  // No recovery while a weekly slot still fails, nor before each has come round clean.
  const stillWeekly = weekly.some((w) => w.finding.fixedOn === null);
  const lastFix = weekly.map((w) => w.finding.fixedOn ?? '').sort().pop();
  const recovery = stillWeekly ? null : findRecovery(population, residual, lastFix || undefined);
  const beforeRecovery = recovery ? residual.filter((d) => d.date < recovery.at) : residual;
  const missingInPeriod = cells.reduce((s, c) => s + c.missing, 0);
  const scanStart = dateOf(earlier?.from ?? series.scanned.from);
  const periodStart = dateOf(series.period.from);
  const allCells = [...(earlier?.hourly[population] ?? []), ...series.hourly[population]];
  const rawDays = dailyOf(allCells);
  const onset = findOnset(population, series.firstMissing[population], rawDays, missingInPeriod, scanStart);

  const splits = segmentDays(beforeRecovery, CHANGE_POINT, { weekly: true });
  const inPeriod = splits.map((s) => toChangePoint(population, beforeRecovery, s));
  // The weekly slot before the period is the same slot: its earlier occurrences are no level of their own (a
  // Jan of failing weekends would otherwise read as "23% -> 0% on Feb 1" against Feb's residual).
  for (const c of allCells) {
    if (c.hour >= series.period.from) continue;
    if (weekly.some((w) => w.finding.weekdays.includes(weekdayOf(dateOf(c.hour))) && (w.finding.hourOfDay === null || w.finding.hourOfDay === hourOfDay(c.hour)))) explained.add(c.hour);
  }
  const allResidual = dailyOf(allCells, explained);
  const step = missingInPeriod > 0 ? findPeriodStartStep(population, allResidual.filter((d) => d.date < periodStart), beforeRecovery, splits, periodStart) : null;
  // Like onset, only about a period that has missing of its own; the stretch itself may lie before the period.
  const chronicDays = allResidual.filter((d) => recovery === null || d.date < recovery.at);
  const cutDates = [...(step ? [step.at] : []), ...inPeriod.map((c) => c.at)];
  const chronicOut = missingInPeriod > 0 ? findChronic(population, chronicDays, { scanStart, periodStart, cutDates }) : [];
  const chronic = chronicOut.filter((f): f is ChronicFinding => f.kind === 'chronic');
  const seenBegin = chronicOut.filter((f): f is ChangePointFinding => f.kind === 'change_point');
  const changePoints = oneStory([...(step ? [step] : []), ...inPeriod, ...seenBegin], beforeRecovery);
  const clickhouse = findClickhouseGap(series, population);
  const story = withLevelChange(onset, changePoints, rawDays);
  return [
    ...chronic,
    ...(story ? [story] : []),
    ...changePoints,
    ...weekly.map((w) => w.finding),
    ...batches,
    ...recurring.map((r) => r.finding),
    ...(recovery ? [recovery] : []),
    ...(clickhouse ? [clickhouse] : []),
  ];
}

export function analyze(series: GapSeries, earlier?: EarlierScan): Finding[] {
  const perPopulation = POPULATIONS.map((p) => analyzePopulation(series, p, earlier));
  // Only about the period's own missing submitted scorecards: a healthy period gets no findings.
  const submittedMissing = periodCells(series, 'submitted').some((c) => c.missing > 0);
  const submitDate = submittedMissing ? findSubmitDateCorrelation(series) : null;
  const all = [...perPopulation.flat(), ...(submitDate ? [submitDate] : [])];
  const population = (f: Finding): number => POPULATIONS.indexOf(f.population);
  // Array.prototype.sort is stable: within a kind and population the detectors' time order is kept.
  return all.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || population(a) - population(b));
}
