import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/clickhouse-global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Component tests share one PostgreSQL, Redis and ClickHouse; each test file makes its own database/prefix.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
