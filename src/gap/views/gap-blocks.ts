// Pure Block Kit renderers for the gap investigation: data in, message JSON out, no Slack client calls.

export { assertWithinSlackLimits, slackLimitViolations, SLACK_LIMITS, type SlackMessage } from '../../slack/limits.js';
export { rootMessage, progressBar, VERDICT_EMOJI, type RootState } from './root-message.js';
export {
  threadMessages,
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
export { errorMessage, ephemeralUsage, type ErrorMessageInput, type EphemeralMessage, type UsageOptions } from '../../slack/error-messages.js';
export { escapeMrkdwn } from '../../slack/mrkdwn.js';
