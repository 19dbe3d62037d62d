import { randomUUID } from 'node:crypto';
import type { FlowProducer } from 'bullmq';
import type { GapSettings } from '../config/schema.js';
import type { OpsStore } from '../ops/ops-store.js';
import type { CustomerSources } from '../sources/customer-sources.js';
import type { ThreadPublisher } from '../slack/thread-publisher.js';
import type { GapInput } from './core/gap-input.js';
import { buildGapFlow, retryOptions, runSubject } from './core/gap-flow.js';
import type { RunMeta } from './core/gap-job-payloads.js';
import { planGap, withProbe } from './gap-service.js';
import { mapPool } from '../shared/map-pool.js';

/** Probes at once when an `all` run starts; each waits for its server's connection budget anyway. */
const PROBE_CONCURRENCY = 8;
import type { ActiveRun, RunState } from './jobs/run-state.js';
import { rootMessage } from './views/gap-blocks.js';

// The I/O half of a run's start (the flow itself is built by the pure buildGapFlow in gap-flow.ts).

export interface StartGapDeps {
  sources: CustomerSources;
  settings: GapSettings;
  flow: FlowProducer;
  runState: RunState;
  publisher: ThreadPublisher;
  ops: OpsStore | null;
  newRunId?: () => string;
  /** The clock the run's settle cutoff is read from (tests inject one). */
  now?: () => Date;
}

export type StartOutcome = { status: 'started'; runId: string; rootTs: string } | { status: 'joined'; run: ActiveRun };

/**
 * Starts a run: claim (customer, period) so a second request joins instead of duplicating, post the root
 * message (slash commands cannot post into threads), record the run, enqueue the flow.
 */
export async function startGapRun(deps: StartGapDeps, input: GapInput, who: { channel: string; user: string; threadTs?: string }): Promise<StartOutcome> {
  const runId = (deps.newRunId ?? randomUUID)();
  const subject = runSubject(input);
  const held = await deps.runState.claim(subject, { runId, channel: '', rootTs: '' });
  if (held) return { status: 'joined', run: held };
  let posted: { channel: string; ts: string; display: string } | null = null;
  let recorded = false;
  try {
    const customers = input.customer === 'all' ? deps.sources.customers.map((c) => c.name) : [input.customer];
    // One instant for the run: its settle cutoff is decided here and carried in every job of it.
    const plannedAt = (deps.now ?? (() => new Date()))();
    const display = input.customer === 'all' ? `all ${customers.length} customers` : input.customer;
    const rootTs = await deps.publisher.postRoot(
      who.channel,
      rootMessage({ status: 'queued', customer: display, periodLabel: input.period.label, requestedBy: who.user }),
      who.threadTs,
    );
    posted = { channel: who.channel, ts: rootTs, display };
    // One probe per customer before any window is queued: a customer without scorecards in the range gets no
    // windows (in a fleet, most). A probe that fails leaves the plan whole: its windows will say what is wrong.
    const plans = await mapPool(
      customers,
      async (c) => {
        const plan = planGap(deps.sources, deps.settings, c, input.period, plannedAt);
        return withProbe(deps, plan).catch(() => plan);
      },
      { concurrency: PROBE_CONCURRENCY, attempts: 1 },
    );
    await deps.runState.update(subject, { runId, channel: who.channel, rootTs });
    const meta: RunMeta = {
      runId,
      subject,
      display,
      channel: who.channel,
      rootTs,
      ...(who.threadTs ? { threadTs: who.threadTs } : {}),
      requestedBy: who.user,
      periodLabel: input.period.label,
      totalWindows: plans.reduce((n, p) => n + p.windows.length, 0),
      startedAt: Date.now(),
    };
    await deps.ops?.recordRun({
      runId,
      customer: input.customer,
      periodLabel: input.period.label,
      periodFrom: input.period.from.toISOString(),
      periodTo: input.period.to.toISOString(),
      requestedBy: who.user,
      channel: who.channel,
      rootTs,
    });
    recorded = true;
    await deps.flow.add(buildGapFlow(meta, plans, input.customer === 'all', retryOptions(deps.settings)));
    return { status: 'started', runId, rootTs };
  } catch (err) {
    await deps.runState.release(subject, runId).catch(() => undefined);
    if (recorded) await deps.ops?.finishRun(runId, { status: 'failed', error: 'could not be queued' }).catch(() => undefined);
    // The root message must not say "queued" forever when nothing was queued.
    if (posted) {
      await deps.publisher
        .updateRoot(posted.channel, posted.ts, rootMessage({ status: 'failed', customer: posted.display, periodLabel: input.period.label, message: 'The run could not be queued; nothing was started.', requestedBy: who.user }))
        .catch(() => undefined);
    }
    throw err;
  }
}
