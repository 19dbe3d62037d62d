import type { GapReport } from '../core/report.js';
import { impactTable } from './tables.js';
import { customerCard } from './thread-messages.js';
import { releaseCorrelationMessages } from '../what-changed/render-slack.js';
import { packMessages } from '../../slack/pack-messages.js';
import { tableMessages } from '../../slack/table-blocks.js';
import { SLACK_LIMITS } from '../../slack/limits.js';
import { contextLine, escapeMrkdwn, mention, mrkdwnSection } from '../../slack/mrkdwn.js';
import type { OutgoingMessage, SlackMessage } from '../../slack/slack-message.js';
import type { TableModel } from '../../shared/text-table.js';

// The `all` thread, pure: the impact table (with the release correlation under it) in one message, one card per
// customer with findings, the healthy ones in one line. Customers without scorecards are in the table's note.

/** Customer cards (headline, findings, changes) at most in an `all` thread; the rest are in its table and CSV. */
export const ALL_MAX_CARDS = 20;
/** Healthy customers named in their line; more go to the CSV. */
const HEALTHY_NAMED = 30;

const isAffected = (r: GapReport): boolean => r.verdict === 'gap' || r.verdict === 'clickhouse_gap_only' || r.verdict === 'partial_only';
const weight = (r: GapReport): number =>
  r.populations.submitted.missing + r.populations.unsubmitted.missing + r.populations.submitted.partial + r.populations.unsubmitted.partial;

export interface AllThread {
  table: TableModel;
  messages: OutgoingMessage[];
  /** Every customer's numbers as a CSV: when the thread shows only some of them. */
  csvNeeded: boolean;
  root: SlackMessage;
}

export function allThread(reports: GapReport[], failed: string[], meta: { periodLabel: string; requestedBy: string }): AllThread {
  const subject = `All customers, ${meta.periodLabel}`;
  const table = impactTable(reports, { maxRows: SLACK_LIMITS.tableRows });
  const affected = reports.filter(isAffected).sort((a, b) => weight(b) - weight(a));
  const healthy = reports.filter((r) => r.verdict === 'no_gap').map((r) => r.customer);
  const cards = affected.slice(0, ALL_MAX_CARDS);
  // Slack draws one table a message: the impact table is that one, the release correlation is code under it.
  const impact = tableMessages(table, { tableBlocks: true, subject });
  const named = healthy.length <= HEALTHY_NAMED ? healthy.join(', ') : `${healthy.slice(0, HEALTHY_NAMED).join(', ')} and ${healthy.length - HEALTHY_NAMED} more (in the CSV)`;
  const slug = meta.periodLabel.toLowerCase().replace(/\s+/g, '-');
  const messages: OutgoingMessage[] = [
    ...packMessages([...impact, ...releaseCorrelationMessages(cards, subject, { tableBlocks: false })], impact[0]?.text ?? subject),
    ...cards.flatMap(customerCard),
    ...(healthy.length > 0 ? [{ text: `No gap: ${named}.` }] : []),
    ...(affected.length > cards.length
      ? [{ text: `${affected.length - cards.length} more customers with missing scorecards are in the table and the CSV; run /scorecard-gap <customer> ${slug} for one of them.` }]
      : []),
    ...(failed.length > 0 ? [{ text: `Could not investigate: ${failed.join(', ')} (see the messages above for why).` }] : []),
  ];
  const noData = reports.filter((r) => r.verdict === 'no_data').length;
  const tail = noData > 0 ? ` ${noData} had no scorecards.` : '';
  const names = `${affected.slice(0, 10).map((r) => r.customer).join(', ')}${affected.length > 10 ? `, and ${affected.length - 10} more` : ''}`;
  const text =
    affected.length === 0
      ? `No gap in any of ${reports.length - noData} customers with scorecards, ${meta.periodLabel}.${tail}`
      : `Scorecards missing for ${affected.length} of ${reports.length} customers (${names}), ${meta.periodLabel}.${tail} Details in the thread.`;
  const full = failed.length ? `${text} Failed: ${failed.join(', ')}.` : text;
  return {
    table,
    messages,
    csvNeeded: table.rows.length < reports.length + 1 || affected.length > cards.length || healthy.length > HEALTHY_NAMED,
    // Who asked, in a context line as on a single customer's root.
    root: {
      text: full,
      blocks: [mrkdwnSection(`${affected.length ? ':red_circle:' : ':large_green_circle:'} ${escapeMrkdwn(full)}`), contextLine(`Requested by ${mention(meta.requestedBy)}`)],
    },
  };
}
