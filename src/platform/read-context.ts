import { createChangesLoader, type ChangesLoader } from '../changes/loader.js';
import type { Config } from '../config/schema.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { createClickhouseTiers, type ClickhouseTiers } from '../sources/clickhouse-tiers.js';
import { ConnectionUrlResolver } from '../sources/connection-url.js';
import { CustomerSources } from '../sources/customer-sources.js';

// The read tier every entry point needs (CLI commands, serve, worker): the customers' read-only databases,
// each customer's ClickHouse (as its reader) and the change sources. Everything else receives what it needs as arguments.

export interface AppContext {
  config: Config;
  logger: Logger;
  sources: CustomerSources;
  /** Each customer's ClickHouse (its own, its cluster's or the top-level one); null when none is configured. */
  clickhouse: ClickhouseTiers | null;
  /** The configured change sources (config `changes:`), or undefined when there are none. */
  changes?: ChangesLoader;
  close(): Promise<void>;
}

export function createContext(config: Config, opts: { logger?: Logger } = {}): AppContext {
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  const sources = new CustomerSources(config, new ConnectionUrlResolver());
  const clickhouse = createClickhouseTiers(config);
  const changes = config.changes?.length ? createChangesLoader(config.changes, { logger }) : undefined;
  return {
    config,
    logger,
    sources,
    clickhouse,
    changes,
    async close() {
      await Promise.all([sources.close(), clickhouse?.close()]);
    },
  };
}
