import { hashPrefix } from './plan-hash.js';
import type { BackfillRequest } from './store.js';

// Why a click changed nothing. The store's conditional UPDATE says only "no"; this reads the row afterwards and
// names the reason a person can act on. Pure: the row and the click in, a reason and a sentence out.

export type Refusal = 'not_found' | 'already_decided' | 'expired' | 'stale_plan' | 'self_approval' | 'no_writer' | 'not_cancellable';

export type Decision = { ok: true; request: BackfillRequest } | { ok: false; reason: Refusal; message: string; request: BackfillRequest | null };

export function explainRefusal(
  req: BackfillRequest | null,
  click: { action: 'approve' | 'deny' | 'cancel'; actor: string; planHash?: string },
  now: Date,
): { reason: Refusal; message: string } {
  if (!req) return { reason: 'not_found', message: 'I have no backfill request with that ID; request a new one from the gap report.' };
  const by = req.decidedBy ?? req.cancelledBy;
  if (click.action === 'cancel') {
    return { reason: 'not_cancellable', message: `This backfill is already ${req.status.replaceAll('_', ' ')}${by ? ` (by <@${by}>)` : ''}; nothing to cancel.` };
  }
  if (req.status === 'expired' || (req.status === 'pending' && req.expiresAt <= now)) {
    return { reason: 'expired', message: 'This backfill request expired before anyone decided; request it again for a fresh plan.' };
  }
  if (req.status !== 'pending') {
    return { reason: 'already_decided', message: `This backfill is already ${req.status.replaceAll('_', ' ')}${by ? ` (by <@${by}>)` : ''}; your click changed nothing.` };
  }
  if (click.planHash !== undefined && click.planHash !== req.planHash) {
    return {
      reason: 'stale_plan',
      message: `That button belongs to an older plan (${hashPrefix(click.planHash)}); the current plan is ${hashPrefix(req.planHash ?? '')}.`,
    };
  }
  if (click.actor === req.requester) {
    return { reason: 'self_approval', message: 'A backfill needs a second person: the requester cannot approve or deny it.' };
  }
  if (click.action === 'approve' && !req.writerAvailable) {
    return { reason: 'no_writer', message: `${req.customer} has no writer connection configured, so this backfill cannot be approved.` };
  }
  return { reason: 'already_decided', message: 'This backfill changed while you clicked; look at the thread for its state.' };
}
