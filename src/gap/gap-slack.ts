import { randomUUID } from 'node:crypto';
import { BotError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { permalink } from '../slack/authorize.js';
import type { CommandRequest, CommandRoute } from '../slack/routes.js';
import { parseGapInput } from './core/gap-input.js';
import { runSubject } from './core/gap-flow.js';
import type { ActiveRun } from './jobs/run-state.js';
import type { UserRuns } from './jobs/user-runs.js';
import { startGapRun, type StartGapDeps } from './start-gap-run.js';
import { ephemeralUsage } from './views/usage-message.js';

export interface GapCommandDeps extends StartGapDeps {
  logger: Logger;
  /** Investigations one person may have in flight (slack.maxRunsPerUser). */
  maxRunsPerUser?: number;
  /** Runs in flight per person; without it there is no per-person limit. */
  userRuns?: UserRuns;
  now?: () => Date;
  /** How long a joining request waits for the other run's root message, to link to it (default 5 s). */
  joinLinkWaitMs?: number;
}

/** `/scorecard-gap <customer|all> <period>`, as the Slack adapter runs it (gated, errors answered for us). */
export function gapSlashCommand(deps: GapCommandDeps): CommandRoute {
  return {
    command: '/scorecard-gap',
    name: 'gap command',
    usage: (err) => ephemeralUsage(err, { command: '/scorecard-gap', customerExample: deps.sources.customers[0]?.name }),
    handle: (req) => handleGapCommand(deps, req),
  };
}

/**
 * Checks everything that can be checked without I/O and acks within Slack's 3 seconds (bad text is thrown before
 * the ack, so the adapter answers it with the usage), then starts the run or joins the one in flight.
 */
export async function handleGapCommand(deps: GapCommandDeps, { command, ack, respond }: CommandRequest): Promise<void> {
  const who = { user: command.user_id, channel: command.channel_id };
  const input = parseGapInput(command.text, deps.sources.customers.map((c) => c.name), (deps.now ?? (() => new Date()))());
  await ack();
  const runId = (deps.newRunId ?? randomUUID)();
  const subject = runSubject(input);
  let slot = false;
  try {
    if (deps.userRuns) {
      const limit = deps.maxRunsPerUser ?? 2;
      slot = await deps.userRuns.acquire(command.user_id, runId, subject, limit);
      // At the limit, asking for a run already in flight still gets its link: joining starts nothing.
      if (!slot && !(await deps.runState.get(subject))) {
        throw new BotError('TOO_MANY_RUNS', `You already have ${limit} investigation${limit === 1 ? '' : 's'} running, so I did not start another.`, {
          hint: `Wait for one to finish (at most ${limit} per person at once: slack.maxRunsPerUser).`,
        });
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
    throw err;
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
