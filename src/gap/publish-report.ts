import { missingIdsCsv } from '../render/csv.js';
import { impactTable } from '../render/tables.js';
import { backfillMessage, headlineMessage, findingsMessages, rootMessage, tableMessages, threadMessages } from '../slack/blocks/gap-blocks.js';
import type { SlackMessage } from '../slack/thread-publisher.js';
import type { GapJobDeps } from './gap-processors.js';
import type { RunMeta } from './gap-job-payloads.js';
import type { GapPlan } from './gap-service.js';
import { missingIds } from './missing-ids.js';
import type { GapReport } from './report.js';


/**
 * Posts a run's results into its thread. Each step is recorded once done, so a job re-run after a crash
 * (worker killed mid-post) resumes where it stopped instead of posting the report twice.
 */
async function step(deps: GapJobDeps, meta: RunMeta, name: string, act: () => Promise<string | void>): Promise<void> {
  if ((await deps.runState.postedStep(meta.runId, name)) !== null) return;
  const ts = await act();
  await deps.runState.markPosted(meta.runId, name, ts ?? 'done');
}

async function postAll(deps: GapJobDeps, meta: RunMeta, prefix: string, messages: SlackMessage[]): Promise<void> {
  for (const [i, msg] of messages.entries()) {
    await step(deps, meta, `${prefix}-${i}`, () => deps.publisher.postInThread(meta.channel, meta.rootTs, msg));
  }
}

export async function publishReport(deps: GapJobDeps, meta: RunMeta, plan: GapPlan, report: GapReport): Promise<void> {
  // The backfill button goes last, after the chart and the CSV it refers to.
  const backfill = backfillMessage(report);
  const messages = threadMessages(report);
  await postAll(deps, meta, 'msg', backfill ? messages.slice(0, -1) : messages);
  const renderChart = deps.renderChart;
  if (renderChart) {
    await step(deps, meta, 'chart', async () => {
      const png = await renderChart(report);
      await deps.publisher.uploadFile(meta.channel, meta.rootTs, {
        filename: `${report.customer}-${report.period.from.slice(0, 10)}-missing-rate.png`,
        title: `${report.customer}: daily missing rate, ${report.period.label}`,
        content: png,
      });
    });
  }
  if (report.populations.submitted.missing + report.populations.unsubmitted.missing > 0) {
    await step(deps, meta, 'csv', async () => {
      const csv = await missingIdsCsv(missingIds(deps.sources, plan));
      await deps.publisher.uploadFile(meta.channel, meta.rootTs, {
        filename: `${report.customer}-${report.period.from.slice(0, 10)}-missing-scorecards.csv`,
        title: `${report.customer}: missing scorecard IDs, ${report.period.label}`,
        content: csv,
      });
    });
  }
  if (backfill) await step(deps, meta, 'backfill', () => deps.publisher.postInThread(meta.channel, meta.rootTs, backfill));
  await deps.publisher.updateRoot(meta.channel, meta.rootTs, rootMessage({ status: 'done', report, requestedBy: meta.requestedBy }));
}

/** `all`: the report's "Scale of Impact" table, then each affected customer's headline and findings. */
export async function publishAllSummary(deps: GapJobDeps, meta: RunMeta, reports: GapReport[], failed: string[]): Promise<void> {
  const messages: SlackMessage[] = [
    ...tableMessages(impactTable(reports), { tableBlocks: true, subject: `All customers, ${meta.periodLabel}` }),
    ...reports.flatMap((r) => (r.verdict === 'no_gap' ? [headlineMessage(r)] : [headlineMessage(r), ...findingsMessages(r)])),
  ];
  if (failed.length > 0) {
    messages.push({ text: `Could not investigate: ${failed.join(', ')} (see the messages above for why).` });
  }
  await postAll(deps, meta, 'all', messages);
  const affected = reports.filter((r) => r.verdict !== 'no_gap').map((r) => r.customer);
  const text =
    affected.length === 0
      ? `No gap in any of ${reports.length} customers, ${meta.periodLabel}.`
      : `Scorecards missing for ${affected.length} of ${reports.length} customers (${affected.join(', ')}), ${meta.periodLabel}. Details in the thread.`;
  await deps.publisher.updateRoot(meta.channel, meta.rootTs, {
    text: failed.length ? `${text} Failed: ${failed.join(', ')}.` : text,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `${affected.length ? ':red_circle:' : ':large_green_circle:'} ${failed.length ? `${text} Failed: ${failed.join(', ')}.` : text}` } }],
  });
}
