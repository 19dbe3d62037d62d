import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

// The bot's Prometheus metrics, on a registry of its own (never the global one, so tests and processes don't
// share state). Labels are bounded: customer, profile, population, tier, audit, queue; never a scorecard ID. The
// per-customer series are gauges and counters only (8 per customer, plus one per audit that covers it: see
// seriesPerCustomer), so 300 customers stay a few thousand series, and customers no longer configured drop out.

export interface BotMetrics {
  registry: Registry;
  missing: Gauge<'customer' | 'profile' | 'population' | 'tier'>;
  total: Gauge<'customer' | 'profile' | 'population' | 'tier'>;
  lastAudit: Gauge<'customer' | 'audit'>;
  openAlerts: Gauge<'customer'>;
  auditDuration: Histogram<'audit'>;
  /** By audit, not by customer: a histogram per customer is 12 series each, 3,600 at 300 customers. */
  customerAuditDuration: Histogram<'audit'>;
  auditFailures: Counter<'audit' | 'customer'>;
  jobFailures: Counter<'queue'>;
  queueDepth: Gauge<'queue' | 'state'>;
  /** Incremented by the backfill job as it writes (historic and ClickHouse rows). */
  backfillRows: Counter<'customer' | 'tier'>;
  /** 1 while an audit has not completed for twice its interval (the watchdog's watchdog), else 0. */
  watchStale: Gauge<'audit'>;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): BotMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'scorecard_bot_' });
  const perTier = ['customer', 'profile', 'population', 'tier'] as const;
  return {
    registry,
    missing: new Gauge({ name: 'scorecard_bot_missing_scorecards', help: 'Scorecards missing from a tier in the last audit lookback', labelNames: perTier, registers: [registry] }),
    total: new Gauge({ name: 'scorecard_bot_scorecards', help: 'Scorecards in director in the last audit lookback', labelNames: perTier, registers: [registry] }),
    lastAudit: new Gauge({ name: 'scorecard_bot_last_audit_timestamp_seconds', help: 'When the last audit of a customer finished', labelNames: ['customer', 'audit'], registers: [registry] }),
    openAlerts: new Gauge({ name: 'scorecard_bot_open_alerts', help: 'Open watchdog alerts', labelNames: ['customer'], registers: [registry] }),
    auditDuration: new Histogram({
      name: 'scorecard_bot_audit_duration_seconds',
      help: 'Duration of a whole scheduled audit',
      labelNames: ['audit'],
      buckets: [1, 2, 5, 10, 30, 60, 120, 300, 600],
      registers: [registry],
    }),
    customerAuditDuration: new Histogram({
      name: 'scorecard_bot_customer_audit_duration_seconds',
      help: 'Duration of one customer gap run inside an audit',
      labelNames: ['audit'],
      buckets: [0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
      registers: [registry],
    }),
    auditFailures: new Counter({ name: 'scorecard_bot_audit_failures_total', help: 'Customer audits that failed', labelNames: ['audit', 'customer'], registers: [registry] }),
    jobFailures: new Counter({ name: 'scorecard_bot_job_failures_total', help: 'Jobs that failed (each attempt)', labelNames: ['queue'], registers: [registry] }),
    queueDepth: new Gauge({ name: 'scorecard_bot_queue_jobs', help: 'Jobs in a queue by state', labelNames: ['queue', 'state'], registers: [registry] }),
    backfillRows: new Counter({ name: 'scorecard_bot_backfill_rows_written_total', help: 'Rows written by backfill jobs', labelNames: ['customer', 'tier'], registers: [registry] }),
    watchStale: new Gauge({ name: 'scorecard_bot_watch_stale', help: 'An audit that has not completed for twice its interval (1), else 0', labelNames: ['audit'], registers: [registry] }),
  };
}
