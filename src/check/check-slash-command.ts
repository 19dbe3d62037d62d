import type { AckFn, App, RespondArguments, RespondFn, SlashCommand } from '@slack/bolt';
import type { Config } from '../config/schema.js';
import { userFacing } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { authorize } from '../slack/authorize.js';
import { registerBackfillPending } from '../slack/backfill-pending.js';
import { checkBlocks, BACKFILL_ACTION_ID } from './check-blocks.js';
import { checkScorecard, type CheckDeps } from './check-service.js';
import { EXAMPLE_SCORECARD_ID, parseCheckCommandText, parseScorecardId } from './scorecard-id.js';

export interface CheckCommandDeps extends CheckDeps {
  slack: Pick<NonNullable<Config['slack']>, 'allowedChannels' | 'allowedUsers'>;
  logger: Logger;
}

/** `public` anywhere in the text posts the answer in the channel; otherwise only the asker sees it. */
export function splitPublic(text: string): { text: string; isPublic: boolean } {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const rest = words.filter((w) => w.toLowerCase() !== 'public');
  return { text: rest.join(' '), isPublic: rest.length !== words.length };
}

/**
 * `/scorecard-check <id> [customer] [public]`: bad input is answered in the ack itself; the check (fast, but
 * a customer database may be slow to refuse) runs after the ack and answers through response_url.
 */
export async function handleCheckCommand(
  deps: CheckCommandDeps,
  args: { command: SlashCommand; ack: AckFn<string | RespondArguments>; respond: RespondFn },
): Promise<void> {
  const { command, ack, respond } = args;
  const { text, isPublic } = splitPublic(command.text);
  let input;
  try {
    authorize(deps.slack, command.channel_id, command.user_id);
    input = parseCheckCommandText(text);
    parseScorecardId(input.id);
    if (input.customer) deps.sources.customer(input.customer);
  } catch (err) {
    const { message, hint } = userFacing(err);
    await ack({
      response_type: 'ephemeral',
      text: `:warning: ${message} ${hint ?? `Example: /scorecard-check ${EXAMPLE_SCORECARD_ID} rentokil`}`,
    });
    return;
  }
  await ack();
  try {
    const result = await checkScorecard(deps, input);
    const msg = checkBlocks(result);
    await respond({ response_type: isPublic ? 'in_channel' : 'ephemeral', text: msg.text, blocks: msg.blocks } as RespondArguments);
  } catch (err) {
    deps.logger.error({ err, user: command.user_id }, 'scorecard check failed');
    const { message, hint } = userFacing(err);
    await respond({ response_type: 'ephemeral', text: `:warning: ${message}${hint ? ` ${hint}` : ''}` });
  }
}

export function registerCheckCommand(deps: CheckCommandDeps): (app: App) => void {
  return (app) => {
    app.command('/scorecard-check', async ({ command, ack, respond }) => handleCheckCommand(deps, { command, ack, respond }));
    registerBackfillPending(app, BACKFILL_ACTION_ID, deps.logger, '');
  };
}

