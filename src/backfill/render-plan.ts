import type { BackfillPlan, ItemReason } from './plan.js';
import { hashPrefix } from './plan-hash.js';

// The plan as plain data (for --json and for the Slack blocks to come) and as terminal text.

const n = (x: number): string => x.toLocaleString('en-US');

export const REASON_TEXT: Record<ItemReason, string> = {
  missing: 'missing from historic: every score is written',
  partial: 'some criteria in historic: only the missing ones are written',
  clickhouse_only: 'in historic, missing from ClickHouse: written to ClickHouse only',
  calibration: 'calibration scorecard: skipped by design, never written',
  non_original: 'not an original (appeal, group calibration response): skipped by design',
  no_scores: 'no scores in director.scores: nothing to write',
  conversation_missing: 'conversation missing from app.chats: the writer fails early on these in production; listed, not written',
  present: 'already present: nothing to write',
};

export function planAsData(plan: BackfillPlan, extra: { expiresAt?: Date } = {}): Record<string, unknown> {
  return {
    customer: plan.scope.customer,
    profile: plan.scope.profile,
    period: { from: plan.scope.from, to: plan.scope.to, label: plan.scope.label },
    scorecardId: plan.scope.scorecardId ?? null,
    hash: plan.hash,
    target: plan.target,
    writerConfigured: plan.writerConfigured,
    clickhouse: plan.scope.clickhouse,
    toWrite: plan.toWrite,
    leftAlone: plan.leftAlone,
    before: plan.before,
    samples: plan.samples,
    scanned: plan.scanned,
    ...(extra.expiresAt ? { expiresAt: extra.expiresAt.toISOString() } : {}),
  };
}

export function renderPlanText(plan: BackfillPlan, opts: { dryRun?: boolean; expiresAt?: Date } = {}): string {
  const s = plan.scope;
  const lines: string[] = [];
  lines.push(`Backfill plan: ${s.customer}, ${s.label}${opts.dryRun ? ' (dry run: nothing was written)' : ''}`);
  lines.push(`  target: ${plan.target ?? `none: ${s.customer} has no writer connection, so this plan cannot be approved`}`);
  lines.push(`  plan hash: ${hashPrefix(plan.hash)}${opts.expiresAt ? `   expires: ${opts.expiresAt.toISOString()}` : ''}`);
  lines.push('');
  lines.push(`  scorecards to write: ${n(plan.toWrite.scorecards)} of ${n(plan.scanned)} scanned`);
  for (const r of ['missing', 'partial', 'clickhouse_only'] as const) {
    if (plan.toWrite.byReason[r] > 0) lines.push(`    ${n(plan.toWrite.byReason[r]).padStart(9)}  ${REASON_TEXT[r]}`);
  }
  lines.push(`  historic rows to write: ${n(plan.toWrite.historicRows)}`);
  lines.push(s.clickhouse ? `  ClickHouse rows to write: up to ${n(plan.toWrite.clickhouseRows)}` : '  ClickHouse: not part of this backfill');
  lines.push(
    `  missing now: historic ${n(plan.before.historic.submitted)} submitted, ${n(plan.before.historic.unsubmitted)} unsubmitted` +
      (s.clickhouse ? `; ClickHouse ${n(plan.before.clickhouse.submitted)} submitted, ${n(plan.before.clickhouse.unsubmitted)} unsubmitted` : ''),
  );
  lines.push('');
  lines.push('  left alone:');
  for (const r of ['calibration', 'non_original', 'no_scores', 'conversation_missing', 'present'] as const) {
    lines.push(`    ${n(plan.leftAlone[r]).padStart(9)}  ${REASON_TEXT[r]}`);
  }
  const sampled = Object.entries(plan.samples).filter(([r]) => r !== 'present');
  if (sampled.length > 0) {
    lines.push('');
    lines.push('  samples:');
    for (const [r, ids] of sampled) lines.push(`    ${r}: ${(ids ?? []).join(', ')}`);
  }
  return lines.join('\n');
}
