import { Queue, type ConnectionOptions } from 'bullmq';
import type pg from 'pg';
import type { Config } from '../config/schema.js';
import type { WatchAudit } from '../config/watch-schema.js';
import type { GapDeps } from '../gap/gap-service.js';
import type { BotMetrics } from '../observability/metrics.js';
import type { OpsStore } from '../ops/ops-store.js';
import type { ThreadPublisher } from '../slack/thread-publisher.js';
import { AlertStore } from './alert-store.js';
import { startWatchWorker, syncSchedulers, WATCH_QUEUE, type WatchWorker } from './schedules.js';
import { SilenceStore } from './silence-store.js';
import { runDigest } from './digest.js';
import { syncDigestSchedulers } from './digest-schedules.js';
import { fromConfig } from './silences.js';

// The watchdog's runtime in serve and worker: the schedules match the config at start (added, changed, removed),
// the audit worker runs them (when this process runs workers), and the audit gauges are read at scrape time.

export interface WatchRuntimeDeps {
  config: Config;
  gap: GapDeps;
  publisher: ThreadPublisher;
  ops: OpsStore;
  opsPool: pg.Pool;
  connection: ConnectionOptions;
  prefix: string;
  metrics: BotMetrics;
  /** false: schedules are kept in sync, but this process runs no audits. */
  workers: boolean;
  now?: () => Date;
  lockDurationMs?: number;
  /** Silences (the ops database's and the config file's); default: built from the config. */
  silences?: SilenceStore;
}

export interface WatchRuntime {
  store: AlertStore;
  /** The schedules brought in line with the config (in the background: Redis may come up after the process). */
  synced: Promise<void>;
  worker: WatchWorker | null;
  close(): Promise<void>;
}

export function startWatch(deps: WatchRuntimeDeps): WatchRuntime {
  const store = new AlertStore(deps.opsPool);
  const silences = deps.silences ?? new SilenceStore(deps.opsPool, fromConfig(deps.config.silences));
  const queue = new Queue(WATCH_QUEUE, { connection: deps.connection, prefix: deps.prefix });
  queue.on('error', () => undefined);
  const synced = syncSchedulers(queue, deps.config.watch, deps.gap.logger)
    .then(() => syncDigestSchedulers(queue, deps.config.watch, deps.gap.logger))
    .then(() => undefined)
    .catch((err: unknown) => deps.gap.logger.error({ err }, 'watch: could not sync the audit schedules'))
    .finally(() => queue.close().catch(() => undefined));
  const now = deps.now ?? (() => new Date());
  const customers = deps.gap.sources.customers.map((c) => c.name);
  const digest = (audit: WatchAudit): Promise<unknown> =>
    runDigest({ pool: deps.opsPool, store, publisher: deps.publisher, silences, customers, logger: deps.gap.logger, now }, audit);
  const worker =
    deps.workers && deps.config.watch.length > 0
      ? startWatchWorker(
          { gap: deps.gap, store, publisher: deps.publisher, ops: deps.ops, metrics: deps.metrics, now, silences },
          deps.config.watch,
          { connection: deps.connection, prefix: deps.prefix },
          { metrics: deps.metrics, lockDurationMs: deps.lockDurationMs, digest },
        )
      : null;
  return {
    store,
    synced,
    worker,
    close: async () => {
      await worker?.close();
      // Bounded: with Redis gone, closing the scheduler queue must not hold up the drain.
      await Promise.race([queue.close().catch(() => undefined), new Promise((r) => setTimeout(r, 2_000).unref())]);
    },
  };
}

/**
 * The per-customer gauges from the ops database's last audits, at scrape time: whichever worker ran an audit,
 * every process reports the same numbers (and they survive a restart).
 */
export async function refreshAuditGauges(metrics: BotMetrics, store: AlertStore, configured: ReadonlySet<string>): Promise<void> {
  const [all, allOpen] = await Promise.all([store.lastAudits(), store.allOpen(10_000)]);
  // A customer removed from the config keeps its rows in the ops database, but not its series.
  const audits = all.filter((a) => configured.has(a.customer));
  const open = allOpen.filter((a) => configured.has(a.customer));
  metrics.missing.reset();
  metrics.total.reset();
  metrics.lastAudit.reset();
  metrics.openAlerts.reset();
  // A customer audited by several audits: its latest audit's numbers.
  const latest = new Map<string, (typeof audits)[number]>();
  for (const a of audits) {
    metrics.lastAudit.set({ customer: a.customer, audit: a.audit }, a.finishedAt.getTime() / 1000);
    const prev = latest.get(a.customer);
    if (a.populations && (!prev || prev.finishedAt < a.finishedAt)) latest.set(a.customer, a);
  }
  for (const a of latest.values()) {
    for (const population of ['submitted', 'unsubmitted'] as const) {
      const p = a.populations?.[population];
      if (!p) continue;
      const labels = { customer: a.customer, profile: a.profile, population };
      metrics.missing.set({ ...labels, tier: 'historic' }, p.missing);
      metrics.total.set({ ...labels, tier: 'historic' }, p.total);
      if (p.clickhouseMissing !== null) metrics.missing.set({ ...labels, tier: 'clickhouse' }, p.clickhouseMissing);
    }
  }
  const perCustomer = new Map<string, number>();
  for (const a of open) perCustomer.set(a.customer, (perCustomer.get(a.customer) ?? 0) + 1);
  for (const c of new Set([...latest.keys(), ...perCustomer.keys()])) metrics.openAlerts.set({ customer: c }, perCustomer.get(c) ?? 0);
}

