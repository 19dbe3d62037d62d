import { z } from 'zod';
import type { ClickhouseTier } from '../sources/clickhouse.js';
import type { ReadOnlyDb } from '../sources/read-only-db.js';
import { mapPool } from '../shared/map-pool.js';
import { presentIdsQuery } from './core/queries.js';
import type { Population } from './core/report.js';

// ClickHouse is compared cheaply first (distinct scorecards per day on both sides, from counts we already have
// for historic) and IDs are fetched only for days whose counts differ, one window at a time, so memory stays flat.

/**
 * Above this many scorecards present in historic on one day, that day's IDs are compared hour by hour (and only
 * the hours whose counts differ). A compared window holds both sides' IDs at once, historic's rows and a Set of
 * ClickHouse's: measured, a 53k-scorecard day raised peak RSS by 27 MB and one hour of 30k by 12 MB, so a
 * 1M-scorecard day would cost ~500 MB at once, and an hour of it ~1/24. Below the threshold, one query pair a
 * day is cheaper than 24 and stays under ~25 MB.
 */
export const CLICKHOUSE_HOURLY_ABOVE = 50_000;

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

const dayCountSchema = z.object({ day: z.string(), scorecards: z.coerce.number().int() });
const hourCountSchema = z.object({ hour: z.coerce.number().int().min(0).max(23), scorecards: z.coerce.number().int() });

export interface ClickhouseCompareInput {
  customer: string;
  profile: string;
  period: { from: string; to: string };
  /** The run's settle cutoff: newer scorecards are not judged at all (and not in presentByHour). */
  settledBefore: Date;
  /** ClickHouse's own, earlier cutoff: present in historic but newer than this, absent from ClickHouse is in flight. */
  clickhouseSettledBefore: Date;
  /** Scorecards present in historic per created hour ('YYYY-MM-DDTHH:00:00.000Z'), from the window scan. */
  presentByHour: Map<string, number>;
  concurrency: number;
  attempts: number;
  /** Default CLICKHOUSE_HOURLY_ABOVE; tests lower it to exercise the hourly path on small data. */
  hourlyAbove?: number;
}

export type ClickhouseMissingDay = { date: string; population: Population; missing: number };

type WindowResult = { missing: Record<Population, number>; inFlight: Record<Population, number> };
const none = (): Record<Population, number> => ({ submitted: 0, unsubmitted: 0 });

/**
 * Per day and population: scorecards present in historic but absent from ClickHouse, for days that differ; and per
 * population those left out because they are newer than ClickHouse's settle cutoff (in flight there, not missing).
 */
export async function clickhouseMissingDays(
  ch: ClickhouseTier,
  db: ReadOnlyDb,
  input: ClickhouseCompareInput,
): Promise<{ days: ClickhouseMissingDay[]; inFlight: Record<Population, number> }> {
  const window = (from: Date, to: Date): Promise<WindowResult> =>
    clickhouseMissingInWindow(ch, db, { customer, profile, from, to, settledBefore: input.settledBefore, clickhouseSettledBefore: input.clickhouseSettledBefore });
  const { customer, profile } = input;
  const threshold = input.hourlyAbove ?? CLICKHOUSE_HOURLY_ABOVE;
  const presentByDay = new Map<string, number>();
  for (const [hour, n] of input.presentByHour) {
    if (hour < input.period.from || hour >= input.period.to) continue;
    presentByDay.set(hour.slice(0, 10), (presentByDay.get(hour.slice(0, 10)) ?? 0) + n);
  }
  const inClickhouse = await clickhouseDayCounts(ch, customer, profile, new Date(input.period.from), new Date(input.period.to));
  const differing = [...presentByDay.entries()].filter(([day, n]) => (inClickhouse.get(day) ?? 0) < n).map(([day]) => day).sort();

  const perDay = await mapPool(
    differing,
    async (day) => {
      const from = new Date(`${day}T00:00:00.000Z`);
      // Clipped to the period: an audit's lookback starts and ends within a day (14:00 to 14:00), and its
      // ClickHouse count must cover the hours its historic count covers, no more.
      const periodFrom = Date.parse(input.period.from);
      const periodTo = Date.parse(input.period.to);
      if ((presentByDay.get(day) ?? 0) <= threshold) return window(new Date(Math.max(from.getTime(), periodFrom)), new Date(Math.min(from.getTime() + DAY_MS, periodTo)));
      const chHours = await clickhouseHourCounts(ch, customer, profile, from);
      const total: WindowResult = { missing: none(), inFlight: none() };
      // Hour after hour on purpose: running them side by side would hold several hours' IDs again.
      for (let h = 0; h < 24; h++) {
        const at = new Date(from.getTime() + h * HOUR_MS);
        if (at.getTime() < periodFrom || at.getTime() >= periodTo) continue;
        const present = input.presentByHour.get(at.toISOString()) ?? 0;
        if ((chHours.get(h) ?? 0) >= present) continue;
        const m = await window(at, new Date(at.getTime() + HOUR_MS));
        for (const p of ['submitted', 'unsubmitted'] as const) {
          total.missing[p] += m.missing[p];
          total.inFlight[p] += m.inFlight[p];
        }
      }
      return total;
    },
    { concurrency: input.concurrency, attempts: input.attempts },
  );
  const out: ClickhouseMissingDay[] = [];
  const inFlight = none();
  differing.forEach((date, i) => {
    for (const population of ['submitted', 'unsubmitted'] as const) {
      const missing = perDay[i]?.missing[population] ?? 0;
      if (missing > 0) out.push({ date, population, missing });
      inFlight[population] += perDay[i]?.inFlight[population] ?? 0;
    }
  });
  return { days: out, inFlight };
}

export async function clickhouseDayCounts(
  ch: ClickhouseTier,
  customer: string,
  profile: string,
  from: Date,
  to: Date,
): Promise<Map<string, number>> {
  const rs = await ch.client.query({
    query: `SELECT toString(toDate(scorecard_created_at)) AS day, uniqExact(scorecard_id) AS scorecards
            FROM ${ch.table}
            WHERE customer_id = {customer:String} AND profile_id = {profile:String}
              AND scorecard_created_at >= {from:DateTime64(3, 'UTC')} AND scorecard_created_at < {to:DateTime64(3, 'UTC')}
            GROUP BY day ORDER BY day`,
    query_params: { customer, profile, from: toChTime(from), to: toChTime(to) },
    format: 'JSONEachRow',
  });
  const rows = z.array(dayCountSchema).parse(await rs.json());
  return new Map(rows.map((r) => [r.day, r.scorecards]));
}

/** Distinct scorecards in ClickHouse per UTC hour (0-23) of one day. */
async function clickhouseHourCounts(ch: ClickhouseTier, customer: string, profile: string, day: Date): Promise<Map<number, number>> {
  const rs = await ch.client.query({
    query: `SELECT toHour(scorecard_created_at, 'UTC') AS hour, uniqExact(scorecard_id) AS scorecards
            FROM ${ch.table}
            WHERE customer_id = {customer:String} AND profile_id = {profile:String}
              AND scorecard_created_at >= {from:DateTime64(3, 'UTC')} AND scorecard_created_at < {to:DateTime64(3, 'UTC')}
            GROUP BY hour ORDER BY hour`,
    query_params: { customer, profile, from: toChTime(day), to: toChTime(new Date(day.getTime() + DAY_MS)) },
    format: 'JSONEachRow',
  });
  const rows = z.array(hourCountSchema).parse(await rs.json());
  return new Map(rows.map((r) => [r.hour, r.scorecards]));
}

function toChTime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

export interface ClickhouseWindow {
  customer: string;
  profile: string;
  from: Date;
  to: Date;
  settledBefore: Date;
  clickhouseSettledBefore: Date;
}

/**
 * Present in historic, absent in ClickHouse, in [from, to): missing, or in flight when newer than ClickHouse's
 * settle cutoff. ClickHouse's side is read from a stream into a Set (never its whole JSON text), then historic's
 * rows of the window are probed against it.
 */
export async function clickhouseMissingInWindow(ch: ClickhouseTier, db: ReadOnlyDb, w: ClickhouseWindow): Promise<WindowResult> {
  const { customer, profile, from, to } = w;
  const rs = await ch.client.query({
    query: `SELECT DISTINCT scorecard_id FROM ${ch.table}
            WHERE customer_id = {customer:String} AND profile_id = {profile:String}
              AND scorecard_created_at >= {from:DateTime64(3, 'UTC')} AND scorecard_created_at < {to:DateTime64(3, 'UTC')}`,
    query_params: { customer, profile, from: toChTime(from), to: toChTime(to) },
    format: 'JSONCompactEachRow',
  });
  const inClickhouse = new Set<string>();
  for await (const rows of rs.stream<[string]>()) for (const row of rows) inClickhouse.add(row.json()[0]);
  // One result: a window is at most a day under CLICKHOUSE_HOURLY_ABOVE, or an hour of a larger one.
  const q = presentIdsQuery(customer, profile, from, to, w.settledBefore, w.clickhouseSettledBefore);
  const present = await db.query<{ scorecard_id: string; submitted: boolean; settling: boolean }>(q.text, q.values);
  const out: WindowResult = { missing: none(), inFlight: none() };
  for (const p of present) if (!inClickhouse.has(p.scorecard_id)) out[p.settling ? 'inFlight' : 'missing'][p.submitted ? 'submitted' : 'unsubmitted']++;
  return out;
}
