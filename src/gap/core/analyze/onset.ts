// onset: when did missing start? The first missing scorecard (from the scan) and the first day on which missing
// was really happening. "Really" is a bad day (stats.isBad): over 1% with 95% Wilson confidence and at least two
// missing, so a lone straggler on a tiny day (1 of 3 = 33%) does not move the onset, while 26 of 129 does.
import type { Finding, Population } from '../report.js';
import type { GapSeries } from '../series.js';
import { isBad, rateOf } from './stats.js';
import { dateOf, type DayTally } from './view.js';

export type OnsetFinding = Extract<Finding, { kind: 'onset' }>;

/**
 * @param scannedDaily the population's daily counts over the whole scanned range (history included: the onset
 *   may well predate the period asked for).
 * @param missingInPeriod emitted only when the period itself has missing scorecards (a healthy period gets nothing).
 * @param scanStart the first day scanned ('YYYY-MM-DD', look-back included): a first missing or first bad day on it
 *   means the loss began earlier than the scan could see (`earlierThanScan`).
 */
export function findOnset(
  population: Population,
  first: GapSeries['firstMissing'][Population],
  scannedDaily: readonly DayTally[],
  missingInPeriod: number,
  scanStart?: string,
): OnsetFinding | null {
  if (first === null || missingInPeriod <= 0) return null;
  const firstBad = scannedDaily.find((d) => d.date >= dateOf(first.createdAt) && isBad(d)) ?? null;
  // Missing on the very first day scanned (look-back off or out of months): the loss began before what we saw.
  const earlierThanScan = scanStart !== undefined && (dateOf(first.createdAt) === scanStart || firstBad?.date === scanStart);
  return {
    kind: 'onset',
    population,
    firstMissingAt: first.createdAt,
    scorecardId: first.scorecardId,
    firstDayOver1Pct: firstBad?.date ?? null,
    rateThatDay: firstBad ? rateOf(firstBad) : null,
    ...(earlierThanScan ? { earlierThanScan: true } : {}),
  };
}
