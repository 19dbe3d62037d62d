import { Job, Queue, type ConnectionOptions } from 'bullmq';
import { QUEUES, type RunMeta } from '../core/gap-job-payloads.js';

// Progress is read from the flow itself: the windows a report has processed (BullMQ records each finished child
// once in its parent), so a retried or re-run window is never counted twice.

export interface FlowQueues {
  report: Queue;
  all: Queue;
  close(): Promise<void>;
}

export function openFlowQueues(connection: ConnectionOptions, prefix: string): FlowQueues {
  const report = new Queue(QUEUES.report, { connection, prefix });
  const all = new Queue(QUEUES.all, { connection, prefix });
  return {
    report,
    all,
    async close() {
      await Promise.all([report.close(), all.close()]);
    },
  };
}

/** Finished windows of one report: its processed children, or all of its windows once it has completed (its
 *  children's results are deleted then). null when the report is gone (the queue was reset). */
async function processedOf(queue: Queue, jobId: string): Promise<number | null> {
  const job = await Job.fromId(queue, jobId);
  if (!job) return null;
  if ((await job.getState()) === 'completed') return ((job.data as { plan?: { windows?: unknown[] } }).plan?.windows ?? []).length;
  const { processed } = await job.getDependenciesCount({ processed: true });
  return processed ?? 0;
}

/** Windows of the run whose results are in (one report's, or every customer's in an `all` run); null when the
 *  run's jobs are gone. */
export async function windowsDone(queues: FlowQueues, meta: RunMeta): Promise<number | null> {
  if (!meta.subject.startsWith('all|')) return processedOf(queues.report, meta.runId);
  const all = await Job.fromId(queues.all, meta.runId);
  if (!all) return null;
  const customers = ((all.data as { customers?: unknown }).customers ?? []) as string[];
  const counts = await Promise.all(customers.map((c) => processedOf(queues.report, `${meta.runId}-${c}`)));
  return counts.reduce<number>((a, b) => a + (b ?? 0), 0);
}

/** Customers of an `all` run whose reports are in (the `all` job's processed children), out of all of them; null
 *  for a single-customer run or when the run's jobs are gone. */
export async function customersDone(queues: FlowQueues, meta: RunMeta): Promise<{ done: number; total: number } | null> {
  if (!meta.subject.startsWith('all|')) return null;
  const all = await Job.fromId(queues.all, meta.runId);
  if (!all) return null;
  const total = (((all.data as { customers?: unknown }).customers ?? []) as string[]).length;
  const { processed } = await all.getDependenciesCount({ processed: true });
  return { done: Math.min(processed ?? 0, total), total };
}

/** Once a parent (report or `all`) has completed, its children's results (its `processed` hash) have served
 *  their purpose: the parent's own result is what is kept. */
export async function dropChildResults(queue: Queue, parentJobId: string): Promise<void> {
  const client = await queue.client;
  await client.del(queue.toKey(`${parentJobId}:processed`));
}
