import { inject } from 'vitest';

/**
 * URL of the ClickHouse HTTP server for this test run (e.g. http://127.0.0.1:18123), set up by
 * test/support/clickhouse-global-setup.ts: the CLICKHOUSE_URL given to vitest, or the server it started.
 */
export function clickhouseUrl(): string {
  const url = inject('clickhouseUrl') || process.env.CLICKHOUSE_URL;
  if (!url) {
    throw new Error(
      'No ClickHouse URL: add test/support/clickhouse-global-setup.ts to globalSetup in vitest.config.ts, or set CLICKHOUSE_URL',
    );
  }
  return url;
}
