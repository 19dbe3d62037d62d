import type { AckFn, App, RespondArguments, RespondFn, SlashCommand } from '@slack/bolt';
import { BotError, userFacing } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { authorize, type SlackAccess } from '../slack/authorize.js';
import { ephemeralNotice } from '../slack/error-messages.js';
import { checkBlocks } from './check-blocks.js';
import { checkScorecard, type CheckDeps } from './check-service.js';
import { EXAMPLE_SCORECARD_ID, parseCheckCommandText, parseScorecardId } from './scorecard-id.js';

export interface CheckCommandDeps extends CheckDeps {
  slack: SlackAccess;
  logger: Logger;
}

/** `public` anywhere in the text posts the answer in the channel; otherwise only the asker sees it. */
export function splitPublic(text: string): { text: string; isPublic: boolean } {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const rest = words.filter((w) => w.toLowerCase() !== 'public');
  return { text: rest.join(' '), isPublic: rest.length !== words.length };
}

/** The usage line, with a customer this bot actually has. */
export function checkUsage(customers: string[]): string {
  const example = customers[0] ? ` ${customers[0]}` : '';
  return `Usage: /scorecard-check <scorecard-id> [customer] [public], e.g. /scorecard-check ${EXAMPLE_SCORECARD_ID}${example}`;
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
  const who = { user: command.user_id, channel: command.channel_id };
  try {
    // First, so nothing about the configured customers is said outside allowed channels.
    authorize(deps.slack, command.channel_id, command.user_id);
  } catch (err) {
    deps.logger.info({ ...who, code: (err as BotError).code, reason: (err as BotError).userMessage }, 'check command refused');
    await ack(ephemeralNotice(err as BotError));
    return;
  }
  const { text, isPublic } = splitPublic(command.text);
  const usage = checkUsage(deps.sources.customers.map((c) => c.name));
  let input;
  try {
    try {
      input = parseCheckCommandText(text);
    } catch (err) {
      throw new BotError('BAD_INPUT', userFacing(err).message, { hint: usage, cause: err });
    }
    parseScorecardId(input.id);
    if (input.customer) deps.sources.customer(input.customer);
  } catch (err) {
    deps.logger.info({ ...who, code: (err as BotError).code }, 'check command refused');
    const { message, hint } = userFacing(err);
    await ack({ response_type: 'ephemeral', text: `:warning: ${message} ${hint ?? usage}` });
    return;
  }
  await ack();
  const started = Date.now();
  try {
    const result = await checkScorecard(deps, input);
    const msg = checkBlocks(result);
    deps.logger.info({ ...who, customer: input.customer, verdict: result.verdict, ms: Date.now() - started }, 'scorecard check answered');
    await respond({ response_type: isPublic ? 'in_channel' : 'ephemeral', text: msg.text, blocks: msg.blocks } as RespondArguments);
  } catch (err) {
    deps.logger.error({ err, ...who }, 'scorecard check failed');
    const { message, hint } = userFacing(err);
    await respond({ response_type: 'ephemeral', text: `:warning: ${message}${hint ? ` ${hint}` : ''}` });
  }
}

export function registerCheckCommand(deps: CheckCommandDeps): (app: App) => void {
  return (app) => {
    app.command('/scorecard-check', async ({ command, ack, respond }) => handleCheckCommand(deps, { command, ack, respond }));
    // Its "Backfill this scorecard" button is handled with the other backfill buttons (src/backfill/backfill-actions.ts).
  };
}
