import { randomUUID } from 'node:crypto';
import type { AckFn, RespondArguments, RespondFn, SlashCommand } from '@slack/bolt';
import { BotError, userFacing } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { ActiveRun } from './jobs/run-state.js';
import type { UserRuns } from './jobs/user-runs.js';
import { authorize, permalink, type SlackAccess } from '../slack/authorize.js';
import { ephemeralNotice, ephemeralUsage } from '../slack/error-messages.js';
import { parseGapInput } from './gap-input.js';
import { runSubject, startGapRun, type StartGapDeps } from './gap-flow.js';

export interface GapCommandDeps extends StartGapDeps {
  slack: SlackAccess & { maxRunsPerUser?: number };
  logger: Logger;
  /** Runs in flight per person; without it there is no per-person limit. */
  userRuns?: UserRuns;
  now?: () => Date;
  /** How long a joining request waits for the other run's root message, to link to it (default 5 s). */
  joinLinkWaitMs?: number;
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
  const who = { user: command.user_id, channel: command.channel_id };
  try {
    // First, so nothing about the configured customers is said outside allowed channels.
    authorize(deps.slack, command.channel_id, command.user_id);
  } catch (err) {
    deps.logger.info({ ...who, code: (err as BotError).code, reason: (err as BotError).userMessage }, 'gap command refused');
    await ack(ephemeralNotice(err as BotError));
    return;
  }
  let input;
  try {
    input = parseGapInput(command.text, deps.sources.customers.map((c) => c.name), (deps.now ?? (() => new Date()))());
  } catch (err) {
    deps.logger.info({ ...who, code: (err as BotError).code }, 'gap command refused');
    await ack(ephemeralUsage(err as BotError, { command: '/scorecard-gap', customerExample: deps.sources.customers[0]?.name }));
    return;
  }
  await ack();
  const runId = (deps.newRunId ?? randomUUID)();
  const subject = runSubject(input);
  let slot = false;
  try {
    if (deps.userRuns) {
      const limit = deps.slack.maxRunsPerUser ?? 2;
      slot = await deps.userRuns.acquire(command.user_id, runId, subject, limit);
      // At the limit, asking for a run already in flight still gets its link: joining starts nothing.
      if (!slot && !(await deps.runState.get(subject))) {
        deps.logger.info({ ...who, code: 'TOO_MANY_RUNS', limit }, 'gap command refused');
        await respond(
          ephemeralNotice({
            message: `You already have ${limit} investigation${limit === 1 ? '' : 's'} running, so I did not start another.`,
            hint: `Wait for one to finish (at most ${limit} per person at once: slack.maxRunsPerUser).`,
          }),
        );
        return;
      }
    }
    const outcome = await startGapRun({ ...deps, newRunId: () => runId }, input, who);
    if (outcome.status === 'started') {
      deps.logger.info(
        { ...who, runId, customer: input.customer, period: input.period.label, from: input.period.from.toISOString(), to: input.period.to.toISOString() },
        'gap run started',
      );
      return;
    }
    // Joining costs nothing: the slot goes back.
    if (slot) await deps.userRuns?.release(command.user_id, runId, subject);
    const run = await awaitRootMessage(deps, subject, outcome.run);
    const link = run.rootTs ? permalink(run.channel, run.rootTs) : null;
    deps.logger.info({ ...who, runId: run.runId, customer: input.customer, period: input.period.label }, 'gap command joined a running investigation');
    await respond({
      response_type: 'ephemeral',
      text: `An investigation of ${input.customer}, ${input.period.label} is already running${link ? `: follow it here ${link}` : ''}. I joined it instead of starting another.`,
    });
  } catch (err) {
    if (slot) await deps.userRuns?.release(command.user_id, runId, subject).catch(() => undefined);
    deps.logger.error({ err, ...who }, 'could not start the gap run');
    const shown = isQueueDown(err)
      ? { message: 'The job queue (Redis) is unavailable, so nothing was started.', hint: 'Try again in a minute; if it persists, check the bot\'s Redis.' }
      : isNotInChannel(err)
        ? { message: 'I cannot post in this channel.', hint: 'Invite me first: /invite @scorecard-gap-bot' }
        : userFacing(err);
    await respond({ response_type: 'ephemeral', text: shown.hint ? `:warning: ${shown.message} ${shown.hint}` : `:warning: ${shown.message}` });
  }
}

/**
 * A run claimed at the same instant holds a placeholder until its root message is posted. The response URL stays
 * valid for 30 minutes, so wait briefly for the real message and link to it.
 */
async function awaitRootMessage(deps: GapCommandDeps, subject: string, held: ActiveRun): Promise<ActiveRun> {
  let run = held;
  const deadline = Date.now() + (deps.joinLinkWaitMs ?? 5000);
  while (!run.rootTs && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    const next = await deps.runState.get(subject).catch(() => null);
    if (!next) break;
    run = next;
  }
  return run;
}

function isQueueDown(err: unknown): boolean {
  const msg = String((err as Error)?.message ?? err);
  return /ECONNREFUSED|Connection is closed|Stream isn't writeable|enableOfflineQueue|Reached the max retries/i.test(msg);
}

function isNotInChannel(err: unknown): boolean {
  return /not_in_channel|channel_not_found/.test(String((err as Error)?.message ?? err));
}
