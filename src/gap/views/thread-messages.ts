import type { ActionsBlock, KnownBlock, SectionBlock } from '@slack/types';
import { z } from 'zod';
import type { GapReport } from '../core/report.js';
import { findingSentence, storySentence, verdictSentence } from './finding-sentences.js';
import { clickhouseInFlightClause, inFlightSentence, partialSentence, partialTotal } from './settle-sentences.js';
import { formatDateTime, formatDuration, formatInt, formatPeriodRange, formatRatio, plural, truncate } from '../../shared/format.js';
import { dailyTable, hourlyTable, monthlyTable, timelineTable } from './tables.js';
import { SLACK_LIMITS } from '../../slack/limits.js';
import type { SlackMessage } from '../../slack/slack-message.js';
import { contextLine, escapeMrkdwn, mrkdwnSection, packLines } from '../../slack/mrkdwn.js';
import { evenChunks, type TableRenderOptions } from '../../slack/table-blocks.js';
import { packMessages, tablesMessage } from '../../slack/pack-messages.js';
import { changesMessages } from '../what-changed/render-slack.js';

// The thread under the root message, in order: the headline with the findings; what changed around then; the
// tables; (the chart and the CSV, uploaded by the job); the backfill button when something is missing. Each
// element is one chat.postMessage; a part only spills into a second message when it breaks Slack's limits.

export const BACKFILL_ACTION_ID = 'backfill_request';

export const backfillValueSchema = z.object({ runId: z.string().min(1).max(100) }).strict();
export type BackfillValue = z.infer<typeof backfillValueSchema>;

/** The button's value: the gap run's ID (`{"runId": ...}`); the scope is looked up server-side from the run record. */
export function backfillValue(runId: string): string {
  const value: BackfillValue = { runId };
  return JSON.stringify(value);
}

/** Reads a clicked button's value back; throws on anything else (including the scope-carrying buttons of old reports). */
export function parseBackfillValue(value: string): BackfillValue {
  return backfillValueSchema.parse(JSON.parse(value));
}

function subject(report: GapReport): string {
  return `${report.customer} ${report.period.label}`;
}

function populationField(label: string, c: { total: number; missing: number; partial: number; inFlight: number }): { type: 'mrkdwn'; text: string } {
  const partial = c.partial > 0 ? `\n${formatInt(c.partial)} partial (${formatRatio(c.partial, c.total)})` : '';
  const inFlight = c.inFlight > 0 ? `\n${formatInt(c.inFlight)} in flight, not judged` : '';
  return { type: 'mrkdwn', text: `*${label}*\n${formatInt(c.missing)} of ${formatInt(c.total)} missing (${formatRatio(c.missing, c.total)})${partial}${inFlight}` };
}

export function headlineMessage(report: GapReport): SlackMessage {
  const { submitted, unsubmitted } = report.populations;
  const { calibration, nonOriginal } = report.excluded;
  const clickhouse = !report.clickhouse.configured
    ? 'not configured'
    : !report.clickhouse.available
      ? `unavailable (${escapeMrkdwn(report.clickhouse.error ?? 'no reason given')}): only historic was checked`
      : `${formatInt(submitted.clickhouseMissing ?? 0)} submitted, ${formatInt(unsubmitted.clickhouseMissing ?? 0)} unsubmitted missing (in historic, not in ClickHouse)${escapeMrkdwn(clickhouseInFlightClause(report))}`;
  const fields: SectionBlock = {
    type: 'section',
    fields: [
      populationField('Submitted', submitted),
      populationField('Unsubmitted', unsubmitted),
      { type: 'mrkdwn', text: `*Excluded by design*\n${formatInt(calibration)} calibration, ${formatInt(nonOriginal)} non-original` },
      { type: 'mrkdwn', text: `*ClickHouse*\n${clickhouse}` },
    ],
  };
  const title = truncate(`${report.customer} · ${report.period.label} · ${report.profile}`, SLACK_LIMITS.headerText);
  const story = storySentence(report);
  // The partial line under a gap verdict (partial_only says it already), and the in-flight line.
  const apart = [report.verdict === 'partial_only' ? null : partialSentence(report), inFlightSentence(report)].filter((l): l is string => l !== null);
  const meta =
    `${formatPeriodRange(report.period)} (UTC) · ${plural(report.stats.windows, 'window')} · ` +
    `${plural(report.stats.queries, 'query', 'queries')} · ${formatDuration(report.stats.elapsedMs)} · generated ${formatDateTime(report.generatedAt)}`;
  return {
    text: verdictSentence(report),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: title, emoji: false } },
      mrkdwnSection(escapeMrkdwn(verdictSentence(report))),
      ...(story === null ? [] : [mrkdwnSection(escapeMrkdwn(story))]),
      ...(apart.length === 0 ? [] : [mrkdwnSection(escapeMrkdwn(apart.join('\n')))]),
      fields,
      contextLine(`Missing = in director, absent from historic.${partialTotal(report) > 0 ? ' Partial = in historic, lacking criteria that director.scores has.' : ''} ${meta}`),
    ],
  };
}

/** Findings as sentences: as many sections (≤3,000 chars) and messages (≤50 blocks) as it takes. */
export function findingsMessages(report: GapReport): SlackMessage[] {
  const lines = report.findings.map((f) => `• ${escapeMrkdwn(findingSentence(f, report.findings))}`);
  if (lines.length === 0) {
    return [{ text: `${subject(report)}: no findings`, blocks: [mrkdwnSection('*Findings*\nNone: nothing stands out in this period.')] }];
  }
  const sections = packLines(lines).map(mrkdwnSection);
  const groups = evenChunks(sections, SLACK_LIMITS.blocksPerMessage - 1);
  return groups.map((group, i) => ({
    text: `${subject(report)}: ${plural(report.findings.length, 'finding')}${groups.length > 1 ? ` (part ${i + 1} of ${groups.length})` : ''}`,
    blocks: [mrkdwnSection(`*Findings*${groups.length > 1 ? ` (${i + 1}/${groups.length})` : ''}`), ...group],
  }));
}

function somethingMissing(report: GapReport): boolean {
  const { submitted, unsubmitted } = report.populations;
  return submitted.missing + unsubmitted.missing + partialTotal(report) + (submitted.clickhouseMissing ?? 0) + (unsubmitted.clickhouseMissing ?? 0) > 0;
}

/** The "Request backfill" message, or null when nothing is missing or the run has no ID to carry. */
export function backfillMessage(report: GapReport, runId?: string): SlackMessage | null {
  if (!somethingMissing(report) || !runId) return null;
  const { submitted, unsubmitted } = report.populations;
  const historic = submitted.missing + unsubmitted.missing;
  const partial = partialTotal(report);
  const clickhouse = (submitted.clickhouseMissing ?? 0) + (unsubmitted.clickhouseMissing ?? 0);
  const parts = [
    historic > 0 ? `${plural(historic, 'scorecard')} missing from historic` : '',
    partial > 0 ? `${plural(partial, 'scorecard')} partial in historic` : '',
    clickhouse > 0 ? `${plural(clickhouse, 'scorecard')} missing from ClickHouse` : '',
  ].filter((p) => p !== '');
  const actions: ActionsBlock = {
    type: 'actions',
    block_id: 'backfill',
    elements: [
      {
        type: 'button',
        action_id: BACKFILL_ACTION_ID,
        text: { type: 'plain_text', text: 'Request backfill' },
        style: 'primary',
        value: backfillValue(runId),
        confirm: {
          title: { type: 'plain_text', text: 'Request a backfill?' },
          text: { type: 'mrkdwn', text: truncate(`Ask for a backfill of ${escapeMrkdwn(subject(report))}. Someone other than you approves it before anything is written.`, 300) },
          confirm: { type: 'plain_text', text: 'Request' },
          deny: { type: 'plain_text', text: 'Cancel' },
        },
      },
    ],
  };
  const blocks: KnownBlock[] = [
    mrkdwnSection(`*Backfill*\n${escapeMrkdwn(report.customer)}, ${escapeMrkdwn(report.period.label)}: ${parts.join(' and ')}. A backfill rewrites them from director; it needs an approver other than the requester.`),
    actions,
  ];
  return { text: `${subject(report)}: ${parts.join(' and ')}. Request a backfill?`, blocks };
}

export interface ThreadOptions extends Pick<TableRenderOptions, 'tableBlocks'> {
  /** The gap run the report belongs to: the backfill button carries it. Without it, no button. */
  runId?: string;
}

/** The headline and the findings, as one message. */
export function summaryMessages(report: GapReport): SlackMessage[] {
  return packMessages([headlineMessage(report), ...findingsMessages(report)], verdictSentence(report));
}

/** An `all` thread's card for one customer: headline, findings and the changes next to them, as one message. */
export function customerCard(report: GapReport): SlackMessage[] {
  return packMessages([headlineMessage(report), ...findingsMessages(report), ...changesMessages(report, { timeline: false, compact: true })], verdictSentence(report));
}

/** Monthly, daily, hourly and the timeline in one message; the daily table is the one drawn as a Slack table. */
export function reportTablesMessages(report: GapReport, opts: TableRenderOptions = {}): SlackMessage[] {
  const daily = dailyTable(report);
  const tables = [monthlyTable(report), daily, hourlyTable(report), timelineTable(report)].filter((t) => t.rows.length > 0);
  if (tables.length === 0) return [];
  const names = tables.map((t) => t.title);
  const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  return tablesMessage(tables, { ...opts, primary: daily, text: `${subject(report)}: ${list} ${names.length === 1 ? 'table' : 'tables'}` });
}

/** The whole thread, in posting order; every message within Slack's limits. */
export function threadMessages(report: GapReport, opts: ThreadOptions = {}): SlackMessage[] {
  const tableOpts: TableRenderOptions = { tableBlocks: opts.tableBlocks ?? true, subject: subject(report) };
  const backfill = backfillMessage(report, opts.runId);
  return [
    ...summaryMessages(report),
    ...changesMessages(report, tableOpts),
    ...reportTablesMessages(report, tableOpts),
    ...(backfill ? [backfill] : []),
  ];
}
