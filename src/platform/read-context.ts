import { createChangesLoader, type ChangesLoader } from '../changes/loader.js';
import type { Config } from '../config/schema.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { createClickhouseTier, type ClickhouseTier } from '../sources/clickhouse.js';
import { ConnectionUrlResolver } from '../sources/connection-url.js';
import { CustomerSources } from '../sources/customer-sources.js';

// The read tier every entry point needs (CLI commands, serve, worker): the customers' read-only databases,
// ClickHouse's reader and the change sources. Everything else receives what it needs as arguments.

export interface AppContext {
  config: Config;
  logger: Logger;
  sources: CustomerSources;
  clickhouse: ClickhouseTier | null;
  /** The configured change sources (config `changes:`), or undefined when there are none. */
  changes?: ChangesLoader;
  close(): Promise<void>;
}

export function createContext(config: Config, opts: { logger?: Logger } = {}): AppContext {
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  const sources = new CustomerSources(config, new ConnectionUrlResolver());
  const clickhouse = config.clickhouse ? createClickhouseTier(config.clickhouse) : null;
  const changes = config.changes?.length ? createChangesLoader(config.changes, { logger }) : undefined;
  return {
    config,
    logger,
    sources,
    clickhouse,
    changes,
    async close() {
      await Promise.all([sources.close(), clickhouse?.client.close()]);
    },
  };
}
