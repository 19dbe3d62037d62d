import type { AckFn, RespondArguments, RespondFn, SlashCommand } from '@slack/bolt';
import type { Config } from '../config/schema.js';
import { BotError, userFacing } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { authorize, permalink } from '../slack/authorize.js';
import { ephemeralUsage } from '../slack/blocks/gap-blocks.js';
import { parseGapInput } from './gap-input.js';
import { startGapRun, type StartGapDeps } from './gap-flow.js';

export interface GapCommandDeps extends StartGapDeps {
  slack: Pick<NonNullable<Config['slack']>, 'allowedChannels' | 'allowedUsers'>;
  logger: Logger;
  now?: () => Date;
}

/**
 * `/scorecard-gap <customer|all> <period>`: check everything that can be checked without I/O, ack within
 * Slack's 3 seconds (with the problem, ephemerally, if there is one), then start the run.
 */
export async function handleGapCommand(
  deps: GapCommandDeps,
  args: { command: SlashCommand; ack: AckFn<string | RespondArguments>; respond: RespondFn },
): Promise<void> {
  const { command, ack, respond } = args;
  let input;
  try {
    authorize(deps.slack, command.channel_id, command.user_id);
    input = parseGapInput(command.text, deps.sources.customers.map((c) => c.name), (deps.now ?? (() => new Date()))());
  } catch (err) {
    deps.logger.info({ user: command.user_id, channel: command.channel_id, code: (err as BotError).code }, 'gap command refused');
    await ack(ephemeralUsage(err as BotError, { command: '/scorecard-gap', customerExample: deps.sources.customers[0]?.name }));
    return;
  }
  await ack();
  try {
    const outcome = await startGapRun(deps, input, { channel: command.channel_id, user: command.user_id });
    if (outcome.status === 'joined') {
      const link = outcome.run.rootTs ? permalink(outcome.run.channel, outcome.run.rootTs) : null;
      await respond({
        response_type: 'ephemeral',
        text: `An investigation of ${input.customer}, ${input.period.label} is already running${link ? `: follow it here ${link}` : ''}. I joined it instead of starting another.`,
      });
    }
  } catch (err) {
    deps.logger.error({ err, user: command.user_id, channel: command.channel_id }, 'could not start the gap run');
    const shown = isQueueDown(err)
      ? { message: 'The job queue (Redis) is unavailable, so nothing was started.', hint: 'Try again in a minute; if it persists, check the bot\'s Redis.' }
      : isNotInChannel(err)
        ? { message: 'I cannot post in this channel.', hint: 'Invite me first: /invite @scorecard-gap-bot' }
        : userFacing(err);
    await respond({ response_type: 'ephemeral', text: shown.hint ? `:warning: ${shown.message} ${shown.hint}` : `:warning: ${shown.message}` });
  }
}

function isQueueDown(err: unknown): boolean {
  const msg = String((err as Error)?.message ?? err);
  return /ECONNREFUSED|Connection is closed|Stream isn't writeable|enableOfflineQueue|Reached the max retries/i.test(msg);
}

function isNotInChannel(err: unknown): boolean {
  return /not_in_channel|channel_not_found/.test(String((err as Error)?.message ?? err));
}
