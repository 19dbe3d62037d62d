import type { BackfillPlan } from './plan.js';
import { REASON_TEXT } from './render-plan.js';
import { csvLine } from '../gap/views/csv.js';

// The plan's full list as a CSV, beside the plan message that shows only a few samples a class. Pure: rows in,
// lines out; the reporter streams them from the ops database to a file and uploads it.

export interface PlanCsvRow {
  scorecardId: string;
  reason: string;
  submitted: boolean;
  createdAt: Date | string;
}

/** Samples the plan message shows a class; the rest are in the CSV. */
export const PLAN_SAMPLES_SHOWN = 5;

export const PLAN_CSV_HEADER = ['scorecard_id', 'reason', 'population', 'created_at', 'what_happens'] as const;

export function planCsvHeader(): string {
  return csvLine([...PLAN_CSV_HEADER]);
}

export function planCsvLine(r: PlanCsvRow): string {
  const what = (REASON_TEXT as Record<string, string>)[r.reason] ?? r.reason;
  return csvLine([r.scorecardId, r.reason, r.submitted ? 'submitted' : 'unsubmitted', r.createdAt, what]);
}

/** Stored scorecards a plan has (to write, and missing ones left alone without scores or a conversation). */
export function plannedScorecards(plan: BackfillPlan): number {
  return plan.toWrite.scorecards + plan.leftAlone.no_scores + plan.leftAlone.conversation_missing;
}

/** The plan shows every stored scorecard as a sample, so a CSV would add nothing. */
export function samplesShowAll(plan: BackfillPlan): boolean {
  const counts = { ...plan.toWrite.byReason, no_scores: plan.leftAlone.no_scores, conversation_missing: plan.leftAlone.conversation_missing };
  return Object.values(counts).every((c) => c <= PLAN_SAMPLES_SHOWN);
}

export function planCsvTitle(plan: BackfillPlan): string {
  const n = plannedScorecards(plan).toLocaleString('en-US');
  return `Backfill plan ${plan.scope.customer}, ${plan.scope.label}: all ${n} scorecards (to write, and missing ones left alone)`;
}

export function planCsvFilename(plan: BackfillPlan): string {
  return `backfill-plan-${plan.scope.customer}-${plan.scope.from.slice(0, 10)}-${plan.hash.slice(0, 8)}.csv`;
}
