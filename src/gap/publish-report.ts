import { backfillMessage, rootMessage, threadMessages } from './views/gap-blocks.js';
import { allThread } from './views/all-thread.js';
import type { ThreadReply, UploadedFile } from '../slack/thread-publisher.js';
import type { OutgoingMessage } from '../slack/slack-message.js';
import type { GapJobDeps } from './gap-job-deps.js';
import { runThread, type RunMeta } from './core/gap-job-payloads.js';
import type { GapPlan } from './gap-service.js';
import { CSV_GZIP_ABOVE_ROWS, missingIdsCsvFile } from './missing-ids.js';
import { csvTitle, impactCsv } from './views/csv.js';
import type { GapReport } from './core/report.js';


/**
 * Posts a run's results into its thread exactly once. Each post carries its step in Slack message metadata and is
 * recorded in Redis once done; a job that may have posted before (a retry, or a re-run after its worker died
 * between posting and recording) first looks for the step in the thread itself.
 */
class Steps {
  private history: Promise<ThreadReply[] | null> | null = null;

  constructor(
    private readonly deps: GapJobDeps,
    private readonly meta: RunMeta,
    private readonly mayHavePosted: boolean,
  ) {}

  private async foundInThread(name: string, fileTitle?: string): Promise<string | null> {
    if (!this.mayHavePosted) return null;
    this.history ??= this.deps.publisher.threadReplies(this.meta.channel, runThread(this.meta)).catch((err: unknown) => {
      // Without channels:history we cannot look; posting again beats not posting at all.
      this.deps.logger.warn({ runId: this.meta.runId, err: err instanceof Error ? err.message : String(err) }, 'could not read the thread to avoid a duplicate post');
      return null;
    });
    const replies = (await this.history) ?? [];
    const hit = replies.find((r) => (r.tag?.runId === this.meta.runId && r.tag.step === name) || (fileTitle !== undefined && r.fileTitles.includes(fileTitle)));
    return hit?.ts ?? null;
  }

  async run(name: string, act: () => Promise<string | void>, fileTitle?: string): Promise<void> {
    const { runState } = this.deps;
    if ((await runState.postedStep(this.meta.runId, name)) !== null) return;
    const ts = (await this.foundInThread(name, fileTitle)) ?? (await act());
    await runState.markPosted(this.meta.runId, name, ts ?? 'done');
  }

  async postAll(prefix: string, messages: OutgoingMessage[]): Promise<void> {
    for (const [i, msg] of messages.entries()) {
      const name = `${prefix}-${i}`;
      await this.run(name, () => this.deps.publisher.postInThread(this.meta.channel, runThread(this.meta), msg, { runId: this.meta.runId, step: name }));
    }
  }
}

export async function publishReport(deps: GapJobDeps, meta: RunMeta, plan: GapPlan, report: GapReport, mayHavePosted = true): Promise<void> {
  const steps = new Steps(deps, meta, mayHavePosted);
  // The backfill button goes last, after the chart and the CSV it refers to.
  const backfill = backfillMessage(report, meta.runId);
  const messages = threadMessages(report, { runId: meta.runId });
  await steps.postAll('msg', backfill ? messages.slice(0, -1) : messages);
  // The chart and the CSV (missing and partial scorecards; its state column tells which) in one upload: one message.
  const { submitted, unsubmitted } = report.populations;
  const listed = submitted.missing + unsubmitted.missing + submitted.partial + unsubmitted.partial;
  const renderChart = deps.renderChart;
  const maxRows = deps.csvMaxRows ?? Infinity;
  const chartTitle = `${report.customer}: daily missing rate, ${report.period.label}`;
  const csvTitleText = listed > 0 ? csvTitle(report, listed, maxRows) : null;
  if (renderChart || csvTitleText !== null) {
    await steps.run(
      'files',
      async () => {
        const day = report.period.from.slice(0, 10);
        const files: UploadedFile[] = [];
        if (renderChart) files.push({ filename: `${report.customer}-${day}-missing-rate.png`, title: chartTitle, content: await renderChart(report) });
        // Streamed to a temporary file and uploaded from it: memory holds a cursor batch, not the period's IDs. The
        // upload itself is read into memory by the Slack SDK: bounded by slack.csvMaxRows, and gzipped when large.
        const csv = csvTitleText === null ? null : await missingIdsCsvFile(deps.sources, plan, { maxRows, gzip: Math.min(listed, maxRows) > CSV_GZIP_ABOVE_ROWS });
        try {
          if (csv && csvTitleText !== null) files.push({ filename: `${report.customer}-${day}-missing-scorecards.csv${csv.gzipped ? '.gz' : ''}`, title: csvTitleText, content: { path: csv.path } });
          await deps.publisher.uploadFiles(meta.channel, runThread(meta), files);
        } finally {
          await csv?.remove();
        }
      },
      renderChart ? chartTitle : (csvTitleText ?? undefined),
    );
  }
  if (backfill) await steps.run('backfill', () => deps.publisher.postInThread(meta.channel, runThread(meta), backfill, { runId: meta.runId, step: 'backfill' }));
  await deps.publisher.updateRoot(meta.channel, meta.rootTs, rootMessage({ status: 'done', report, requestedBy: meta.requestedBy }));
}

/** `all`: the impact table, a card per affected customer, the healthy ones in one line (views/all-thread.ts). */
export async function publishAllSummary(deps: GapJobDeps, meta: RunMeta, reports: GapReport[], failed: string[], mayHavePosted = true): Promise<void> {
  const thread = allThread(reports, failed, meta);
  const steps = new Steps(deps, meta, mayHavePosted);
  await steps.postAll('all', thread.messages);
  if (thread.csvNeeded) {
    const title = `All customers, ${meta.periodLabel}: every customer's numbers`;
    await steps.run('all-csv', async () => {
      await deps.publisher.uploadFile(meta.channel, runThread(meta), { filename: `all-customers-${meta.periodLabel.toLowerCase().replace(/\s+/g, '-')}.csv`, title, content: impactCsv(reports) });
    }, title);
  }
  await deps.publisher.updateRoot(meta.channel, meta.rootTs, thread.root);
}
