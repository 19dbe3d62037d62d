import type { ClickhouseConfig, Config } from './schema.js';

// Which ClickHouse a customer's scorecards live in: its own `clickhouse:`, else its cluster's, else the top-level
// one, else none. A block is taken whole, never merged key by key with a lower one, so the reader and writer
// credentials always belong to the url beside them.

type ClickhouseSources = Pick<Config, 'customers' | 'clusters' | 'clickhouse'>;

/** The ClickHouse of the customer named `customer` (null: none configured for it, or no such customer). */
export function clickhouseOf(config: ClickhouseSources, customer: string): ClickhouseConfig | null {
  const c = config.customers.find((x) => x.name === customer);
  if (!c) return null;
  const cluster = c.cluster !== undefined ? config.clusters?.[c.cluster] : undefined;
  return c.clickhouse ?? cluster?.clickhouse ?? config.clickhouse ?? null;
}

/**
 * What makes two ClickHouse blocks the same connection for `role`: the url and that role's credentials (and the
 * request timeout the client carries). Blocks that differ only in database, table or settleMinutes share it.
 */
export function clickhouseConnectionKey(ch: ClickhouseConfig, role: 'reader' | 'writer'): string {
  const who = ch[role];
  return JSON.stringify([ch.url.replace(/\/+$/, ''), who?.username ?? null, who?.password ?? null, ch.requestTimeoutMs]);
}

/** One line per distinct ClickHouse (url and database.table) with the customers on it, in config order. */
export interface ClickhouseUse {
  url: string;
  table: string;
  customers: string[];
}

/** The distinct ClickHouse tables the customers use, and the customers that have none (for config:check). */
export function clickhouseUses(config: ClickhouseSources): { uses: ClickhouseUse[]; without: string[] } {
  const uses = new Map<string, ClickhouseUse>();
  const without: string[] = [];
  for (const c of config.customers) {
    const ch = clickhouseOf(config, c.name);
    if (!ch) {
      without.push(c.name);
      continue;
    }
    const table = `${ch.database}.${ch.table}`;
    const key = JSON.stringify([ch.url.replace(/\/+$/, ''), table]);
    const use = uses.get(key) ?? { url: ch.url, table, customers: [] };
    use.customers.push(c.name);
    uses.set(key, use);
  }
  return { uses: [...uses.values()], without };
}
