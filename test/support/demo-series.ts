// The demo's data as a GapSeries, straight from the plan's ground truth (exact integers, no database): what a gap
// run over the loaded demo would scan, with the look-back run by the real runLookback over the same counts. Lets
// unit tests read the findings and sentences the demo's customers get, in milliseconds after the plan is built.
import { groundTruth, type CustomerTruth, type GroundTruth } from '../../dev/demo/ground-truth.js';
import { PROFILE_ID, type Customer } from '../../dev/demo/incident-profile.js';
import { buildPlan } from '../../dev/demo/plan.js';
import { analyze, hoursThatMatter, verdictOf, type EarlierScan } from '../../src/gap/core/analyze/index.js';
import { buildReport } from '../../src/gap/core/build-report.js';
import { correlateFindings } from '../../src/changes/correlate.js';
import type { ChangeEvent, ChangeSourceStatus } from '../../src/changes/event.js';
import { FLAG, PROD_FLAG_AT, PROD_RELEASES } from '../../dev/demo/deployments-repo.js';
import type { Finding, GapReport, Population } from '../../src/gap/core/report.js';
import type { GapSeries, HourCell } from '../../src/gap/core/series.js';
import type { WindowCounts } from '../../src/gap/core/window-counts.js';
import { scanRange } from '../../src/gap/core/windows.js';
import { lookbackNeeded, runLookback } from '../../src/gap/lookback.js';

const POPS: readonly Population[] = ['submitted', 'unsubmitted'];
const iso = (hourKey: string): string => `${hourKey}:00:00.000Z`;

let cached: GroundTruth | null = null;
/** The demo's own data: seed 42, unsubmitted at 1/100, submitted at full volume (as `npm run demo` loads it). */
export function demoTruth(): GroundTruth {
  cached ??= groundTruth(buildPlan({ seed: 42, scale: 0.01, submittedScale: 1 }));
  return cached;
}

function cellsOf(truth: CustomerTruth, p: Population, from: string, to: string): HourCell[] {
  return Object.entries(truth.hourly[p])
    .map(([k, [total, missing]]) => ({ hour: iso(k), total, missing }))
    .filter((c) => c.hour >= from && c.hour < to && c.total > 0)
    .sort((a, b) => a.hour.localeCompare(b.hour));
}

/** The first missing scorecard of [from, to): a named one when it is the first, else the first missing hour. */
function firstMissingIn(g: GroundTruth, truth: CustomerTruth, p: Population, from: string, to: string): GapSeries['firstMissing'][Population] {
  const cell = cellsOf(truth, p, from, to).find((c) => c.missing > 0);
  if (!cell) return null;
  const named = g.named
    .filter((n) => n.customer === truth.customer && n.population === p && n.missing && n.createdAt >= from && n.createdAt < to)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0];
  if (named && named.createdAt.slice(0, 13) <= cell.hour.slice(0, 13)) {
    return { scorecardId: named.scorecardId, createdAt: named.createdAt, submittedAt: named.submittedAt };
  }
  return { scorecardId: `${truth.customer}-${p}-${cell.hour.slice(0, 13)}`, createdAt: cell.hour, submittedAt: null };
}

export function demoSeries(customer: Customer, period: { from: string; to: string }, historyMonths = 6): GapSeries {
  const g = demoTruth();
  const truth = g.perCustomer[customer];
  if (!truth) throw new Error(`no demo customer ${customer}`);
  const range = scanRange({ from: new Date(period.from), to: new Date(period.to) }, historyMonths);
  const scanned = { from: range.from.toISOString(), to: range.to.toISOString() };
  const [fromDay, toDay] = [scanned.from.slice(0, 10), scanned.to.slice(0, 10)];
  const inDays = (d: string): boolean => d >= fromDay && d < toDay;
  return {
    period,
    scanned,
    hourly: { submitted: cellsOf(truth, 'submitted', scanned.from, scanned.to), unsubmitted: cellsOf(truth, 'unsubmitted', scanned.from, scanned.to) },
    bySubmitDate: Object.entries(truth.dailyBySubmitted)
      .filter(([d]) => inDays(d))
      .map(([date, [total, missing]]) => ({ date, total, missing })),
    missingSubmittedPairs: Object.entries(truth.missingSubmittedPairs)
      .map(([k, count]) => {
        const [createdDate = '', submittedDate = ''] = k.split('|');
        return { createdDate, submittedDate, count };
      })
      .filter((x) => inDays(x.createdDate)),
    firstMissing: {
      submitted: firstMissingIn(g, truth, 'submitted', scanned.from, scanned.to),
      unsubmitted: firstMissingIn(g, truth, 'unsubmitted', scanned.from, scanned.to),
    },
    clickhouseMissingDays: truth.clickhouseMissing.filter((d) => d.date >= period.from.slice(0, 10) && d.date < toDay),
  };
}

/** analyze() as a gap run calls it: the series, then the look-back (the real runLookback over the same counts). */
export async function demoFindings(customer: Customer, period: { from: string; to: string }, lookbackMonths = 24): Promise<Finding[]> {
  return (await demoAnalysis(customer, period, lookbackMonths)).findings;
}

/** The series a gap run reports on (its first missing moved back by the look-back) and its findings. */
async function demoAnalysis(customer: Customer, period: { from: string; to: string }, lookbackMonths = 24): Promise<{ series: GapSeries; findings: Finding[] }> {
  const series = demoSeries(customer, period);
  const need = lookbackNeeded(analyze(series));
  if (need.length === 0 || lookbackMonths <= 0) return { series, findings: analyze(series) };
  const truth = demoTruth().perCustomer[customer] as CustomerTruth;
  const scan = async (w: { from: string; to: string }): Promise<WindowCounts> => ({
    window: w,
    rows: POPS.flatMap((p) =>
      cellsOf(truth, p, w.from, w.to).map((c) => ({
        hour: c.hour,
        submitted_date: p === 'submitted' ? c.hour.slice(0, 10) : null,
        cls: 'in_scope' as const,
        total: c.total,
        missing: c.missing,
        partial: 0,
        in_flight: 0,
      })),
    ),
    elapsedMs: 0,
  });
  const result = await runLookback({ scan, concurrency: 1, attempts: 1 }, series.scanned.from, lookbackMonths, need);
  const g = demoTruth();
  const firstMissing = { ...series.firstMissing };
  for (const p of need) {
    const hour = result.firstMissingHour[p];
    if (hour !== null) firstMissing[p] = firstMissingIn(g, truth, p, result.earlier.from, series.scanned.to);
  }
  const earlier: EarlierScan = result.earlier;
  const looked = { ...series, firstMissing };
  return { series: looked, findings: analyze(looked, earlier) };
}

/** The demo's deployments as config/demo.yml reads them (prod releases and prod flag switches; staging left out). */
export function demoChanges(): { events: ChangeEvent[]; sources: ChangeSourceStatus[] } {
  const events: ChangeEvent[] = [
    ...PROD_RELEASES.map((r) => ({ at: new Date(r.at).toISOString(), title: `apiserver release ${r.tag}`, kind: 'deploy' as const, link: null, source: 'apiserver prod releases' })),
    { at: new Date(PROD_FLAG_AT).toISOString(), title: `apiserver: enable ${FLAG} in us-east-1-prod (#253866)`, kind: 'flag', link: null, source: 'apiserver prod flags' },
  ];
  return { events, sources: [{ name: 'apiserver prod releases', available: true }, { name: 'apiserver prod flags', available: true }] };
}

/**
 * The report a gap run over the loaded demo builds for `customer` (buildReport over the demo's exact counts, the
 * findings with the look-back, the demo's changes attached), with fixed stats and time so it snapshots.
 */
export async function demoReport(customer: Customer, period: { from: string; to: string; label: string }): Promise<GapReport> {
  const { series, findings } = await demoAnalysis(customer, period);
  const truth = demoTruth().perCustomer[customer] as CustomerTruth;
  const days = Object.entries(truth.excluded.daily).filter(([d]) => d >= period.from.slice(0, 10) && d < period.to.slice(0, 10));
  const report = buildReport({
    customer,
    profile: PROFILE_ID,
    period: { from: new Date(period.from), to: new Date(period.to), label: period.label, grain: 'day' },
    series,
    excluded: { calibration: days.reduce((a, [, v]) => a + v.calibration, 0), nonOriginal: days.reduce((a, [, v]) => a + v.nonOriginal, 0) },
    clickhouseConfigured: true,
    findings,
    verdict: verdictOf(series, findings),
    hoursThatMatter: hoursThatMatter(series, findings),
    historyMonths: 6,
    stats: { windows: 212, queries: 230, elapsedMs: 1_800 },
    generatedAt: new Date(period.to),
  });
  const { events, sources } = demoChanges();
  return { ...report, findings: correlateFindings(report.findings, events), changes: events, changeSources: sources };
}
