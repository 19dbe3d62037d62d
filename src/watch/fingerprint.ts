import type { Population } from '../gap/core/report.js';

// An alert's identity. One alert per problem: a customer's population, per audit; the kinds of finding (a jump, a
// failed batch, a ClickHouse gap...) are listed inside it. The same problem seen by later audits has the same
// fingerprint, so it is announced once and keeps its thread. A finding's own key (kind and start) tells apart the
// findings inside an alert.

export type AlertKind = 'onset' | 'change_point' | 'batch_failure' | 'recurring_failure' | 'weekly_failure' | 'clickhouse_gap' | 'partial';

/** The problem's fingerprint: one open alert per (audit, customer, population). */
export function problemFingerprint(a: { customer: string; population: Population }): string {
  return [a.customer, a.population].join('|');
}

/** One finding's key inside its problem. */
export function fingerprintOf(a: { customer: string; population: Population; kind: AlertKind; start: string }): string {
  return [a.customer, a.population, a.kind, a.start].join('|');
}
