import { cronIntervalMs, everyMs, type WatchAudit } from '../config/watch-schema.js';

// How an audit spreads its customers over its schedule. A fleet audit that starts 300 gap runs at :00 gives the
// database servers a burst every hour and then nothing; spreading the starts evenly over part of the interval keeps
// the load flat (the connection budget still bounds each moment). A small audit is not spread: it finishes in seconds
// and an alert found at :00 should not wait for :30.

/** `spread: auto` spreads audits of at least this many customers. */
export const SPREAD_AUTO_MIN_CUSTOMERS = 20;
/** `spread: auto` spreads over this share of the interval, so a slow customer still ends before the next tick. */
export const SPREAD_AUTO_SHARE = 0.5;

/** The interval between two runs of an audit: `every`, or the shortest gap between the cron's runs. */
export function auditIntervalMs(audit: Pick<WatchAudit, 'cron' | 'every'>): number {
  return audit.cron ? cronIntervalMs(audit.cron) : everyMs(audit.every ?? '1h');
}

/** Milliseconds of the `spread` setting over the audit's interval (0: not spread). */
export function spreadWindowMs(audit: Pick<WatchAudit, 'cron' | 'every' | 'spread'>, customers: number): number {
  const spread = audit.spread ?? 'auto';
  if (spread === 'off' || customers < 2) return 0;
  if (spread === 'auto') return customers >= SPREAD_AUTO_MIN_CUSTOMERS ? Math.floor(auditIntervalMs(audit) * SPREAD_AUTO_SHARE) : 0;
  return everyMs(spread);
}

/** The start offset of each customer, in order: evenly spaced over the window, the first at 0. */
export function spreadOffsets(windowMs: number, customers: number): number[] {
  if (customers <= 0) return [];
  const step = windowMs > 0 ? windowMs / customers : 0;
  return Array.from({ length: customers }, (_, i) => Math.round(i * step));
}
