import type { CustomerSources } from '../sources/customer-sources.js';
import { missingIdsQuery } from './queries.js';
import type { GapPlan } from './gap-service.js';
import { dayWindows } from './windows.js';

export interface MissingIdRow {
  scorecardId: string;
  population: 'submitted' | 'unsubmitted';
  createdAt: string;
  submittedAt: string | null;
}

/** Missing IDs of the period, a day at a time, so memory holds one day's IDs at most. */
export async function* missingIds(sources: CustomerSources, plan: GapPlan): AsyncGenerator<MissingIdRow> {
  const db = await sources.readOnly(plan.customer);
  for (const w of dayWindows(new Date(plan.period.from), new Date(plan.period.to))) {
    const q = missingIdsQuery(plan.customer, plan.profile, new Date(w.from), new Date(w.to));
    const rows = await db.query<{ scorecard_id: string; created_at: Date; submitted_at: Date | null }>(q.text, q.values);
    for (const r of rows) {
      yield {
        scorecardId: r.scorecard_id,
        population: r.submitted_at ? 'submitted' : 'unsubmitted',
        createdAt: r.created_at.toISOString(),
        submittedAt: r.submitted_at?.toISOString() ?? null,
      };
    }
  }
}
