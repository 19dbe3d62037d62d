import type { ActionsBlock, KnownBlock } from '@slack/types';
import type { GapReport, Population } from '../gap/core/report.js';
import { formatDate, formatDateTime, formatInt, formatRatio, plural, truncate } from '../shared/format.js';
import { backfillValue, BACKFILL_ACTION_ID } from '../gap/views/thread-messages.js';
import type { SlackMessage } from '../slack/slack-message.js';
import { contextLine, escapeMrkdwn, mrkdwnSection } from '../slack/mrkdwn.js';
import type { AlertKind } from './fingerprint.js';
import { kindsOf, type ProblemFinding } from './problems.js';
import { oncallActions, summaryMenus } from './oncall-blocks.js';

// Pure Block Kit renderers of the watchdog's messages: the alert (what, since when, how many, the finding
// sentence or the list of findings, a small chart, Full report and Request backfill), a follow-up in its thread
// when it worsens or finds something new, the resolution (what is left, in numbers), and the one summary of the
// alerts over a channel's hourly allowance (whose thread is theirs).

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
  /** Every finding of the problem; absent or one: the lead's sentence alone. */
  findings?: readonly ProblemFinding[];
}

const KIND_LABEL: Record<AlertKind, string> = {
  onset: 'missing from historic',
  change_point: 'missing rate jumped',
  batch_failure: 'batch job failed',
  recurring_failure: 'recurring failure',
  weekly_failure: 'weekly failure',
  clickhouse_gap: 'missing from ClickHouse',
  partial: 'partial in historic (criteria lacking)',
};

/** What the alert's count counts: partial scorecards are in historic, so not "missing". */
const countedAs = (kind: AlertKind): string => (kind === 'partial' ? 'partial' : 'missing');

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

/** "rentokil submitted: missing rate jumped, batch job failed": the problem and the kinds of its findings. */
export function subjectOf(a: Pick<AlertView, 'customer' | 'population' | 'kind' | 'findings'>): string {
  const kinds = a.findings && a.findings.length > 0 ? kindsOf(a.findings) : [a.kind];
  return `${a.customer} ${a.population}: ${kinds.map((k) => KIND_LABEL[k]).join(', ')}`;
}

/** One line per finding: its kind, since when, how many, its sentence. */
function findingLine(f: ProblemFinding): string {
  return `• *${escapeMrkdwn(KIND_LABEL[f.kind])}* since ${sinceText(f.start)}: ${formatInt(f.missing)} of ${formatInt(f.total)} (${formatRatio(f.missing, f.total)}). ${escapeMrkdwn(f.sentence)}`;
}

/** The findings as one section, cut to fit a section's 3,000 characters. */
function findingsSection(findings: readonly ProblemFinding[]): KnownBlock {
  return mrkdwnSection(truncate(findings.map(findingLine).join('\n'), 2900));
}

export interface AlertButtons {
  /** The gap run record the Request backfill button names (its scope is read from there). */
  runId: string | null;
  /** Full report: the customer and lookback to run /scorecard-gap for. */
  reportValue: string;
  /** The stored alert: its Acknowledge button and Snooze menu name it (absent: no on-call controls). */
  alertId?: string;
}

/** `mentions`: the owners (owners.ts), named on this first post only; follow-ups and resolutions never mention. */
export function alertMessage(a: AlertView, buttons: AlertButtons, chart?: readonly number[], mentions = ''): SlackMessage {
  const counts = `${formatInt(a.missing)} of ${formatInt(a.total)} (${formatRatio(a.missing, a.total)})`;
  const headline = `:rotating_light: *${escapeMrkdwn(subjectOf(a))}*\n*Since* ${sinceText(a.start)} · *How many* ${counts} in the ${escapeMrkdwn(a.periodLabel)}`;
  const several = (a.findings?.length ?? 0) > 1;
  const blocks: KnownBlock[] = [mrkdwnSection(headline), several ? findingsSection(a.findings!) : mrkdwnSection(escapeMrkdwn(a.sentence))];
  if (chart && chart.length > 1 && chart.some((v) => v > 0)) blocks.push(contextLine(`Missing per hour: ${sparkline(chart)}`));
  if (mentions) blocks.push(contextLine(`Owners: ${mentions}`));
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
  if (buttons.alertId) blocks.push(oncallActions(buttons.alertId));
  blocks.push(contextLine(`Watchdog audit ${escapeMrkdwn(a.audit)} · one alert per problem; updates in this thread`));
  return { text: `${subjectOf(a)} since ${sinceText(a.start)}: ${counts} ${countedAs(a.kind)}${mentions ? ` · ${mentions}` : ''}`, blocks };
}

/**
 * In the alert's thread: worse than when last told ("Worse: rentokil submitted: 65 of 1,234 missing now (5.3%), was
 * 30 when last told."), and the findings of kinds it never told, listed.
 */
export function followUpMessage(a: AlertView, was: { missing: number }, news: { worse: boolean; fresh: readonly ProblemFinding[] }): SlackMessage {
  const who = `${a.customer} ${a.population}`;
  const lines: string[] = [];
  if (news.worse) lines.push(`Worse: ${who}: ${formatInt(a.missing)} of ${formatInt(a.total)} ${countedAs(a.kind)} now (${formatRatio(a.missing, a.total)}), was ${formatInt(was.missing)} when last told.`);
  if (news.fresh.length > 0) lines.push(`${who}: new ${news.fresh.length === 1 ? 'finding' : 'findings'}: ${kindsOf(news.fresh).map((k) => KIND_LABEL[k]).join(', ')}.`);
  const text = lines.join(' ');
  const blocks: KnownBlock[] = [mrkdwnSection(`:chart_with_upwards_trend: ${escapeMrkdwn(text)}`)];
  blocks.push(news.fresh.length > 0 ? findingsSection(news.fresh) : mrkdwnSection(escapeMrkdwn(a.sentence)));
  return { text, blocks };
}

/** A population's numbers in the audit that closed the alert. */
export interface Remaining {
  missing: number;
  total: number;
  partial?: number;
  clickhouseMissing: number | null;
}

/**
 * The resolution says what is left, in the measures the alert was about: "0 missing" only when none is left;
 * otherwise "back under the threshold: 2 of 63 missing (3.2%), under the alert level".
 */
export function resolutionMessage(
  a: Pick<AlertView, 'customer' | 'population' | 'kind' | 'periodLabel' | 'findings'>,
  lastSeenAt: string,
  left: Remaining | null = null,
): SlackMessage {
  const kinds = a.findings && a.findings.length > 0 ? kindsOf(a.findings) : [a.kind];
  const measures: { what: string; n: number }[] = [];
  if (kinds.some((k) => k !== 'clickhouse_gap' && k !== 'partial')) measures.push({ what: 'missing', n: left?.missing ?? 0 });
  if (kinds.includes('partial')) measures.push({ what: 'partial', n: left?.partial ?? 0 });
  if (kinds.includes('clickhouse_gap')) measures.push({ what: 'missing from ClickHouse', n: left?.clickhouseMissing ?? 0 });
  const remaining = measures.filter((m) => m.n > 0);
  const who = `${a.customer} ${a.population}`;
  const text =
    remaining.length === 0 || !left
      ? `${who}: 0 ${measures.map((m) => m.what).join(', 0 ')} since ${formatDate(lastSeenAt)} (${a.periodLabel}); resolved.`
      : `${who}: back under the threshold: ${remaining.map((m) => `${formatInt(m.n)} of ${formatInt(left.total)} ${m.what} (${formatRatio(m.n, left.total)})`).join(', ')}, under the alert level (${a.periodLabel}); resolved.`;
  return { text, blocks: [mrkdwnSection(`:white_check_mark: ${escapeMrkdwn(text)}`)] };
}

/** The alerts over the hour's allowance, in one message (each a line; the list is cut to fit). */
/**
 * `mentions`: the summarised alerts' owners (the summary is their first post). Alerts with an `alertId` get a menu
 * each (Acknowledge, Snooze).
 */
export function summaryMessage(alerts: readonly (AlertView & { alertId?: string })[], maxPerHour: number, mentions = ''): SlackMessage {
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
  return {
    text: `${plural(alerts.length, 'more alert')}${mentions ? ` · ${mentions}` : ''}`,
    blocks: [
      mrkdwnSection([head, ...body].join('\n')),
      ...(mentions ? [contextLine(`Owners: ${mentions}`)] : []),
      ...[summaryMenus(alerts.flatMap((a) => (a.alertId ? [{ alertId: a.alertId, label: `${a.customer} ${a.population}` }] : [])))].filter((b) => b !== null),
      contextLine('Each is an alert like any other: its follow-ups and its resolution come in this thread.'),
    ],
  };
}

const durationText = (ms: number): string => (ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : `${Math.round(ms / 60_000)} min`);

/**
 * The escalation: the owners mentioned again, in the alert's thread, or in the escalation channel with a link to
 * the alert. "<@U0BOB> rentokil submitted: missing from historic is still open after 2 h and nobody has
 * acknowledged it: 65 of 1,234 missing (5.3%)."
 */
export function escalationMessage(a: AlertView, mentions: string, afterMs: number, link: string | null): SlackMessage {
  const who = mentions ? `${mentions} ` : '';
  const body = `${subjectOf(a)} is still open after ${durationText(afterMs)} and nobody has acknowledged it: ${formatInt(a.missing)} of ${formatInt(a.total)} (${formatRatio(a.missing, a.total)}).`;
  const text = `${who}${body}${link ? ` ${link}` : ''}`;
  const blocks: KnownBlock[] = [mrkdwnSection(`:rotating_light: ${who}${escapeMrkdwn(body)}${link ? ` <${link}|Open the alert>` : ''}`)];
  if (!mentions) blocks.push(contextLine('Nobody owns this customer: set customers[].owners or watch[].owners to mention someone.'));
  return { text, blocks };
}
