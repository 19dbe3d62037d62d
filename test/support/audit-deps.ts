import { WebClient } from '@slack/web-api';
import type pg from 'pg';
import type { GapDeps } from '../../src/gap/gap-service.js';
import { createMetrics, type BotMetrics } from '../../src/observability/metrics.js';
import type { OpsStore } from '../../src/ops/ops-store.js';
import { webClientPublisher } from '../../src/slack/thread-publisher.js';
import { AlertStore } from '../../src/watch/alert-store.js';
import type { AuditDeps } from '../../src/watch/audit.js';

/**
 * What a watchdog test hands runAudit: the real read tier (sources, ClickHouse), an alert store on the test's ops
 * pool, a publisher talking to the Slack emulator (no retries), its own metrics registry, and the audit's clock.
 */
export function auditDeps(opts: {
  read: Pick<GapDeps, 'sources' | 'clickhouse' | 'logger'>;
  settings: GapDeps['settings'];
  pool: pg.Pool;
  ops: OpsStore;
  slackApiUrl: string;
  now: () => Date;
  store?: AlertStore;
  metrics?: BotMetrics;
}): AuditDeps {
  return {
    gap: { sources: opts.read.sources, clickhouse: opts.read.clickhouse, settings: opts.settings, logger: opts.read.logger, now: opts.now },
    store: opts.store ?? new AlertStore(opts.pool),
    publisher: webClientPublisher(new WebClient('xoxb-test', { slackApiUrl: opts.slackApiUrl, retryConfig: { retries: 0 } })),
    ops: opts.ops,
    metrics: opts.metrics ?? createMetrics({ defaultMetrics: false }),
    now: opts.now,
  };
}
