import type { WatchAudit } from '../config/watch-schema.js';
import type { BotMetrics } from '../observability/metrics.js';
import { createLogLimiter } from '../shared/log-limiter.js';
import type { Logger } from '../shared/logger.js';
import { startPeriodic } from '../shared/periodic.js';
import type { ThreadPublisher } from '../slack/thread-publisher.js';
import { auditRunningAgainMessage, staleAuditMessage } from './health-messages.js';
import type { WatchHealthStore } from './health-store.js';
import { judgeAudits, monitorIntervalMs, type AuditHealth } from './staleness.js';

// Every process looks, from the ops database, whether each audit has completed recently (any worker's run counts):
// the gauge scorecard_bot_watch_stale and /readyz follow what it sees, and the one process that claims a change
// posts it in the audit's channel (stopped; running again). It reads the real clock, never the audits' own.

export interface WatchdogMonitorDeps {
  audits: readonly WatchAudit[];
  health: WatchHealthStore;
  publisher: ThreadPublisher;
  metrics: BotMetrics;
  logger: Logger;
  now?: () => Date;
  intervalMs?: number;
}

export interface WatchdogMonitor {
  /** The audits stale at the last look. */
  stale(): AuditHealth[];
  stop(): Promise<void>;
}

export function startWatchdogMonitor(deps: WatchdogMonitorDeps): WatchdogMonitor {
  const now = deps.now ?? (() => new Date());
  const limited = createLogLimiter(deps.logger);
  let last: AuditHealth[] = [];
  const byName = new Map(deps.audits.map((a) => [a.name, a]));

  const notify = async (h: AuditHealth): Promise<void> => {
    const audit = byName.get(h.audit)!;
    if (h.stale && !h.told && (await deps.health.claimStale(h.audit))) {
      deps.logger.error({ audit: h.audit, lastCompleted: h.lastCompleted?.toISOString() ?? null }, 'watch: an audit has not completed for twice its interval');
      await deps.publisher.postRoot(audit.channel, staleAuditMessage(audit, h.lastCompleted)).catch(async (err: unknown) => {
        await deps.health.unclaimStale(h.audit, true).catch(() => undefined);
        throw err;
      });
    } else if (!h.stale && h.told && (await deps.health.claimRunningAgain(h.audit))) {
      deps.logger.info({ audit: h.audit }, 'watch: the audit is running again');
      await deps.publisher.postRoot(audit.channel, auditRunningAgainMessage(audit, h.lastCompleted)).catch(async (err: unknown) => {
        await deps.health.unclaimStale(h.audit, false).catch(() => undefined);
        throw err;
      });
    }
  };

  const pass = async (): Promise<void> => {
    const judged = judgeAudits(deps.audits, await deps.health.rows(), now());
    last = judged;
    for (const h of judged) deps.metrics.watchStale.set({ audit: h.audit }, h.stale ? 1 : 0);
    for (const h of judged) await notify(h);
  };
  const periodic = startPeriodic(pass, deps.intervalMs ?? monitorIntervalMs(deps.audits), (err) =>
    limited.warn(`watchdog:${String((err as Error)?.message ?? err).slice(0, 40)}`, { err: String((err as Error)?.message ?? err) }, 'watch: could not check the audits are running'),
  );
  return {
    stale: () => last.filter((h) => h.stale),
    stop: () => periodic.stop(),
  };
}
