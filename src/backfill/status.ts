// A backfill request's life. Every arrow below is one conditional UPDATE (... WHERE status IN (from) RETURNING),
// so two clicks, two approvers or two workers racing for the same arrow get exactly one winner.
//
//   planning ─► pending ─► approved ─► running ─► done | done_with_remainder | failed
//      │           │           │          │
//      │           ├► denied   │          └► cancelling ─► cancelled (the job stopped after its current chunk)
//      │           ├► expired  │                   └─────► done | done_with_remainder (it finished first)
//      ├───────────┴───────────┴► cancelled (before the job starts: final at once)
//      ├► done (the plan found nothing to write: no approval needed)
//      ├► failed (the plan could not be computed)
//      └► lost (its planner stopped heart-beating: the process died)

export const STATUSES = [
  'planning',
  'pending',
  'approved',
  'denied',
  'cancelled',
  'expired',
  'running',
  'cancelling',
  'done',
  'done_with_remainder',
  'failed',
  'lost',
] as const;
export type BackfillStatus = (typeof STATUSES)[number];

/** What each status means, for people (README, messages). */
export const STATUS_MEANING: Record<BackfillStatus, string> = {
  planning: 'the plan is being computed (read-only)',
  pending: 'the plan is ready and waits for a second person to approve or deny it',
  approved: 'approved; the job is queued',
  denied: 'an approver said no; nothing was written',
  cancelled: 'stopped by the requester or an approver (before the job, or after its current chunk); finished_at says when',
  expired: 'nobody decided in time; request again for a fresh plan',
  running: 'the job is writing, chunk by chunk',
  cancelling: 'cancelled while running: the job stops after its current chunk',
  done: 'written and verified: the gap scan finds nothing left of the plan',
  done_with_remainder: 'written, but the gap scan still finds scorecards missing (listed with the reason)',
  failed: 'a chunk failed on every attempt, or the plan failed; a new request resumes the remainder',
  lost: 'the planner stopped (its process died) before the plan was ready; nothing was written, request again',
};

export type Transition = 'planned' | 'nothing_to_write' | 'plan_failed' | 'lose' | 'approve' | 'deny' | 'cancel' | 'expire' | 'start' | 'stop' | 'finish' | 'fail';

/** The statuses a transition may leave from, and where it goes. `start` from running is a resume after a crash. */
export const TRANSITIONS: Record<Transition, { from: readonly BackfillStatus[]; to: readonly BackfillStatus[] }> = {
  planned: { from: ['planning'], to: ['pending'] },
  nothing_to_write: { from: ['planning'], to: ['done'] },
  plan_failed: { from: ['planning'], to: ['failed'] },
  lose: { from: ['planning'], to: ['lost'] },
  approve: { from: ['pending'], to: ['approved'] },
  deny: { from: ['pending'], to: ['denied'] },
  cancel: { from: ['planning', 'pending', 'approved', 'running'], to: ['cancelled', 'cancelling'] },
  expire: { from: ['pending'], to: ['expired'] },
  start: { from: ['approved', 'running'], to: ['running'] },
  stop: { from: ['cancelling'], to: ['cancelled'] },
  finish: { from: ['running', 'cancelling'], to: ['done', 'done_with_remainder'] },
  fail: { from: ['running', 'approved', 'cancelling'], to: ['failed'] },
};

export const TERMINAL: ReadonlySet<BackfillStatus> = new Set(['denied', 'cancelled', 'expired', 'done', 'done_with_remainder', 'failed', 'lost']);

export function canTransition(t: Transition, from: BackfillStatus, to: BackfillStatus): boolean {
  const rule = TRANSITIONS[t];
  return rule.from.includes(from) && rule.to.includes(to);
}
