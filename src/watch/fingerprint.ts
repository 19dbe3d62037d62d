import type { Population } from '../gap/core/report.js';

// An alert's identity: the same problem seen by later audits has the same fingerprint, so it is announced once.

export type AlertKind = 'onset' | 'change_point' | 'batch_failure' | 'recurring_failure' | 'weekly_failure' | 'clickhouse_gap';

export function fingerprintOf(a: { customer: string; population: Population; kind: AlertKind; start: string }): string {
  return [a.customer, a.population, a.kind, a.start].join('|');
}
