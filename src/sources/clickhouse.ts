import { ClickHouseLogLevel, createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import type { ClickhouseConfig } from '../config/schema.js';

export type { ClickHouseClient };

export interface ClickhouseTier {
  client: ClickHouseClient;
  /** `database.table`, built from validated identifiers in the config. */
  table: string;
  /** clickhouse.settleMinutes: scorecards newer than this are not yet judged missing from ClickHouse (its pipeline
   *  lags historic). Absent: CLICKHOUSE_SETTLE_MINUTES. */
  settleMinutes?: number;
}

export const CLICKHOUSE_SETTLE_MINUTES = 60;

/**
 * A client for one configured ClickHouse (a customer's: see clickhouse-tiers.ts) as `role`: the read path connects
 * as its reader (and adds readonly=1 on top), only the backfill job as its writer. Nothing else builds a client.
 */
export function openClickhouseClient(config: ClickhouseConfig, role: 'reader' | 'writer', settings?: ClickHouseSettings): ClickHouseClient {
  const credentials = config[role];
  return createClient({
    url: config.url,
    ...(credentials ? { username: credentials.username, password: credentials.password ?? '' } : {}),
    request_timeout: config.requestTimeoutMs,
    // Its own console logger would print stacks (and URLs) outside pino; our callers classify and log errors.
    log: { level: ClickHouseLogLevel.OFF },
    ...(settings ? { clickhouse_settings: settings } : {}),
  });
}

export function createClickhouseTier(config: ClickhouseConfig): ClickhouseTier {
  const client = openClickhouseClient(config, 'reader', { readonly: '1', max_execution_time: Math.ceil(config.requestTimeoutMs / 1000) });
  return { client, table: `${config.database}.${config.table}`, settleMinutes: config.settleMinutes };
}
