// Calendar helpers and the per-population views the detectors share. All UTC; hours are ISO instants
// 'YYYY-MM-DDTHH:00:00.000Z', dates 'YYYY-MM-DD' (see ../series.ts).
import type { Population } from '../report.js';
import type { GapSeries, HourCell } from '../series.js';
import type { Tally } from './stats.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const POPULATIONS: readonly Population[] = ['submitted', 'unsubmitted'];

export interface DayTally extends Tally {
  date: string;
}

export interface Period {
  from: string;
  to: string;
}

export const dateOf = (iso: string): string => new Date(iso).toISOString().slice(0, 10);
export const hourOfDay = (iso: string): number => new Date(iso).getUTCHours();
const dayStart = (date: string): number => Date.parse(`${date}T00:00:00.000Z`);
export const addDays = (date: string, n: number): string =>
  new Date(dayStart(date) + n * DAY_MS).toISOString().slice(0, 10);
export const hourOn = (date: string, hour: number): string => new Date(dayStart(date) + hour * HOUR_MS).toISOString();
export const shiftHours = (iso: string, n: number): string => new Date(Date.parse(iso) + n * HOUR_MS).toISOString();

export function inPeriod(iso: string, period: Period): boolean {
  const t = Date.parse(iso);
  return t >= Date.parse(period.from) && t < Date.parse(period.to);
}

/** A date belongs to the period when any part of that day does (periods may start or end mid-day). */
export function dateInPeriod(date: string, period: Period): boolean {
  const start = dayStart(date);
  return start < Date.parse(period.to) && start + DAY_MS > Date.parse(period.from);
}

/** Every calendar date the period touches, in order (empty days included: they matter for day-after-day runs). */
export function periodDates(period: Period): string[] {
  const out: string[] = [];
  const end = Date.parse(period.to);
  for (let d = dateOf(period.from); dayStart(d) < end; d = addDays(d, 1)) out.push(d);
  return out;
}

export function periodCells(series: GapSeries, population: Population): HourCell[] {
  return series.hourly[population].filter((c) => inPeriod(c.hour, series.period));
}

/** Hourly cells summed by created date; only days with volume, sorted. `skip` removes hours already explained. */
export function dailyOf(cells: readonly HourCell[], skip?: ReadonlySet<string>): DayTally[] {
  const byDate = new Map<string, DayTally>();
  for (const c of cells) {
    if (c.total <= 0 || skip?.has(c.hour)) continue;
    const date = dateOf(c.hour);
    const d = byDate.get(date) ?? { date, total: 0, missing: 0 };
    d.total += c.total;
    d.missing += c.missing;
    byDate.set(date, d);
  }
  return [...byDate.values()].sort((a, b) => a.date.localeCompare(b.date));
}
