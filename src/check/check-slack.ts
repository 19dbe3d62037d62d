import type { RespondArguments } from '@slack/bolt';
import { BotError, userFacing } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { CommandRequest, CommandRoute } from '../slack/routes.js';
import { checkBlocks } from './check-blocks.js';
import { checkScorecard, type CheckDeps } from './check-service.js';
import { EXAMPLE_SCORECARD_ID, parseCheckCommandText, parseScorecardId } from './scorecard-id.js';

export interface CheckCommandDeps extends CheckDeps {
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

/** `/scorecard-check`, as the Slack adapter runs it (gated, errors answered for us). */
export function checkSlashCommand(deps: CheckCommandDeps): CommandRoute {
  const usage = checkUsage(deps.sources.customers.map((c) => c.name));
  return {
    command: '/scorecard-check',
    name: 'check command',
    usage: (err) => {
      const { message, hint } = userFacing(err);
      return { response_type: 'ephemeral', text: `:warning: ${message} ${hint ?? usage}` };
    },
    handle: (req) => handleCheckCommand(deps, req),
  };
}

/**
 * `/scorecard-check <id> [customer] [public]`: bad input is thrown before the ack (the adapter answers it with the
 * usage); the check (fast, but a customer database may be slow to refuse) runs after the ack and answers through
 * response_url. Its "Backfill this scorecard" button is a backfill route (src/backfill/backfill-slack.ts).
 */
export async function handleCheckCommand(deps: CheckCommandDeps, { command, ack, respond }: CommandRequest): Promise<void> {
  const who = { user: command.user_id, channel: command.channel_id };
  const { text, isPublic } = splitPublic(command.text);
  let input;
  try {
    input = parseCheckCommandText(text);
  } catch (err) {
    throw new BotError('BAD_INPUT', userFacing(err).message, { hint: checkUsage(deps.sources.customers.map((c) => c.name)), cause: err });
  }
  parseScorecardId(input.id);
  if (input.customer) deps.sources.customer(input.customer);
  await ack();
  const started = Date.now();
  const result = await checkScorecard(deps, input);
  const msg = checkBlocks(result);
  deps.logger.info({ ...who, customer: input.customer, verdict: result.verdict, ms: Date.now() - started }, 'scorecard check answered');
  await respond({ response_type: isPublic ? 'in_channel' : 'ephemeral', text: msg.text, blocks: msg.blocks } as RespondArguments);
}
