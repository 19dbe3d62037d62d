import type { RespondFn } from '@slack/bolt';
import { parseBackfillButtonValue } from '../check/check-blocks.js';
import type { Period } from '../period/parse-period.js';
import { BotError } from '../shared/errors.js';
import type { Click } from '../slack/action-body.js';
import { parseBackfillValue } from '../gap/views/thread-messages.js';
import type { BackfillActionDeps } from './backfill-slack-deps.js';
import { anchorMessage, planningMessage } from './backfill-blocks.js';
import type { ScopeInput } from './service.js';

// "Request backfill" (gap report) and "Backfill this scorecard" (check): the button carries an ID, never the scope.
// The gap report's button carries its run ID, and the scope (customer, period) is read from the run's record in the
// ops database; the check's button carries the scorecard ID and its customer. Then the plan is computed read-only,
// stored as a pending request, and posted in the thread with Approve / Deny / Cancel.

async function say(respond: RespondFn, text: string): Promise<void> {
  await respond({ response_type: 'ephemeral', replace_original: false, text });
}

/** Scopes being requested by this process right now: a double click plans once. */
const planning = new Map<string, object>();

/**
 * Stores the request and hands its planning to a job: the click is answered by a "Planning…" message in the thread
 * (with Cancel), which the plan job edits as it scans and replaces by the plan. Bad input, an over-long scope and a
 * person at backfill.maxOpenPerUser are refused before anything is stored.
 */
async function plan(
  deps: BackfillActionDeps,
  click: Click,
  respond: RespondFn,
  input: ScopeInput,
  threadTs: () => Promise<string>,
  sourceRunId: string | null = null,
): Promise<void> {
  const scope = await deps.service.scopeOf(input); // unknown customer, over 13 months, unknown scorecard: refused here
  const key = `${click.channel} ${JSON.stringify(scope)}`;
  // One open request per scope: a second click points at the first instead of planning twice. The in-process
  // mark is taken before any await, so a double click on this process cannot slip between check and create.
  const open = planning.has(key) ? 'planning' : null;
  const mark = {};
  if (!open) planning.set(key, mark);
  const release = () => {
    if (planning.get(key) === mark) planning.delete(key);
  };
  try {
    const status = open ?? (await deps.store.openFor(click.channel, scope))?.status;
    if (status) {
      const what = status === 'pending' ? 'waits for an approver' : status === 'planning' ? 'is being planned' : `is already ${status}`;
      await say(respond, `A backfill of ${scope.customer}, ${scope.label} ${what}; its plan is in the thread. Nothing new was planned. To plan again, cancel it first.`);
      return;
    }
    const thread = await threadTs();
    // Once the request is stored, the ops database answers for it (and the reconciler, should this process die).
    const req = await deps.service.createRequest(input, { requester: click.user, channel: click.channel, threadTs: thread, sourceRunId }).finally(release);
    const ts = await deps.publisher.postInThread(click.channel, thread, planningMessage(req));
    await deps.store.appendAudit({ requestId: req.id, actor: 'bot', action: 'plan_posted', channel: click.channel, detail: { ts, threadTs: thread } });
    await deps.enqueuePlan(req.id);
    deps.logger.info({ requestId: req.id, user: click.user, customer: scope.customer, scope: scope.label }, 'backfill requested');
  } finally {
    release();
  }
}

export async function requestFromGapReport(deps: BackfillActionDeps, click: Click, respond: RespondFn): Promise<void> {
  let runId: string;
  try {
    runId = parseBackfillValue(click.value).runId;
  } catch (cause) {
    throw new BotError('BAD_INPUT', 'This button is from a report made before backfills were enabled, so it names no run; nothing was changed.', {
      cause,
      hint: 'Run the report again (e.g. /scorecard-gap rentokil jan-2026) and use its Request backfill button.',
    });
  }
  const run = await deps.ops.getRun(runId);
  // A run from another channel is treated as unknown: its button was never posted here.
  if (!run || run.channel !== click.channel) {
    throw new BotError('BAD_INPUT', `I have no record of the gap report ${runId.slice(0, 60)} in this channel; nothing was changed.`, {
      hint: 'Run the report again (e.g. /scorecard-gap rentokil jan-2026) and use its Request backfill button.',
    });
  }
  if (run.customer === 'all') {
    throw new BotError('BAD_INPUT', 'A backfill covers one customer; this report covers all of them.', { hint: 'Run /scorecard-gap <customer> <period> and request the backfill from that report.' });
  }
  const period: Period = { from: new Date(run.periodFrom), to: new Date(run.periodTo), label: run.periodLabel, grain: 'day' };
  await plan(deps, click, respond, { customer: run.customer, period }, async () => run.rootTs, run.runId);
}

export async function requestFromCheck(deps: BackfillActionDeps, click: Click, respond: RespondFn): Promise<void> {
  const { id, customer } = parseBackfillButtonValue(click.value);
  await plan(deps, click, respond, { customer, scorecardId: id }, async () => {
    // A check answered in a thread or in the channel keeps its thread; an ephemeral one has none to reply in.
    if (click.threadTs) return click.threadTs;
    if (click.messageTs && !click.ephemeral) return click.messageTs;
    return deps.publisher.postRoot(click.channel, anchorMessage(customer, `scorecard ${id}`, click.user));
  });
}
