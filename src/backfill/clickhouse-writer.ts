import type { ClickHouseClient } from '@clickhouse/client';
import type pg from 'pg';
import type { ClickhouseConfig } from '../config/schema.js';
import { clickhouseRow, type HistoricRow } from './mapping.js';
import { openClickhouseClient } from '../sources/clickhouse.js';

// After a chunk's historic transaction commits, ClickHouse gets the rows of its scorecards that it lacks. The
// rows come from historic (ClickHouse mirrors historic), the lacking ones are found per (scorecard, criterion),
// and the insert carries insert_deduplication_token = request/chunk, so a retried insert of the same block is
// dropped where the table deduplicates; the ReplacingMergeTree collapses any duplicate on merge anyway.

export interface ClickhouseWriter {
  client: ClickHouseClient;
  table: string;
}

/** A client of its own, as clickhouse.writer: the read tier's client is the reader, with readonly=1. */
export function openClickhouseWriter(config: ClickhouseConfig): ClickhouseWriter {
  const client = openClickhouseClient(config, 'writer');
  return { client, table: `${config.database}.${config.table}` };
}

const HISTORIC_OF_CHUNK = `
SELECT customer_id, profile_id, scorecard_id, criterion_id, score, scorecard_created_at, scorecard_submitted_at, written_at
FROM historic.scorecard_scores
WHERE customer_id = $1 AND profile_id = $2 AND scorecard_id = ANY($3::text[])`;

export async function writeClickhouseChunk(
  ch: ClickhouseWriter,
  pool: pg.Pool,
  customer: string,
  profile: string,
  ids: string[],
  dedupToken: string,
): Promise<number> {
  if (ids.length === 0) return 0;
  const [{ rows: historic }, present] = await Promise.all([
    pool.query<HistoricRow>(HISTORIC_OF_CHUNK, [customer, profile, ids]),
    ch.client
      .query({
        query: `SELECT DISTINCT scorecard_id, criterion_id FROM ${ch.table}
                WHERE customer_id = {customer:String} AND profile_id = {profile:String} AND scorecard_id IN {ids:Array(String)}`,
        query_params: { customer, profile, ids },
        format: 'JSONCompactEachRow',
      })
      .then(async (rs) => new Set(((await rs.json()) as [string, string][]).map(([s, c]) => `${s}\u0000${c}`))),
  ]);
  // One row per (scorecard, criterion): historic may itself hold a duplicate from the original incident's retries.
  const seen = new Set<string>();
  const values = [];
  for (const h of historic) {
    const key = `${h.scorecard_id}\u0000${h.criterion_id ?? ''}`;
    if (present.has(key) || seen.has(key)) continue;
    seen.add(key);
    values.push(clickhouseRow(h));
  }
  if (values.length === 0) return 0;
  await ch.client.insert({
    table: ch.table,
    values,
    format: 'JSONEachRow',
    clickhouse_settings: { insert_deduplication_token: dedupToken },
  });
  return values.length;
}
