import type { ClickhouseConfig, Config } from '../config/schema.js';
import { clickhouseConnectionKey, clickhouseOf } from '../config/clickhouse-of.js';
import { createClickhouseTier, type ClickHouseClient, type ClickhouseTier } from './clickhouse.js';

// The read path's ClickHouse per customer (config/clickhouse-of.ts decides which). A client is opened on first use
// and shared by every customer whose ClickHouse has the same url and reader credentials, so 300 customers on one
// cluster hold one client, and no customer is ever read from another's server.

export interface ClickhouseTiers {
  /** The customer's ClickHouse as the reader (readonly=1); null when it has none. */
  forCustomer(customer: string): ClickhouseTier | null;
  close(): Promise<void>;
}

/** The tiers of a config; null when no ClickHouse is configured anywhere (today's "not configured"). */
export function createClickhouseTiers(config: Pick<Config, 'customers' | 'clusters' | 'clickhouse'>): ClickhouseTiers | null {
  if (!config.customers.some((c) => clickhouseOf(config, c.name) !== null)) return null;
  const clients = new Map<string, ClickHouseClient>();
  const tiers = new Map<string, ClickhouseTier>();
  const tierOf = (ch: ClickhouseConfig): ClickhouseTier => {
    const connection = clickhouseConnectionKey(ch, 'reader');
    const key = JSON.stringify([connection, ch.database, ch.table, ch.settleMinutes]);
    const known = tiers.get(key);
    if (known) return known;
    const shared = clients.get(connection);
    const tier = shared ? { client: shared, table: `${ch.database}.${ch.table}`, settleMinutes: ch.settleMinutes } : createClickhouseTier(ch);
    clients.set(connection, tier.client);
    tiers.set(key, tier);
    return tier;
  };
  return {
    forCustomer(customer) {
      const ch = clickhouseOf(config, customer);
      return ch ? tierOf(ch) : null;
    },
    async close() {
      const open = [...clients.values()];
      clients.clear();
      tiers.clear();
      await Promise.all(open.map((c) => c.close()));
    },
  };
}

/** The customer's tier, or null when there is no ClickHouse at all or none for it. */
export function clickhouseFor(tiers: ClickhouseTiers | null | undefined, customer: string): ClickhouseTier | null {
  return tiers ? tiers.forCustomer(customer) : null;
}
