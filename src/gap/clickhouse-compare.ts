import { z } from 'zod';
import type { ClickhouseTier } from '../sources/clickhouse.js';
import type { ReadOnlyDb } from '../sources/read-only-db.js';
import { presentIdsQuery } from './queries.js';
import type { Population } from './report.js';

// ClickHouse is compared cheaply first (distinct scorecards per day on both sides, from counts we already have
// for historic) and IDs are fetched only for days whose counts differ, one day at a time, so memory stays flat.

const dayCountSchema = z.object({ day: z.string(), scorecards: z.coerce.number().int() });

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

function toChTime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

/** Present in historic, absent in ClickHouse, for one day: the IDs of both sides, diffed in memory (a day's worth). */
export async function clickhouseMissingForDay(
  ch: ClickhouseTier,
  db: ReadOnlyDb,
  customer: string,
  profile: string,
  day: string,
): Promise<{ population: Population; scorecardId: string }[]> {
  const from = new Date(`${day}T00:00:00.000Z`);
  const to = new Date(from.getTime() + 86_400_000);
  const q = presentIdsQuery(customer, profile, from, to);
  const [present, rs] = await Promise.all([
    db.query<{ scorecard_id: string; submitted: boolean }>(q.text, q.values),
    ch.client.query({
      query: `SELECT DISTINCT scorecard_id FROM ${ch.table}
              WHERE customer_id = {customer:String} AND profile_id = {profile:String}
                AND scorecard_created_at >= {from:DateTime64(3, 'UTC')} AND scorecard_created_at < {to:DateTime64(3, 'UTC')}`,
      query_params: { customer, profile, from: toChTime(from), to: toChTime(to) },
      format: 'JSONCompactEachRow',
    }),
  ]);
  const inClickhouse = new Set(((await rs.json()) as [string][]).map((r) => r[0]));
  return present
    .filter((p) => !inClickhouse.has(p.scorecard_id))
    .map((p) => ({ population: p.submitted ? 'submitted' : 'unsubmitted', scorecardId: p.scorecard_id }));
}
