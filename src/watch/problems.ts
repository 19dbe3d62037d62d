import { z } from 'zod';
import type { AlertCondition } from './alert-rules.js';
import { isWorse } from './alert-rules.js';
import { problemFingerprint, type AlertKind } from './fingerprint.js';

// Pure: one alert per problem. The conditions one audit finds for a customer's population (an onset, a jump, a
// failed batch, a ClickHouse gap...) are one problem, its findings listed inside it. The problem's numbers are its
// lead finding's, the one with the most missing (so the count a person reads first is the largest one); its start
// is its earliest finding's. Before its first post a problem must be worth waking someone for (`confirmed`).

export const ALERT_KINDS = ['onset', 'change_point', 'batch_failure', 'recurring_failure', 'weekly_failure', 'partial', 'clickhouse_gap'] as const satisfies readonly AlertKind[];

export const problemFindingSchema = z.object({
  kind: z.enum(ALERT_KINDS),
  start: z.string(),
  missing: z.number(),
  total: z.number(),
  rate: z.number(),
  sentence: z.string(),
});
export type ProblemFinding = z.infer<typeof problemFindingSchema>;

/** One problem (a customer and population): its lead finding's fields (kind, count, sentence), and every finding. */
export interface AlertProblem extends AlertCondition {
  /** Every finding, in ALERT_KINDS order. */
  findings: ProblemFinding[];
}

/** A missing rate over this posts a problem at its first audit, without waiting for confirmAudits. */
export const POST_AT_ONCE_RATE = 0.5;

const order = (k: AlertKind): number => ALERT_KINDS.indexOf(k);

export function groupProblems(conditions: readonly AlertCondition[]): AlertProblem[] {
  const groups = new Map<string, AlertCondition[]>();
  for (const c of conditions) {
    const key = problemFingerprint(c);
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return [...groups.entries()].map(([fingerprint, cs]) => {
    const findings = [...cs]
      .sort((a, b) => order(a.kind) - order(b.kind) || a.start.localeCompare(b.start))
      .map((c): ProblemFinding => ({ kind: c.kind, start: c.start, missing: c.missing, total: c.total, rate: c.rate, sentence: c.sentence }));
    // The most missing leads; on a tie the first in ALERT_KINDS order (an onset before the batch inside it).
    const lead = findings.reduce((best, f) => (f.missing > best.missing ? f : best));
    const start = findings.map((f) => f.start).sort()[0]!;
    const { customer, profile, population } = cs[0]!;
    return { fingerprint, customer, profile, population, kind: lead.kind, start, missing: lead.missing, total: lead.total, rate: lead.rate, sentence: lead.sentence, findings };
  });
}

export interface ConfirmRule {
  minMissing: number;
  confirmAudits: number;
}

/**
 * Worth a first post: at least minMissing missing, and seen in confirmAudits consecutive audits (seenCount counts
 * this one), unless a finding with minMissing or more is over POST_AT_ONCE_RATE (a failed batch, a customer losing
 * most of its scorecards: no reason to wait an interval).
 */
export function confirmed(p: Pick<AlertProblem, 'missing' | 'findings'>, seenCount: number, rule: ConfirmRule): boolean {
  if (p.missing < rule.minMissing) return false;
  if (seenCount >= rule.confirmAudits) return true;
  return p.findings.some((f) => f.missing >= rule.minMissing && f.rate > POST_AT_ONCE_RATE);
}

export interface Told {
  missing: number;
  level: number;
  kinds: readonly string[];
}

/** What a follow-up has to say: the lead count worse than when last told, and findings of kinds never told. */
export function newsSince(p: Pick<AlertProblem, 'missing' | 'rate' | 'findings'>, told: Told): { worse: boolean; fresh: ProblemFinding[] } {
  const fresh = p.findings.filter((f) => !told.kinds.includes(f.kind));
  return { worse: isWorse(p, told), fresh };
}

/** The kinds a problem's findings are (each once, in order). */
export const kindsOf = (findings: readonly { kind: AlertKind }[]): AlertKind[] => [...new Set(findings.map((f) => f.kind))].sort((a, b) => order(a) - order(b));
