import { UnrecoverableError, type Job } from 'bullmq';
import { logDetail, userFacingJobError } from './jobs/job-error.js';
import { errorMessage, rootMessage } from './views/gap-blocks.js';
import { QUEUES, runMetaSchema, runThread } from './core/gap-job-payloads.js';
import { finishRun } from './gap-processors.js';
import type { WorkerDeps } from './gap-job-deps.js';
import { describeCause } from '../shared/user-messages.js';


/**
 * The worker's failure path (single destination for job errors): once a job has failed for good, say so in the
 * thread (which customer and window, what to do) with the user-facing message only; the log gets one masked
 * line. A failure that ends the run (a single-customer run, or the `all` job itself) also marks the root
 * message, the ops row and the claim, and cancels the windows still queued. One customer failing inside an
 * `all` run is posted but does not end it.
 */
export async function onJobFailedForGood(deps: WorkerDeps, job: Job, err: Error): Promise<void> {
  const final = err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
  if (!final) return;
  const data = job.data as { meta?: unknown; plan?: { customer?: string }; window?: { from: string; to: string } };
  const parsed = runMetaSchema.safeParse(data.meta);
  const customer = data.plan?.customer;
  deps.logger.error({ jobId: job.id, queue: job.queueName, runId: parsed.success ? parsed.data.runId : undefined, customer, window: data.window?.from, ...logDetail(err) }, 'job failed for good');
  if (!parsed.success) return;
  const meta = parsed.data;
  const partOfAll = meta.subject.startsWith('all|');
  const endsRun = !partOfAll || job.queueName === QUEUES.all;
  const scope = endsRun ? 'run' : (customer ?? 'run');
  await deps.runState.cancel(meta.runId, scope).catch(() => undefined);
  if (!(await deps.runState.once(meta.runId, `failed-${scope}`))) return;

  const shown = userFacingJobError(err);
  // Every cause of the table carries its own hint; a bug's hint names the job to quote.
  const hint = shown.hint ?? describeCause(shown.cause, { ref: `job ${job.id}` }).hint;
  const window = data.window ? data.window.from.slice(0, 10) : undefined;
  await deps.publisher
    .postInThread(meta.channel, runThread(meta), errorMessage({ customer, window, message: `${shown.message} (job ${job.id})`, hint }))
    .catch((e: unknown) => deps.logger.error({ runId: meta.runId, ...logDetail(e) }, 'could not post the failure'));
  if (!endsRun) return;
  await deps.runState.markEnded(meta.runId).catch(() => undefined);
  await deps.progress.forget(meta.runId);
  await deps.publisher
    .updateRoot(meta.channel, meta.rootTs, rootMessage({ status: 'failed', customer: meta.display, periodLabel: meta.periodLabel, message: shown.message, hint, window, requestedBy: meta.requestedBy }))
    .catch((e: unknown) => deps.logger.warn({ runId: meta.runId, ...logDetail(e) }, 'could not mark the root message failed'));
  await finishRun(deps, meta, { status: 'failed', error: shown.message });
}
