import type { RespondFn } from '@slack/bolt';
import { BACKFILL_ACTION_ID as CHECK_REQUEST_ACTION_ID } from '../check/check-blocks.js';
import { BACKFILL_ACTION_ID as GAP_REQUEST_ACTION_ID } from '../gap/views/thread-messages.js';
import { BotError, userFacing } from '../shared/errors.js';
import type { Click } from '../slack/action-body.js';
import { approversLine, authorizeApproval } from '../slack/authorize.js';
import { replyEphemeral } from '../slack/ephemeral.js';
import type { ActionRoute } from '../slack/routes.js';
import { ACTION, parseDecisionValue, parseRequestId, planMessage, progressMessage } from './backfill-blocks.js';
import { requestFromCheck, requestFromGapReport } from './backfill-request.js';
import type { BackfillActionDeps } from './backfill-slack-deps.js';
import type { BackfillRequest } from './store.js';

// The backfill buttons. Every rule is checked on the server at click time: the channel and user gate (by the Slack
// adapter, before any of this runs), who may decide (configured approvers, never the requester), who may cancel
// (the requester or an approver); then the store's conditional UPDATE settles the click once. A click that changes
// nothing gets an ephemeral reason.

async function tell(respond: RespondFn, text: string, hint?: string): Promise<void> {
  await replyEphemeral(respond, hint ? { message: text, hint } : text);
}

async function isApprover(deps: BackfillActionDeps, user: string): Promise<{ yes: boolean; groups: string[] }> {
  const { users, userGroups } = deps.slack.approvers;
  if (users.includes(user)) return { yes: true, groups: [] };
  if (userGroups.length === 0) return { yes: false, groups: [] };
  const groups = await deps.usergroups.groupsOf(user, userGroups);
  return { yes: groups.length > 0, groups };
}

/** A refused click is recorded too: who tried what, and why it changed nothing. */
async function auditRefusal(deps: BackfillActionDeps, req: BackfillRequest | null, click: Click, action: string, reason: string, planHash?: string): Promise<void> {
  if (!req) return;
  await deps.store
    .appendAudit({ requestId: req.id, actor: click.user, action: `${action}_refused`, channel: click.channel, planHash: planHash ?? null, detail: { reason } })
    .catch((err: unknown) => deps.logger.warn({ err, requestId: req.id }, 'could not audit a refused click'));
}

/** Replaces the clicked message (the plan or the progress message); a failed edit is logged, not fatal. */
async function replace(deps: BackfillActionDeps, click: Click, msg: { text: string; blocks: unknown[] }): Promise<void> {
  if (!click.messageTs || click.ephemeral) return;
  await deps.publisher.updateRoot(click.channel, click.messageTs, msg as never).catch((err: unknown) => deps.logger.warn({ err }, 'could not update the backfill message'));
}

async function decide(deps: BackfillActionDeps, action: 'approve' | 'deny', click: Click, respond: RespondFn): Promise<void> {
  const parsed = parseDecisionValue(click.value);
  if (!parsed) {
    await tell(respond, 'This button does not carry a backfill request I can read; nothing was changed.', 'Request the backfill again from the gap report.');
    return;
  }
  const { requestId, planHash } = parsed;
  const req = await deps.store.get(requestId);
  if (!req) {
    await tell(respond, `I have no backfill request ${requestId}; nothing was changed.`, 'Request a new one from the gap report.');
    return;
  }
  try {
    if (req.channel !== click.channel) throw new BotError('NOT_ALLOWED', 'This backfill request belongs to another channel; decide on it there.');
    const approver = await isApprover(deps, click.user);
    authorizeApproval(deps.slack, { channel: click.channel, approver: click.user, requester: req.requester, approverGroups: approver.groups });
  } catch (err) {
    const { message, hint } = userFacing(err);
    const shown = action === 'deny' ? message.replace(/\bapprove\b/, 'deny') : message;
    deps.logger.info({ requestId, user: click.user, action, reason: message }, 'backfill decision refused');
    await auditRefusal(deps, req, click, action, shown, planHash);
    await tell(respond, shown, hint);
    return;
  }
  const decision = action === 'approve' ? await deps.service.approve(requestId, click.user, planHash) : await deps.service.deny(requestId, click.user, planHash);
  if (!decision.ok) {
    deps.logger.info({ requestId, user: click.user, action, reason: decision.reason }, 'backfill decision changed nothing');
    await auditRefusal(deps, decision.request, click, action, decision.reason, planHash);
    // An expired request's buttons are replaced by the record, so nobody else clicks them.
    if (decision.reason === 'expired' && decision.request?.status === 'expired') await replace(deps, click, planMessage(decision.request));
    await tell(respond, decision.message);
    return;
  }
  const won = decision.request;
  deps.logger.info({ requestId, user: click.user, action }, `backfill ${action === 'approve' ? 'approved' : 'denied'}`);
  await replace(deps, click, planMessage(won));
  if (action === 'deny') return;
  // The one progress message of the run: posted now (with Cancel), edited by whichever worker runs the job.
  if (won.threadTs) {
    try {
      const ts = await deps.publisher.postInThread(won.channel, won.threadTs, progressMessage(won, { phase: 'queued', approvedBy: click.user }));
      await deps.store.appendAudit({ requestId, actor: 'bot', action: 'progress_posted', channel: won.channel, planHash: won.planHash, detail: { ts } });
    } catch (err) {
      deps.logger.warn({ err, requestId }, 'could not post the backfill progress message');
    }
  }
  try {
    await deps.enqueue(requestId);
  } catch (err) {
    deps.logger.error({ err, requestId }, 'approved backfill could not be queued');
    await tell(respond, 'Approved, but the job could not be queued (the job queue is unreachable).', 'The request stays approved; ask an owner of the bot to check Redis.');
  }
}

async function cancel(deps: BackfillActionDeps, click: Click, respond: RespondFn, fromRun: boolean): Promise<void> {
  const requestId = parseRequestId(click.value);
  const req = requestId ? await deps.store.get(requestId) : null;
  if (!req) {
    await tell(respond, `I have no backfill request ${requestId ?? ''}; nothing was changed.`.replace('  ', ' '), 'Request a new one from the gap report.');
    return;
  }
  try {
    if (req.channel !== click.channel) throw new BotError('NOT_ALLOWED', 'This backfill request belongs to another channel; cancel it there.');
    if (click.user !== req.requester && !(await isApprover(deps, click.user)).yes) {
      throw new BotError('NOT_ALLOWED', 'Only the requester or an approver can cancel a backfill.', { hint: `Ask <@${req.requester}>, or ${approversLine(deps.slack.approvers)}.` });
    }
  } catch (err) {
    const { message, hint } = userFacing(err);
    deps.logger.info({ requestId: req.id, user: click.user, reason: message }, 'backfill cancel refused');
    await auditRefusal(deps, req, click, 'cancel', message);
    await tell(respond, message, hint);
    return;
  }
  const decision = await deps.service.cancel(req.id, click.user);
  if (!decision.ok) {
    await auditRefusal(deps, decision.request, click, 'cancel', decision.reason);
    await tell(respond, decision.message);
    return;
  }
  const won = decision.request;
  deps.logger.info({ requestId: req.id, user: click.user, was: req.status }, 'backfill cancelled');
  const at = deps.now?.() ?? new Date();
  if (!fromRun) {
    // The plan message: its record now says who cancelled (after whoever approved, if anyone did).
    await replace(deps, click, planMessage(won, { at }));
  } else if (won.status === 'cancelled') {
    // finished at once: the job had not started (a running job finishes after its current chunk)
    await replace(deps, click, progressMessage(won, { phase: 'cancelled_before_start', by: click.user }));
  } else {
    await replace(deps, click, progressMessage(won, { phase: 'cancelling', by: click.user, progress: null }));
  }
}

/** The backfill's buttons: its own (approve, deny, cancel) and the requests from a gap report or a check. */
export function backfillRoutes(deps: BackfillActionDeps): ActionRoute[] {
  const route = (actionId: string, name: string, handle: (click: Click, respond: RespondFn) => Promise<void>): ActionRoute => ({
    actionId,
    name: `backfill ${name}`,
    handle: ({ click, respond }) => handle(click, respond),
  });
  return [
    route(GAP_REQUEST_ACTION_ID, 'request from a report', (click, respond) => requestFromGapReport(deps, click, respond)),
    route(CHECK_REQUEST_ACTION_ID, 'request from a check', (click, respond) => requestFromCheck(deps, click, respond)),
    route(ACTION.approve, 'approve', (click, respond) => decide(deps, 'approve', click, respond)),
    route(ACTION.deny, 'deny', (click, respond) => decide(deps, 'deny', click, respond)),
    route(ACTION.cancel, 'cancel', (click, respond) => cancel(deps, click, respond, false)),
    route(ACTION.cancelRun, 'cancel run', (click, respond) => cancel(deps, click, respond, true)),
  ];
}
