import type { Period } from '../../period/parse-period.js';
import type { BucketCounts, Finding, GapReport, GapVerdict, Population } from './report.js';
import type { GapSeries, HourCell } from './series.js';
import { monthlyFrom } from './windows.js';
import { dateInPeriod } from './analyze/view.js';

export interface BuildReportInput {
  customer: string;
  profile: string;
  period: Period;
  series: GapSeries;
  excluded: { calibration: number; nonOriginal: number };
  clickhouseConfigured: boolean;
  /** Set when ClickHouse was configured but failed: the tier is then reported unavailable, its counts unknown. */
  clickhouseError?: string | null;
  findings: Finding[];
  verdict: GapReport['verdict'];
  hoursThatMatter: string[];
  historyMonths: number;
  stats: GapReport['stats'];
  generatedAt: Date;
  /** The run's settle rule (see GapReport.settle); absent: nothing was held back as in flight. */
  settle?: GapReport['settle'];
  /** Per population: in historic, absent from ClickHouse, newer than ClickHouse's settle cutoff (null: not compared). */
  clickhouseInFlight?: Record<Population, number> | null;
}

const DAY_MS = 86_400_000;
const zero = (): BucketCounts => ({ total: 0, missing: 0, partial: 0 });

function add(into: BucketCounts, c: HourCell): void {
  into.total += c.total;
  into.missing += c.missing;
  into.partial += c.partial ?? 0;
}

/**
 * The verdict with partial scorecards counted: a period whose every scorecard is in historic but some lack criteria
 * is not "no gap" (nor only a ClickHouse gap, a lesser one); a period with missing ones stays "gap".
 */
export function verdictWithPartial(verdict: GapVerdict, partial: number): GapVerdict {
  return partial > 0 && (verdict === 'no_gap' || verdict === 'clickhouse_gap_only') ? 'partial_only' : verdict;
}

function sumBy(cells: HourCell[], keyOf: (hour: string) => string | null): Map<string, BucketCounts> {
  const out = new Map<string, BucketCounts>();
  for (const c of cells) {
    const k = keyOf(c.hour);
    if (k === null) continue;
    const acc = out.get(k) ?? zero();
    add(acc, c);
    out.set(k, acc);
  }
  return out;
}

function monthKeys(period: Period, historyMonths: number): string[] {
  const out: string[] = [];
  const first = monthlyFrom(period, historyMonths);
  for (let d = first; d < period.to; d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1))) out.push(d.toISOString().slice(0, 7));
  return out;
}

function dayKeys(period: Period): string[] {
  const out: string[] = [];
  for (let t = period.from.getTime(); t < period.to.getTime(); t += DAY_MS) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/** Pure: the scan's series plus the analysis, shaped as the GapReport every renderer reads. */
export function buildReport(input: BuildReportInput): GapReport {
  const { series, period } = input;
  const from = period.from.toISOString();
  const to = period.to.toISOString();
  const inPeriod = (hour: string): boolean => hour >= from && hour < to;
  const pops: Population[] = ['submitted', 'unsubmitted'];
  const chError = input.clickhouseConfigured ? (input.clickhouseError ?? null) : null;
  const chAvailable = input.clickhouseConfigured && chError === null;

  const monthly = monthKeys(period, input.historyMonths);
  const byMonth = Object.fromEntries(pops.map((p) => [p, sumBy(series.hourly[p], (h) => h.slice(0, 7))])) as Record<Population, Map<string, BucketCounts>>;
  const days = dayKeys(period);
  const byDay = Object.fromEntries(pops.map((p) => [p, sumBy(series.hourly[p], (h) => (inPeriod(h) ? h.slice(0, 10) : null))])) as Record<
    Population,
    Map<string, BucketCounts>
  >;
  const byHour = Object.fromEntries(
    pops.map((p) => [p, new Map(series.hourly[p].map((c) => [c.hour, { total: c.total, missing: c.missing, partial: c.partial ?? 0 }]))]),
  ) as Record<Population, Map<string, BucketCounts>>;

  // ClickHouse days count when they touch the period, as the clickhouse_gap finding counts them: a period ending
  // at 14:00 (an audit's lookback) keeps today's ClickHouse gap in its totals, so /metrics, the App Home and the
  // alert read one number.
  const totals = Object.fromEntries(
    pops.map((p) => {
      const t = zero();
      let inFlight = 0;
      for (const c of series.hourly[p]) {
        if (!inPeriod(c.hour)) continue;
        add(t, c);
        inFlight += c.inFlight ?? 0;
      }
      const chMissing = chAvailable
        ? series.clickhouseMissingDays.filter((d) => d.population === p && dateInPeriod(d.date, { from, to })).reduce((s, d) => s + d.missing, 0)
        : null;
      const chInFlight = chAvailable ? (input.clickhouseInFlight?.[p] ?? 0) : null;
      return [p, { ...t, clickhouseMissing: chMissing, inFlight, clickhouseInFlight: chInFlight }];
    }),
  ) as GapReport['populations'];

  return {
    customer: input.customer,
    profile: input.profile,
    period: { from, to, label: period.label, grain: period.grain },
    generatedAt: input.generatedAt.toISOString(),
    populations: totals,
    excluded: input.excluded,
    monthly: monthly.map((month) => ({
      month,
      submitted: byMonth.submitted.get(month) ?? zero(),
      unsubmitted: byMonth.unsubmitted.get(month) ?? zero(),
    })),
    daily: days.map((date) => ({
      date,
      submitted: byDay.submitted.get(date) ?? zero(),
      unsubmitted: byDay.unsubmitted.get(date) ?? zero(),
    })),
    dailyBySubmitted: series.bySubmitDate.filter((d) => d.date >= from.slice(0, 10) && d.date < to.slice(0, 10)),
    hourly: [...input.hoursThatMatter].sort().map((hour) => ({
      hour,
      submitted: byHour.submitted.get(hour) ?? zero(),
      unsubmitted: byHour.unsubmitted.get(hour) ?? zero(),
    })),
    firstMissing: series.firstMissing,
    clickhouse: {
      configured: input.clickhouseConfigured,
      available: chAvailable,
      error: chError,
      days: series.clickhouseMissingDays.filter((d) => dateInPeriod(d.date, { from, to })),
    },
    findings: input.findings,
    verdict: verdictWithPartial(input.verdict, totals.submitted.partial + totals.unsubmitted.partial),
    ...(input.settle ? { settle: input.settle } : {}),
    stats: input.stats,
  };
}
