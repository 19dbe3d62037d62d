// Pure Block Kit renderers for the gap investigation: data in, message JSON out, no Slack client calls.

export { assertWithinSlackLimits, slackLimitViolations, SLACK_LIMITS } from '../../slack/limits.js';
export type { SlackMessage } from '../../slack/slack-message.js';
export { rootMessage, progressBar, VERDICT_EMOJI, type RootState } from './root-message.js';
export {
  threadMessages,
  summaryMessages,
  customerCard,
  reportTablesMessages,
  headlineMessage,
  findingsMessages,
  backfillMessage,
  backfillValue,
  parseBackfillValue,
  BACKFILL_ACTION_ID,
  type BackfillValue,
  type ThreadOptions,
} from './thread-messages.js';
export { tableMessages, tableBlock, evenChunks, type TableRenderOptions } from '../../slack/table-blocks.js';
export { errorMessage, type ErrorMessageInput } from './error-message.js';
export { ephemeralUsage, type UsageOptions } from './usage-message.js';
export type { EphemeralMessage } from '../../slack/slack-message.js';
export { escapeMrkdwn } from '../../slack/mrkdwn.js';
