import type { Logger } from '../shared/logger.js';
import type { ThreadPublisher } from '../slack/thread-publisher.js';
import { planMessage, planningMessage } from './backfill-blocks.js';
import { uploadPlanCsv } from './plan-csv-upload.js';
import type { PlanProgress } from './plan.js';
import type { BackfillRequest, BackfillStore } from './store.js';

// The plan job's side of the thread: the message posted at the click ("Planning…", with Cancel) is edited as the
// scan goes (at most every 2 s), then replaced by the plan with Approve / Deny, or by why there is none. Its ts is
// in the audit log ('plan_posted'), so whichever worker runs the plan edits the same message.

export interface PlanSlackReporter {
  onProgress(requestId: string, p: PlanProgress): void;
  onPlanned(requestId: string, req: BackfillRequest | null): void;
  onFailed(requestId: string, error: string): void;
  idle(): Promise<void>;
}

export function planSlackReporter(deps: { store: BackfillStore; publisher: ThreadPublisher; logger: Logger; minIntervalMs?: number }): PlanSlackReporter {
  const minInterval = deps.minIntervalMs ?? 2000;
  const chains = new Map<string, Promise<void>>();
  const lastEdit = new Map<string, number>();

  async function messageTs(id: string): Promise<string | null> {
    const posted = (await deps.store.audit(id)).filter((e) => e.action === 'plan_posted').pop();
    const ts = (posted?.detail as { ts?: unknown } | null)?.ts;
    return typeof ts === 'string' && ts !== '' ? ts : null;
  }

  function enqueue(id: string, fn: () => Promise<void>): void {
    const next = (chains.get(id) ?? Promise.resolve())
      .then(fn)
      .catch((err: unknown) => deps.logger.warn({ err, requestId: id }, 'backfill plan: Slack update failed'));
    chains.set(id, next);
    void next.finally(() => {
      if (chains.get(id) === next) chains.delete(id);
    });
  }

  async function replaceWithPlan(id: string): Promise<void> {
    const req = await deps.store.get(id);
    const ts = await messageTs(id);
    if (!req || !ts) return;
    await deps.publisher.updateRoot(req.channel, ts, planMessage(req));
    lastEdit.delete(id);
    // The plan shows a few IDs a class; the full list follows it as a CSV, while it can still be approved.
    if (req.status === 'pending') await uploadPlanCsv(deps, req);
  }

  return {
    onProgress(id, p) {
      const now = Date.now();
      if (now - (lastEdit.get(id) ?? 0) < minInterval) return;
      lastEdit.set(id, now);
      enqueue(id, async () => {
        const req = await deps.store.get(id);
        const ts = await messageTs(id);
        if (!req || !ts || req.status !== 'planning') return;
        await deps.publisher.updateRoot(req.channel, ts, planningMessage(req, p));
      });
    },
    onPlanned(id) {
      enqueue(id, () => replaceWithPlan(id));
    },
    onFailed(id) {
      enqueue(id, () => replaceWithPlan(id));
    },
    async idle() {
      while (chains.size > 0) await Promise.all([...chains.values()]);
    },
  };
}
