import type { GapReport } from '../core/report.js';
import { plural } from '../../shared/format.js';
import { SLACK_LIMITS } from '../../slack/limits.js';
import type { SlackMessage } from '../../slack/slack-message.js';
import { escapeMrkdwn, mrkdwnSection, packLines } from '../../slack/mrkdwn.js';
import { evenChunks, tableMessages, type TableRenderOptions } from '../../slack/table-blocks.js';
import { packMessages } from '../../slack/pack-messages.js';
import { reportChangeLines, SHOWN_PER_FINDING, sourcesSentence, type ChangeItem, type FindingChangeLine } from './change-lines.js';
import { releaseCorrelationTable, releaseTimelineTable } from './timeline.js';

// "What changed around then" in a Slack thread: at most three changes per finding time, titles linked to the
// commit or page, then the release timeline as a table. Pure; nothing when change sources are not configured.

function linked(item: ChangeItem): string {
  const title = escapeMrkdwn(item.title);
  // Only web links become clickable; anything else stays text (a `|` or `>` in the URL would break the markup).
  if (!item.link || !/^https?:\/\/[^\s|<>]+$/.test(item.link)) return title;
  return `<${item.link}|${title.replaceAll('|', '¦')}>`;
}

export function changeLineMrkdwn(line: FindingChangeLine): string {
  if (!line.lead) return `• *${escapeMrkdwn(line.label)}*: no recorded change from ${escapeMrkdwn(line.window)}.`;
  const items = line.items.map((i) => `${i.kind} ${linked(i)} (${escapeMrkdwn(i.when)})`);
  const more = line.more > 0 ? `; and ${line.capped ? 'at least ' : ''}${plural(line.more, 'other')}` : '';
  return `• *${escapeMrkdwn(line.label)}*: ${line.lead}: ${items.join('; ')}${more}`;
}

export interface ChangesMessageOptions extends TableRenderOptions {
  /** false: the section only, no timeline table (the `all` summary). */
  timeline?: boolean;
  /** Only the finding times that have a change next to them (the `all` summary). */
  compact?: boolean;
}

export function changesMessages(report: GapReport, opts: ChangesMessageOptions = {}): SlackMessage[] {
  if (!report.changeSources) return [];
  const subject = `${report.customer} ${report.period.label}`;
  const lines = reportChangeLines(report, SHOWN_PER_FINDING)
    .filter((l) => !opts.compact || l.lead)
    .map(changeLineMrkdwn);
  if (opts.compact && lines.length === 0) return [];
  const sources = sourcesSentence(report);
  const sections = packLines([...(sources ? [`_${escapeMrkdwn(sources)}_`] : []), ...(lines.length ? lines : ['No finding has a time to place.'])]).map(mrkdwnSection);
  const groups = evenChunks(sections, SLACK_LIMITS.blocksPerMessage - 1);
  const messages: SlackMessage[] = groups.map((group, i) => ({
    text: `${subject}: what changed around the findings${groups.length > 1 ? ` (part ${i + 1} of ${groups.length})` : ''}`,
    blocks: [mrkdwnSection(`*What changed around then*${opts.compact ? `: ${escapeMrkdwn(report.customer)}` : ''}${groups.length > 1 ? ` (${i + 1}/${groups.length})` : ''}`), ...group],
  }));
  const timeline = releaseTimelineTable(report);
  if (opts.timeline !== false && timeline && timeline.rows.length > 0) messages.push(...tableMessages(timeline, { tableBlocks: opts.tableBlocks, subject: opts.subject ?? subject }));
  // The section and its timeline in one message.
  return packMessages(messages, `${subject}: what changed around the findings`);
}

/** `all`: the correlation table (customer, first missing, the releases around it), or nothing without change sources. */
export function releaseCorrelationMessages(reports: readonly GapReport[], subject: string, opts: Pick<TableRenderOptions, 'tableBlocks'> = {}): SlackMessage[] {
  const table = releaseCorrelationTable(reports);
  if (!table) return [];
  const down = [...new Set(reports.flatMap((r) => (r.changeSources ?? []).filter((s) => !s.available).map((s) => `${s.name} (${s.error ?? 'no reason given'})`)))];
  const messages = tableMessages(table, { tableBlocks: opts.tableBlocks ?? true, subject });
  if (down.length > 0) messages.push({ text: `Unavailable change sources: ${down.join(', ')}`, blocks: [mrkdwnSection(`_Unavailable change sources: ${escapeMrkdwn(down.join(', '))}._`)] });
  return messages;
}
