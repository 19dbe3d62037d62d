import type { StartGapDeps } from '../gap/start-gap-run.js';
import type { Platform } from '../platform/platform.js';
import type { SlackSurface } from '../slack/routes.js';
import type pg from 'pg';
import { createUsergroupResolver } from '../slack/usergroups.js';
import { createViewerAccess } from '../slack/viewer-access.js';
import { AlertStore } from './alert-store.js';
import { WATCH_QUEUE } from './schedules.js';
import { watchSurface } from './watch-slack.js';
import { SilenceStore } from './silence-store.js';
import { fromConfig } from './silences.js';
import { refreshAuditGauges, startWatch } from './watch-runtime.js';
import type { ReadinessCheck } from '../observability/http-server.js';
import { formatDateTime } from '../shared/format.js';

// The watchdog in serve and worker: schedules synced with the config at start, audits run by the workers, the App
// Home and the alert's Full report button, and the per-customer gauges read at each scrape.

export interface WatchWiringOptions {
  workers?: boolean;
  lockDurationMs?: number;
  /** The watchdog's clock (audits' lookback ends here); tests pin it inside the demo data. */
  now?: () => Date;
}

export interface WiredWatch {
  slack: SlackSurface;
  queues: string[];
  /** Brings the audit gauges up to date, reading through `pool` (the gauges' own, not the approvals'). */
  refreshGauges(pool: pg.Pool): Promise<void>;
  /** /readyz: fails naming the audits that have not completed for twice their interval. */
  readiness: Record<string, ReadinessCheck>;
  close(): Promise<void>;
}

export function wireWatch(p: Platform, gap: StartGapDeps, opts: WatchWiringOptions = {}): WiredWatch {
  const { config, logger } = p;
  const silences = new SilenceStore(p.opsPool, fromConfig(config.silences));
  const runtime = startWatch({
    silences,
    config,
    gap: { sources: p.sources, clickhouse: p.clickhouse, settings: config.gap, logger },
    publisher: p.publisher,
    ops: p.ops,
    opsPool: p.opsPool,
    connection: p.redis.worker,
    prefix: p.redis.prefix,
    metrics: p.metrics,
    workers: opts.workers !== false,
    now: opts.now,
    lockDurationMs: opts.lockDurationMs,
  });
  const configured = new Set(p.sources.customers.map((c) => c.name));
  return {
    slack: watchSurface({
      opsPool: p.opsPool,
      gap,
      logger,
      now: opts.now,
      silences,
      viewers: createViewerAccess(p.web, createUsergroupResolver(p.web), p.slack, { logger }),
    }),
    queues: [WATCH_QUEUE],
    refreshGauges: (pool) => refreshAuditGauges(p.metrics, new AlertStore(pool), configured),
    readiness: runtime.monitor
      ? {
          watch: async () => {
            const stale = runtime.monitor?.stale() ?? [];
            if (stale.length === 0) return;
            const since = (d: Date | null): string => (d ? `since ${formatDateTime(d.toISOString())}` : 'yet');
            throw new Error(`${stale.map((h) => `audit ${h.audit} has not completed ${since(h.lastCompleted)}`).join('; ')} (over twice its interval)`);
          },
        }
      : {},
    close: () => runtime.close().catch(() => undefined),
  };
}
