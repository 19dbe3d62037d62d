// analyze(): a GapSeries in, the findings a person would write out, each carrying its evidence numbers. Pure.
//
// Per population the detectors run in dependency order: recurring failures first (so their hours are not taken for
// isolated batches), then batch failures; the hours both explain are removed from the daily series before looking
// for a recovery and then for change points before that recovery, so one event is reported once, as what it is.
// Onset uses the raw daily series of the whole scanned range, and chronic the residual one (both with the months
// a look-back scanned before it, when one ran). The output order is stable: by kind (chronic, onset, change_point, batch_failure, recurring_failure, recovery, submit_date_correlation, clickhouse_gap), then
// population (submitted, unsubmitted), then time.
import type { Finding, Population } from '../report.js';
import type { GapSeries, HourCell } from '../series.js';
import { findBatchFailures, typicalHourTotal } from './batch-failure.js';
import { findChangePoints } from './change-point.js';
import { findChronic } from './chronic.js';
import { findClickhouseGap } from './clickhouse-gap.js';
import { findOnset } from './onset.js';
import { findRecovery } from './recovery.js';
import { findRecurringFailures } from './recurring-failure.js';
import { findSubmitDateCorrelation } from './submit-date-correlation.js';
import { dailyOf, dateOf, periodCells, periodDates, POPULATIONS } from './view.js';

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
  'batch_failure',
  'recurring_failure',
  'recovery',
  'submit_date_correlation',
  'clickhouse_gap',
];

function analyzePopulation(series: GapSeries, population: Population, earlier?: EarlierScan): Finding[] {
  const cells = periodCells(series, population);
  const recurring = findRecurringFailures(population, cells, periodDates(series.period));
  const batches = findBatchFailures(population, cells, typicalHourTotal(series.hourly[population]), recurring);
  const explained = new Set([...recurring.flatMap((r) => r.hours), ...batches.map((b) => b.at)]);
  // Batch `at` is normalised to toISOString(); add the cells' own spelling too in case the series differs.
  for (const c of cells) if (explained.has(new Date(c.hour).toISOString())) explained.add(c.hour);
  const residual = dailyOf(cells, explained);
  const recovery = findRecovery(population, residual);
  const beforeRecovery = recovery ? residual.filter((d) => d.date < recovery.at) : residual;
  const missingInPeriod = cells.reduce((s, c) => s + c.missing, 0);
  const scanStart = dateOf(earlier?.from ?? series.scanned.from);
  const allCells = [...(earlier?.hourly[population] ?? []), ...series.hourly[population]];
  const onset = findOnset(population, series.firstMissing[population], dailyOf(allCells), missingInPeriod, scanStart);
  // Like onset, only about a period that has missing of its own; the stretch itself may lie before the period.
  const chronicDays = dailyOf(allCells, explained).filter((d) => recovery === null || d.date < recovery.at);
  const chronic = missingInPeriod > 0 ? findChronic(population, chronicDays, { scanStart }) : [];
  const clickhouse = findClickhouseGap(series, population);
  return [
    ...chronic,
    ...(onset ? [onset] : []),
    ...findChangePoints(population, beforeRecovery),
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
