import type { Finding, GapReport, Population } from '../gap/core/report.js';
import { wilsonLower } from '../gap/core/analyze/stats.js';
import { BAD_DAY } from '../gap/core/analyze/thresholds.js';
import { findingSentence } from '../gap/views/finding-sentences.js';
import { formatInt, formatRatio } from '../shared/format.js';
import type { WatchThresholds } from '../config/watch-schema.js';
import { fingerprintOf, type AlertKind } from './fingerprint.js';

// Pure: what in a gap report deserves an alert (each condition a finding; problems.ts groups them into one alert
// per customer and population). A population over its threshold (95% Wilson lower bound of its
// missing rate, as the findings use) is one alert of kind `onset`, started on the day its loss began; the findings
// that name a distinct event (a rate jump, a failed batch, a failing hour, a weekday slot failing week after week,
// a ClickHouse gap) are one alert each. Findings about things that ended (a drop, a fixed recurring or weekly
// failure) or that are not about loss are not alerts. A population's onset also needs two missing, as a bad day
// does: one stray scorecard on a quiet weekend (1 of 8) is not a loss however high its rate bound.
// Partial scorecards (in historic, lacking criteria) are one alert of kind `partial` per population, over the same
// threshold as missing ones, started on the first day that has any.

export interface AlertCondition {
  fingerprint: string;
  customer: string;
  profile: string;
  population: Population;
  kind: AlertKind;
  /** When the problem began: a day (YYYY-MM-DD) or an hour (ISO) for a batch. Part of the fingerprint. */
  start: string;
  missing: number;
  total: number;
  /** missing / total, 0 when total is 0. */
  rate: number;
  sentence: string;
}

const POPULATIONS: readonly Population[] = ['submitted', 'unsubmitted'];
const dayOf = (iso: string): string => iso.slice(0, 10);

function onsetStart(report: GapReport, population: Population): { start: string; sentence: string | null } {
  const onset = report.findings.find((f): f is Extract<Finding, { kind: 'onset' }> => f.kind === 'onset' && f.population === population);
  if (onset) return { start: onset.firstDayOver1Pct ?? dayOf(onset.firstMissingAt), sentence: findingSentence(onset) };
  const first = report.firstMissing[population];
  return { start: dayOf(first?.createdAt ?? report.period.from), sentence: null };
}

export function alertConditions(report: GapReport, thresholds: WatchThresholds): AlertCondition[] {
  const out: AlertCondition[] = [];
  const base = { customer: report.customer, profile: report.profile };
  const add = (population: Population, kind: AlertKind, start: string, missing: number, total: number, sentence: string): void => {
    out.push({ ...base, population, kind, start, missing, total, rate: total > 0 ? missing / total : 0, sentence, fingerprint: fingerprintOf({ ...base, population, kind, start }) });
  };
  for (const p of POPULATIONS) {
    const tally = report.populations[p];
    if (tally.missing >= BAD_DAY.minMissing && wilsonLower(tally) > thresholds[p]) {
      const { start, sentence } = onsetStart(report, p);
      const counts = `${formatInt(tally.missing)} of ${formatInt(tally.total)} ${p} scorecards missing from historic (${formatRatio(tally.missing, tally.total)}).`;
      add(p, 'onset', start, tally.missing, tally.total, sentence ?? counts);
    }
  }
  for (const p of POPULATIONS) {
    const { total, partial } = report.populations[p];
    if (partial > 0 && wilsonLower({ total, missing: partial }) > thresholds[p]) {
      const first = report.daily.find((d) => d[p].partial > 0)?.date ?? dayOf(report.period.from);
      const sentence = `${formatInt(partial)} of ${formatInt(total)} ${p} scorecards are in historic with fewer or different criteria than director.scores (${formatRatio(partial, total)}).`;
      add(p, 'partial', first, partial, total, sentence);
    }
  }
  for (const f of report.findings) {
    const sentence = (): string => findingSentence(f);
    switch (f.kind) {
      case 'change_point':
        if (f.after > f.before) add(f.population, 'change_point', dayOf(f.at), report.populations[f.population].missing, report.populations[f.population].total, sentence());
        break;
      case 'batch_failure':
        add(f.population, 'batch_failure', new Date(f.at).toISOString(), f.missing, f.total, sentence());
        break;
      case 'recurring_failure':
        if (f.fixedOn === null) add(f.population, 'recurring_failure', f.from, f.missing, f.total, sentence());
        break;
      case 'weekly_failure':
        // Started on its first failing occurrence: the same weekly problem seen next week keeps its fingerprint.
        if (f.fixedOn === null) add(f.population, 'weekly_failure', f.from, f.missing, f.total, sentence());
        break;
      case 'clickhouse_gap': {
        if (f.count <= thresholds.clickhouse) break;
        const first = [...f.days].map((d) => d.date).sort()[0] ?? dayOf(report.period.from);
        // The population's count, the number /metrics and the App Home read from the same audit.
        add(f.population, 'clickhouse_gap', first, report.populations[f.population].clickhouseMissing ?? f.count, report.populations[f.population].total, sentence());
        break;
      }
      default:
        break;
    }
  }
  return out;
}

/** Missing-rate levels a follow-up reports a move between (1%, 2%, 5% ... 50%). */
export const RATE_LEVELS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5] as const;

export function rateLevel(rate: number): number {
  return RATE_LEVELS.filter((l) => rate >= l).length;
}

/** Worse than when last told: the count doubled, or the rate moved up to a new level. */
export function isWorse(now: { missing: number; rate: number }, told: { missing: number; level: number }): boolean {
  return now.missing >= 2 * Math.max(1, told.missing) || rateLevel(now.rate) > told.level;
}

/** UTC "HH:MM" to "HH:MM"; a range that wraps midnight (22:00-07:00) is the night. */
export function inQuietHours(now: Date, quiet: { from: string; to: string } | undefined): boolean {
  if (!quiet) return false;
  const minutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  const t = now.getUTCHours() * 60 + now.getUTCMinutes();
  const a = minutes(quiet.from);
  const b = minutes(quiet.to);
  return a <= b ? t >= a && t < b : t >= a || t < b;
}

/** Per-channel rate limit: the first alerts up to the hour's allowance are posted alone, the rest in one summary. */
export function splitByAllowance<T>(alerts: readonly T[], postedThisHour: number, maxPerHour: number): { alone: T[]; summarised: T[] } {
  const slots = Math.max(0, maxPerHour - postedThisHour);
  return { alone: alerts.slice(0, slots), summarised: alerts.slice(slots) };
}
