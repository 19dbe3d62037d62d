import type { App } from '@slack/bolt';
import type { Logger } from '../shared/logger.js';

/**
 * The backfill buttons exist so reports already carry them; the approval-gated backfill job comes with its own
 * issue. Until then a click is acknowledged, logged, and answered truthfully: nothing was changed.
 */
export function registerBackfillPending(app: App, actionId: string, logger: Logger, note: string): void {
  app.action(actionId, async ({ ack, body, respond }) => {
    await ack();
    logger.info({ user: body.user.id, actionId }, 'backfill requested before backfill is enabled');
    await respond({ response_type: 'ephemeral', replace_original: false, text: `Backfill is not enabled on this bot yet: no data was changed. ${note}`.trim() });
  });
}
