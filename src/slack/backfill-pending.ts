import type { App } from '@slack/bolt';
import type { Logger } from '../shared/logger.js';
import { authorize, type SlackAccess } from './authorize.js';
import { ephemeralNotice } from './blocks/error-messages.js';

/** Where a block action was clicked: the channel of the message (also for ephemeral messages). */
export function actionChannel(body: { channel?: { id?: string }; container?: { channel_id?: string } }): string {
  return body.channel?.id ?? body.container?.channel_id ?? '';
}

/**
 * The backfill buttons exist so reports already carry them; the approval-gated backfill job comes with its own
 * issue. Until then a click is authorised like a command (channel, user), acknowledged, logged, and answered
 * truthfully: nothing was changed.
 */
export function registerBackfillPending(app: App, actionId: string, deps: { logger: Logger; slack: SlackAccess }, note: string): void {
  app.action(actionId, async ({ ack, body, respond }) => {
    await ack();
    const channel = actionChannel(body as Parameters<typeof actionChannel>[0]);
    const who = { user: body.user.id, channel, actionId };
    try {
      authorize(deps.slack, channel, body.user.id);
    } catch (err) {
      deps.logger.info({ ...who, code: 'NOT_ALLOWED', reason: (err as Error).message }, 'button click refused');
      await respond({ ...ephemeralNotice(err as Error), replace_original: false });
      return;
    }
    deps.logger.info(who, 'backfill requested before backfill is enabled');
    await respond({ response_type: 'ephemeral', replace_original: false, text: `Backfill is not enabled on this bot yet: no data was changed. ${note}`.trim() });
  });
}
