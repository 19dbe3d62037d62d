import type { ActionsBlock, KnownBlock } from '@slack/types';
import type { GapReport, Population } from '../gap/core/report.js';
import { formatDate, formatDateTime, formatInt, formatRatio, plural, truncate } from '../shared/format.js';
import { backfillValue, BACKFILL_ACTION_ID } from '../gap/views/thread-messages.js';
import type { SlackMessage } from '../slack/slack-message.js';
import { contextLine, escapeMrkdwn, mrkdwnSection } from '../slack/mrkdwn.js';
import type { AlertKind } from './fingerprint.js';

// Pure Block Kit renderers of the watchdog's messages: the alert (what, since when, how many, the finding
// sentence, a small chart, Full report and Request backfill), a follow-up in its thread when it worsens, the
// resolution, and the one summary of the alerts over a channel's hourly allowance.

export const FULL_REPORT_ACTION_ID = 'watch_full_report';

export interface AlertView {
  customer: string;
  population: Population;
  kind: AlertKind;
  start: string;
  missing: number;
  total: number;
  sentence: string;
  audit: string;
  periodLabel: string;
}

const KIND_LABEL: Record<AlertKind, string> = {
  onset: 'missing from historic',
  change_point: 'missing rate jumped',
  batch_failure: 'batch job failed',
  recurring_failure: 'recurring failure',
  weekly_failure: 'weekly failure',
  clickhouse_gap: 'missing from ClickHouse',
};

const SPARK = '▁▂▃▄▅▆▇█';

/** Unicode bars of a series (e.g. hourly missing), scaled to its maximum; at most `width` bars (later ones kept). */
export function sparkline(values: readonly number[], width = 48): string {
  const shown = values.slice(-width);
  const max = Math.max(0, ...shown);
  if (max === 0) return SPARK[0]!.repeat(shown.length);
  return shown.map((v) => SPARK[Math.min(SPARK.length - 1, Math.round((v / max) * (SPARK.length - 1)))]).join('');
}

/** Hourly missing of one population over the report's period: the alert's small chart. */
export function hourlyMissing(report: GapReport, population: Population): number[] {
  const from = Date.parse(report.period.from);
  const to = Date.parse(report.period.to);
  return report.hourly.filter((h) => Date.parse(h.hour) >= from && Date.parse(h.hour) < to).map((h) => h[population].missing);
}

const sinceText = (start: string): string => (start.length > 10 ? formatDateTime(start) : formatDate(start));

export function subjectOf(a: Pick<AlertView, 'customer' | 'population' | 'kind'>): string {
  return `${a.customer} ${a.population}: ${KIND_LABEL[a.kind]}`;
}

export interface AlertButtons {
  /** The gap run record the Request backfill button names (its scope is read from there). */
  runId: string | null;
  /** Full report: the customer and lookback to run /scorecard-gap for. */
  reportValue: string;
}

export function alertMessage(a: AlertView, buttons: AlertButtons, chart?: readonly number[]): SlackMessage {
  const counts = `${formatInt(a.missing)} of ${formatInt(a.total)} (${formatRatio(a.missing, a.total)})`;
  const headline = `:rotating_light: *${escapeMrkdwn(subjectOf(a))}*\n*Since* ${sinceText(a.start)} · *How many* ${counts} in the ${escapeMrkdwn(a.periodLabel)}`;
  const blocks: KnownBlock[] = [mrkdwnSection(headline), mrkdwnSection(escapeMrkdwn(a.sentence))];
  if (chart && chart.length > 1 && chart.some((v) => v > 0)) blocks.push(contextLine(`Missing per hour: ${sparkline(chart)}`));
  const elements: ActionsBlock['elements'] = [
    { type: 'button', action_id: FULL_REPORT_ACTION_ID, text: { type: 'plain_text', text: 'Full report' }, value: truncate(buttons.reportValue, 2000) },
  ];
  if (buttons.runId) {
    elements.push({
      type: 'button',
      action_id: BACKFILL_ACTION_ID,
      text: { type: 'plain_text', text: 'Request backfill' },
      style: 'primary',
      value: backfillValue(buttons.runId),
      confirm: {
        title: { type: 'plain_text', text: 'Request a backfill?' },
        text: { type: 'mrkdwn', text: truncate(`Ask for a backfill of ${escapeMrkdwn(a.customer)}, ${escapeMrkdwn(a.periodLabel)}. Someone other than you approves it before anything is written.`, 300) },
        confirm: { type: 'plain_text', text: 'Request' },
        deny: { type: 'plain_text', text: 'Cancel' },
      },
    });
  }
  blocks.push({ type: 'actions', block_id: 'watch_alert', elements });
  blocks.push(contextLine(`Watchdog audit ${escapeMrkdwn(a.audit)} · one alert per problem; updates in this thread`));
  return { text: `${subjectOf(a)} since ${sinceText(a.start)}: ${counts} missing`, blocks };
}

export function followUpMessage(a: AlertView, was: { missing: number }): SlackMessage {
  const text = `Worse: ${formatInt(a.missing)} of ${formatInt(a.total)} ${a.population} missing now (${formatRatio(a.missing, a.total)}), was ${formatInt(was.missing)} when last told.`;
  return { text, blocks: [mrkdwnSection(`:chart_with_upwards_trend: ${escapeMrkdwn(text)}`), mrkdwnSection(escapeMrkdwn(a.sentence))] };
}

export function resolutionMessage(a: Pick<AlertView, 'customer' | 'population' | 'kind' | 'periodLabel'>, lastSeenAt: string): SlackMessage {
  const what = a.kind === 'clickhouse_gap' ? 'missing from ClickHouse' : 'missing';
  const text = `${a.customer} ${a.population}: 0 ${what} since ${formatDate(lastSeenAt)} (${a.periodLabel}); resolved.`;
  return { text, blocks: [mrkdwnSection(`:white_check_mark: ${escapeMrkdwn(text)}`)] };
}

/** The alerts over the hour's allowance, in one message (each a line; the list is cut to fit). */
export function summaryMessage(alerts: readonly AlertView[], maxPerHour: number): SlackMessage {
  const head = `:rotating_light: ${plural(alerts.length, 'more alert')} (at most ${maxPerHour} are posted alone per hour):`;
  const lines = alerts.map((a) => `• ${escapeMrkdwn(subjectOf(a))} since ${sinceText(a.start)}: ${formatInt(a.missing)} of ${formatInt(a.total)}`);
  const body: string[] = [];
  let size = head.length;
  for (const [i, l] of lines.entries()) {
    if (size + l.length + 40 > 2900) {
      body.push(`… and ${plural(lines.length - i, 'other')}`);
      break;
    }
    body.push(l);
    size += l.length + 1;
  }
  return { text: `${plural(alerts.length, 'more alert')}`, blocks: [mrkdwnSection([head, ...body].join('\n'))] };
}
