import type { OpsStore } from '../ops/ops-store.js';
import type { Logger } from '../shared/logger.js';
import { permalink } from '../slack/authorize.js';
import type { ThreadPublisher } from '../slack/thread-publisher.js';
import { failureMessage, progressMessage, resultMessage } from './backfill-blocks.js';
import type { BackfillProgress, BackfillResult } from './job.js';
import { repairedRoot, requestButtonDone } from './report-repair.js';
import type { BackfillRequest, BackfillStore } from './store.js';

// The worker's side of the thread: one progress message per request, edited in place at most once a second
// (the newest progress wins; older ones are dropped), then the result with before → after. The progress message's
// ts is kept in the audit log ('progress_posted'), so a worker that resumes another's job edits the same message.

export interface BackfillSlackReporter {
  onProgress(requestId: string, p: BackfillProgress): void;
  onFinished(requestId: string, r: BackfillResult): void;
  /** The job failed for good outside its chunks; the request is already marked failed with `error`. */
  onFailed(requestId: string, error: string): void;
  /** Resolves when every queued Slack call has been made (tests, shutdown). */
  idle(): Promise<void>;
}

interface RunState {
  chain: Promise<void>;
  req: BackfillRequest | null;
  ts: string | null;
  latest: BackfillProgress | null;
  lastEditAt: number;
}

export function backfillSlackReporter(deps: {
  store: BackfillStore;
  publisher: ThreadPublisher;
  logger: Logger;
  /** The gap runs (ops database): the report a backfill came from gets its root and button edited after a repair. */
  runs?: Pick<OpsStore, 'getRun'>;
  minIntervalMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}): BackfillSlackReporter {
  const minInterval = deps.minIntervalMs ?? 1000;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const runs = new Map<string, RunState>();

  function stateOf(id: string): RunState {
    let s = runs.get(id);
    if (!s) {
      s = { chain: Promise.resolve(), req: null, ts: null, latest: null, lastEditAt: -Infinity };
      runs.set(id, s);
    }
    return s;
  }

  function enqueue(id: string, what: string, fn: (s: RunState) => Promise<void>): void {
    const s = stateOf(id);
    s.chain = s.chain.then(() => fn(s)).catch((err: unknown) => deps.logger.warn({ err, requestId: id, what }, 'backfill Slack update failed'));
  }

  /** The request and its progress message: found in the audit log, or posted now. */
  async function ensureMessage(id: string, s: RunState): Promise<BackfillRequest | null> {
    s.req ??= await deps.store.get(id);
    const req = s.req;
    if (!req || !req.threadTs) return req;
    if (s.ts === null) {
      const posted = (await deps.store.audit(id)).filter((e) => e.action === 'progress_posted').pop();
      const ts = (posted?.detail as { ts?: unknown } | null)?.ts;
      if (typeof ts === 'string' && ts !== '') s.ts = ts;
    }
    if (s.ts === null) {
      s.ts = await deps.publisher.postInThread(req.channel, req.threadTs, progressMessage(req, { phase: 'running', progress: s.latest ?? emptyProgress() }));
      s.lastEditAt = now();
      await deps.store.appendAudit({ requestId: id, actor: 'bot', action: 'progress_posted', channel: req.channel, planHash: req.planHash, detail: { ts: s.ts } });
    }
    return req;
  }

  /** The report this backfill came from: its root says it was repaired, its Request backfill button links here. */
  async function markReportRepaired(req: BackfillRequest, r: BackfillResult, progressTs: string): Promise<void> {
    const run = req.sourceRunId ? await deps.runs?.getRun(req.sourceRunId) : null;
    if (!run?.rootTs) return;
    const link = permalink(req.channel, progressTs);
    const root = await deps.publisher.getMessage(run.channel, run.rootTs);
    if (root) await deps.publisher.updateRoot(run.channel, run.rootTs, repairedRoot(root, req.id, r, link));
    const thread = req.threadTs ?? run.rootTs;
    const button = (await deps.publisher.threadReplies(run.channel, thread)).find((m) => m.tag?.step === 'backfill' && m.tag.runId === run.runId);
    if (button) await deps.publisher.updateRoot(run.channel, button.ts, requestButtonDone(req.id, link, r));
  }

  return {
    onProgress(id, p) {
      const s = stateOf(id);
      const scheduled = s.latest !== null;
      s.latest = p;
      if (scheduled) return; // an edit is already queued; it will show this newer progress
      enqueue(id, 'progress', async (st) => {
        const wait = st.lastEditAt + minInterval - now();
        if (wait > 0) await sleep(wait);
        const progress = st.latest;
        st.latest = null;
        if (!progress) return;
        const req = await ensureMessage(id, st);
        if (!req || !st.ts) return;
        // Cancelled meanwhile: say it is stopping, and offer no Cancel button any more.
        const status = await deps.store.status(id);
        const fresh = status === 'cancelling' ? await deps.store.get(id) : null;
        const msg =
          status === 'cancelling'
            ? progressMessage(req, { phase: 'cancelling', by: fresh?.cancelledBy ?? '?', progress })
            : progressMessage(req, { phase: 'running', progress });
        await deps.publisher.updateRoot(req.channel, st.ts, msg);
        st.lastEditAt = now();
      });
    },
    onFinished(id, r) {
      enqueue(id, 'result', async (st) => {
        st.latest = null;
        if (r.status === 'not_started') return; // cancelled or decided before it ran: the thread already says so
        const req = await ensureMessage(id, st);
        if (!req) return;
        const final = await deps.store.get(id);
        // Finished before a late cancel: the cancel is named in the result, not as a stop.
        const cancelledBy = r.finishedBeforeCancelBy ? null : (final?.cancelledBy ?? null);
        const wait = st.lastEditAt + minInterval - now();
        if (wait > 0) await sleep(wait); // the last edit keeps the pace too
        if (st.ts) await deps.publisher.updateRoot(req.channel, st.ts, progressMessage(req, { phase: 'ended', result: r, cancelledBy }));
        if (req.threadTs) await deps.publisher.postInThread(req.channel, req.threadTs, resultMessage(req, r, cancelledBy));
        if ((r.status === 'done' || r.status === 'done_with_remainder') && final?.sourceRunId && st.ts) {
          await markReportRepaired(final, r, st.ts).catch((err: unknown) => deps.logger.warn({ err, requestId: id }, 'backfill: could not mark the report repaired'));
        }
        runs.delete(id);
      });
    },
    onFailed(id, error) {
      enqueue(id, 'failed', async (st) => {
        st.latest = null;
        const req = await ensureMessage(id, st);
        if (!req) return;
        if (st.ts) await deps.publisher.updateRoot(req.channel, st.ts, progressMessage(req, { phase: 'failed', error }));
        if (req.threadTs) await deps.publisher.postInThread(req.channel, req.threadTs, failureMessage(req, error));
        runs.delete(id);
      });
    },
    async idle() {
      for (;;) {
        const chains = [...runs.values()].map((s) => s.chain);
        await Promise.all(chains);
        if ([...runs.values()].every((s, i) => s.chain === chains[i])) return;
      }
    },
  };
}

function emptyProgress(): BackfillProgress {
  return { chunksDone: 0, chunks: 0, historicRows: 0, clickhouseRows: 0, rowsPerSecond: 0, etaSeconds: null };
}
