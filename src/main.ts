import type { Config } from './config/schema.js';
import { createClickhouseTier, type ClickhouseTier } from './sources/clickhouse.js';
import { ConnectionUrlResolver } from './sources/connection-url.js';
import { CustomerSources } from './sources/customer-sources.js';
import { createLogger, type Logger } from './shared/logger.js';

// The one place that turns config into live clients. Everything else receives what it needs as arguments.

export interface AppContext {
  config: Config;
  logger: Logger;
  sources: CustomerSources;
  clickhouse: ClickhouseTier | null;
  close(): Promise<void>;
}

export function createContext(config: Config, opts: { logger?: Logger } = {}): AppContext {
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  const sources = new CustomerSources(config, new ConnectionUrlResolver());
  const clickhouse = config.clickhouse ? createClickhouseTier(config.clickhouse) : null;
  return {
    config,
    logger,
    sources,
    clickhouse,
    async close() {
      await Promise.all([sources.close(), clickhouse?.client.close()]);
    },
  };
}
