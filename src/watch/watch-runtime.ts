import { Queue, type ConnectionOptions } from 'bullmq';
import type pg from 'pg';
import type { Config } from '../config/schema.js';
import type { WatchAudit } from '../config/watch-schema.js';
import type { GapDeps } from '../gap/gap-service.js';
import type { BotMetrics } from '../observability/metrics.js';
import type { OpsStore } from '../ops/ops-store.js';
import type { ThreadPublisher } from '../slack/thread-publisher.js';
import type { Logger } from '../shared/logger.js';
import { startPeriodic } from '../shared/periodic.js';
import { AlertStore } from './alert-store.js';
import { WatchHealthStore } from './health-store.js';
import { restoreSchedulers, startWatchWorker, syncSchedulers, WATCH_QUEUE, type WatchWorker } from './schedules.js';
import { createLogLimiter } from '../shared/log-limiter.js';
import { auditIntervalMs } from './spread.js';
import { monitorIntervalMs } from './staleness.js';
import { startWatchdogMonitor, type WatchdogMonitor } from './watchdog-monitor.js';
import { SilenceStore } from './silence-store.js';
import { mentionsOf, ownersOf } from './owners.js';
import { runDigest } from './digest.js';
import { restoreDigestSchedulers, syncDigestSchedulers } from './digest-schedules.js';
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
  /** The watchdog's watchdog: which audits have stopped completing (null: no audits configured). */
  monitor: WatchdogMonitor | null;
  close(): Promise<void>;
}

export function startWatch(deps: WatchRuntimeDeps): WatchRuntime {
  const store = new AlertStore(deps.opsPool);
  const health = new WatchHealthStore(deps.opsPool);
  const silences = deps.silences ?? new SilenceStore(deps.opsPool, fromConfig(deps.config.silences));
  const logger = deps.gap.logger;
  const audits = deps.config.watch;
  const queue = new Queue(WATCH_QUEUE, { connection: deps.connection, prefix: deps.prefix });
  queue.on('error', () => undefined);
  void health.register(audits.map((a) => a.name)).catch((err: unknown) => logger.warn({ err }, 'watch: could not register the audits for the stale check'));
  const synced = syncSchedulers(queue, audits, logger)
    .then(() => syncDigestSchedulers(queue, audits, logger))
    .then(() => undefined)
    .catch((err: unknown) => logger.error({ err }, 'watch: could not sync the audit schedules'))
    // Kept open only to keep the schedules (below); with no audits its one job was removing old ones.
    .finally(() => (audits.length === 0 ? queue.close().catch(() => undefined) : undefined));
  const now = deps.now ?? (() => new Date());
  const customers = deps.gap.sources.customers.map((c) => c.name);
  const digest = (audit: WatchAudit): Promise<unknown> =>
    runDigest(
      {
        pool: deps.opsPool,
        store,
        publisher: deps.publisher,
        silences,
        customers,
        owners: (c) => mentionsOf(ownersOf(deps.gap.sources.customers.find((x) => x.name === c), audit)),
        logger,
        now,
      },
      audit,
    );
  const worker =
    deps.workers && audits.length > 0
      ? startWatchWorker(
          { gap: deps.gap, store, publisher: deps.publisher, ops: deps.ops, metrics: deps.metrics, now, health, silences },
          audits,
          { connection: deps.connection, prefix: deps.prefix },
          { metrics: deps.metrics, lockDurationMs: deps.lockDurationMs, digest },
        )
      : null;
  const monitor = audits.length > 0 ? startWatchdogMonitor({ audits, health, publisher: deps.publisher, metrics: deps.metrics, logger }) : null;
  const keeper = audits.length > 0 ? keepSchedules(queue, deps, monitor, synced, logger) : null;
  return {
    store,
    synced,
    worker,
    monitor,
    close: async () => {
      await keeper?.stop();
      await monitor?.stop();
      await worker?.close();
      // Bounded: with Redis gone, closing the scheduler queue must not hold up the drain.
      await Promise.race([queue.close().catch(() => undefined), new Promise((r) => setTimeout(r, 2_000).unref())]);
    },
  };
}

/**
 * After Redis fails over or restarts empty, BullMQ's schedulers can be gone, or have lost their next job: the
 * workers then wait forever and nothing says so. Every few seconds (half the shortest interval, at most 30 s) the
 * schedulers are checked and restored; a stale audit's scheduler is re-upserted once per stale look. A check stuck on
 * a Redis that is away simply holds the next ones back until it answers.
 */
function keepSchedules(queue: Queue, deps: WatchRuntimeDeps, monitor: WatchdogMonitor | null, synced: Promise<void>, logger: Logger): { stop(): Promise<void> } {
  const restoredAt = new Map<string, number>();
  const audits = deps.config.watch;
  let stopped = false;
  const pass = async (): Promise<void> => {
    await synced;
    if (stopped) return;
    const stale = new Set<string>();
    for (const h of monitor?.stale() ?? []) {
      const audit = audits.find((a) => a.name === h.audit);
      const last = restoredAt.get(h.audit) ?? 0;
      // At most once per stale deadline: re-upserting the scheduler of a running audit could schedule it twice.
      if (audit && Date.now() - last > 2 * auditIntervalMs(audit)) stale.add(h.audit);
    }
    for (const name of await restoreSchedulers(queue, audits, stale, logger)) restoredAt.set(name, Date.now());
    await restoreDigestSchedulers(queue, audits, logger);
  };
  const limited = createLogLimiter(logger);
  const periodic = startPeriodic(pass, monitorIntervalMs(audits), (err) =>
    limited.warn(`schedules:${String((err as Error)?.message ?? err).slice(0, 40)}`, { err: String((err as Error)?.message ?? err) }, 'watch: could not check the audit schedules'),
  );
  return {
    stop: async () => {
      stopped = true;
      // A pass stuck on a Redis that is gone is not waited for.
      await Promise.race([periodic.stop(), new Promise((r) => setTimeout(r, 1_000).unref())]);
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

