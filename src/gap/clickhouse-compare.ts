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
  /** Scorecards present in historic per created hour ('YYYY-MM-DDTHH:00:00.000Z'), from the window scan. */
  presentByHour: Map<string, number>;
  concurrency: number;
  attempts: number;
  /** Default CLICKHOUSE_HOURLY_ABOVE; tests lower it to exercise the hourly path on small data. */
  hourlyAbove?: number;
}

export type ClickhouseMissingDay = { date: string; population: Population; missing: number };

/** Per day and population: scorecards present in historic but absent from ClickHouse, for days that differ. */
export async function clickhouseMissingDays(ch: ClickhouseTier, db: ReadOnlyDb, input: ClickhouseCompareInput): Promise<ClickhouseMissingDay[]> {
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
      if ((presentByDay.get(day) ?? 0) <= threshold) return clickhouseMissingInWindow(ch, db, customer, profile, from, new Date(from.getTime() + DAY_MS));
      const chHours = await clickhouseHourCounts(ch, customer, profile, from);
      const total: Record<Population, number> = { submitted: 0, unsubmitted: 0 };
      // Hour after hour on purpose: running them side by side would hold several hours' IDs again.
      for (let h = 0; h < 24; h++) {
        const at = new Date(from.getTime() + h * HOUR_MS);
        const present = input.presentByHour.get(at.toISOString()) ?? 0;
        if ((chHours.get(h) ?? 0) >= present) continue;
        const m = await clickhouseMissingInWindow(ch, db, customer, profile, at, new Date(at.getTime() + HOUR_MS));
        total.submitted += m.submitted;
        total.unsubmitted += m.unsubmitted;
      }
      return total;
    },
    { concurrency: input.concurrency, attempts: input.attempts },
  );
  const out: ClickhouseMissingDay[] = [];
  differing.forEach((date, i) => {
    for (const population of ['submitted', 'unsubmitted'] as const) {
      const missing = perDay[i]?.[population] ?? 0;
      if (missing > 0) out.push({ date, population, missing });
    }
  });
  return out;
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

/**
 * Present in historic, absent in ClickHouse, in [from, to). ClickHouse's side is read from a stream into a Set
 * (never its whole JSON text), then historic's rows of the window are probed against it.
 */
export async function clickhouseMissingInWindow(
  ch: ClickhouseTier,
  db: ReadOnlyDb,
  customer: string,
  profile: string,
  from: Date,
  to: Date,
): Promise<Record<Population, number>> {
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
  const q = presentIdsQuery(customer, profile, from, to);
  const present = await db.query<{ scorecard_id: string; submitted: boolean }>(q.text, q.values);
  const missing: Record<Population, number> = { submitted: 0, unsubmitted: 0 };
  for (const p of present) if (!inClickhouse.has(p.scorecard_id)) missing[p.submitted ? 'submitted' : 'unsubmitted']++;
  return missing;
}
