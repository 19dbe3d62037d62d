import { impactTable } from './views/tables.js';
import { backfillMessage, customerCard, rootMessage, tableMessages, threadMessages } from './views/gap-blocks.js';
import { packMessages } from '../slack/pack-messages.js';
import { contextLine, escapeMrkdwn, mention, mrkdwnSection } from '../slack/mrkdwn.js';
import type { ThreadReply, UploadedFile } from '../slack/thread-publisher.js';
import type { OutgoingMessage } from '../slack/slack-message.js';
import type { GapJobDeps } from './gap-job-deps.js';
import { runThread, type RunMeta } from './core/gap-job-payloads.js';
import type { GapPlan } from './gap-service.js';
import { CSV_GZIP_ABOVE_ROWS, missingIdsCsvFile } from './missing-ids.js';
import { csvTitle, impactCsv } from './views/csv.js';
import { SLACK_LIMITS } from '../slack/limits.js';
import { releaseCorrelationMessages } from './what-changed/render-slack.js';
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

/** Customer cards (headline, findings, changes) at most in an `all` thread; the rest are in its table and CSV. */
export const ALL_MAX_CARDS = 20;

const isAffected = (r: GapReport): boolean => r.verdict === 'gap' || r.verdict === 'clickhouse_gap_only' || r.verdict === 'partial_only';

export async function publishAllSummary(deps: GapJobDeps, meta: RunMeta, reports: GapReport[], failed: string[], mayHavePosted = true): Promise<void> {
  const subject = `All customers, ${meta.periodLabel}`;
  const table = impactTable(reports, { maxRows: SLACK_LIMITS.tableRows });
  const weight = (r: GapReport): number => r.populations.submitted.missing + r.populations.unsubmitted.missing + r.populations.submitted.partial + r.populations.unsubmitted.partial;
  const affected = reports.filter(isAffected).sort((a, b) => weight(b) - weight(a));
  const healthy = reports.filter((r) => r.verdict === 'no_gap').map((r) => r.customer);
  const cards = affected.slice(0, ALL_MAX_CARDS);
  // One message for the tables: the impact table as a Slack table, the release correlation (when change sources are
  // configured) as code under it (Slack draws one table a message).
  const impact = tableMessages(table, { tableBlocks: true, subject });
  const messages: OutgoingMessage[] = [
    ...packMessages([...impact, ...releaseCorrelationMessages(cards, subject, { tableBlocks: false })], impact[0]?.text ?? subject),
    ...cards.flatMap(customerCard),
    // Healthy customers in one line, not a card each; customers without scorecards are in the table's note.
    ...(healthy.length > 0 ? [{ text: `No gap: ${healthy.length <= 30 ? healthy.join(', ') : `${healthy.slice(0, 30).join(', ')} and ${healthy.length - 30} more (in the CSV)`}.` }] : []),
    ...(affected.length > cards.length ? [{ text: `${affected.length - cards.length} more customers with missing scorecards are in the table and the CSV; run /scorecard-gap <customer> ${meta.periodLabel.toLowerCase().replace(/\s+/g, '-')} for one of them.` }] : []),
  ];
  if (failed.length > 0) {
    messages.push({ text: `Could not investigate: ${failed.join(', ')} (see the messages above for why).` });
  }
  const steps = new Steps(deps, meta, mayHavePosted);
  await steps.postAll('all', messages);
  // Every customer's numbers as a CSV when the thread shows only some of them.
  if (table.rows.length < reports.length + 1 || affected.length > cards.length || healthy.length > 30) {
    const title = `${subject}: every customer's numbers`;
    await steps.run('all-csv', async () => {
      await deps.publisher.uploadFile(meta.channel, runThread(meta), { filename: `all-customers-${meta.periodLabel.toLowerCase().replace(/\s+/g, '-')}.csv`, title, content: impactCsv(reports) });
    }, title);
  }
  const noData = reports.filter((r) => r.verdict === 'no_data').length;
  const tail = noData > 0 ? ` ${noData} had no scorecards.` : '';
  const text =
    affected.length === 0
      ? `No gap in any of ${reports.length - noData} customers with scorecards, ${meta.periodLabel}.${tail}`
      : `Scorecards missing for ${affected.length} of ${reports.length} customers (${affected.slice(0, 10).map((r) => r.customer).join(', ')}${affected.length > 10 ? `, and ${affected.length - 10} more` : ''}), ${meta.periodLabel}.${tail} Details in the thread.`;
  const full = failed.length ? `${text} Failed: ${failed.join(', ')}.` : text;
  await deps.publisher.updateRoot(meta.channel, meta.rootTs, {
    text: full,
    // Who asked, in a context line as on a single customer's root.
    blocks: [mrkdwnSection(`${affected.length ? ':red_circle:' : ':large_green_circle:'} ${escapeMrkdwn(full)}`), contextLine(`Requested by ${mention(meta.requestedBy)}`)],
  });
}
