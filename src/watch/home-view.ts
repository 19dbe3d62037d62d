import type { KnownBlock } from '@slack/types';
import { formatDateTime, formatInt, formatRatio, plural, truncate } from '../shared/format.js';
import { permalink } from '../slack/authorize.js';
import { contextLine, escapeMrkdwn, mrkdwnSection } from '../slack/mrkdwn.js';
import { subjectOf } from './alert-blocks.js';
import { oncallLine } from './oncall-blocks.js';
import type { AuditRecord, LastRepair, StoredAlert } from './alert-store.js';
import type { RecentBackfill, RecentRun } from './recent-activity.js';
import { recentBlocks } from './recent-blocks.js';
import { homeSilenceBlocks } from './silence-blocks.js';
import type { ActiveSilence } from './silences.js';

// Pure: the App Home tab, a status board per customer from the last audits: missing per population, open alerts
// (each a link to its thread, with who acknowledged it and until when it is snoozed), when it was last audited, and pending backfill requests; above it, the viewer's
// recent runs and backfills (three blocks). Slack allows 100 blocks in a Home view: the board is paged.

export const HOME_MAX_BLOCKS = 100;

export interface HomeInput {
  audits: AuditRecord[];
  alerts: StoredAlert[];
  /** Backfill requests waiting for a decision or running, per customer. */
  pendingBackfills: Record<string, number>;
  /** Each customer's latest finished backfill: a repair after the last audit makes its numbers stale, and it says so. */
  repairs?: Record<string, LastRepair>;
  now: Date;
  /** The last runs and backfills in the viewer's channels (recent-activity.ts); absent: not shown. */
  recent?: { runs: RecentRun[]; backfills: RecentBackfill[] };
  /** Silences in force (a small section under the head); absent or empty: none shown. */
  silences?: ActiveSilence[];
}

function populationLine(
  label: string,
  p: { total: number; missing: number; clickhouseMissing: number | null; partial?: number; inFlight?: number } | undefined,
): string {
  if (!p) return `${label}: no data`;
  const ch = p.clickhouseMissing === null ? '' : `, ${formatInt(p.clickhouseMissing)} not in ClickHouse`;
  // Audits recorded before partial and in-flight counting have neither: nothing is said about them.
  const partial = p.partial ? `, ${formatInt(p.partial)} partial` : '';
  const inFlight = p.inFlight ? `, ${formatInt(p.inFlight)} in flight` : '';
  return `${label}: ${formatInt(p.missing)} of ${formatInt(p.total)} missing (${formatRatio(p.missing, p.total)})${partial}${ch}${inFlight}`;
}

function customerBlock(customer: string, audits: AuditRecord[], alerts: StoredAlert[], pending: number, now: Date, repair?: LastRepair): KnownBlock {
  const last = [...audits].sort((a, b) => b.finishedAt.getTime() - a.finishedAt.getTime())[0];
  const icon = alerts.length > 0 ? ':red_circle:' : last?.error ? ':warning:' : ':large_green_circle:';
  const lines = [`${icon} *${escapeMrkdwn(customer)}*${last ? ` (${escapeMrkdwn(last.profile)})` : ''}`];
  if (last) {
    lines.push(`Last audit ${formatDateTime(last.finishedAt.toISOString())} (${escapeMrkdwn(last.audit)}, ${escapeMrkdwn(last.periodLabel)})`);
    if (last.error) lines.push(`Audit failed: ${escapeMrkdwn(truncate(last.error, 200))}`);
    if (last.populations) lines.push(`${populationLine('Submitted', last.populations.submitted)} · ${populationLine('Unsubmitted', last.populations.unsubmitted)}`);
  }
  if (alerts.length > 0) {
    const shown = alerts.slice(0, 5).map((a) => {
      const what = `${escapeMrkdwn(subjectOf(a))} since ${a.start.slice(0, 10)}`;
      const oncall = oncallLine(a, now);
      return `${a.threadTs ? `<${permalink(a.channel, a.threadTs)}|${what}>` : what}${oncall ? ` (${oncall.charAt(0).toLowerCase()}${oncall.slice(1)})` : ''}`;
    });
    lines.push(`Open alerts: ${shown.join(', ')}${alerts.length > 5 ? `, and ${plural(alerts.length - 5, 'other')}` : ''}`);
  } else lines.push('Open alerts: none');
  if (pending > 0) lines.push(`Pending backfill requests: ${formatInt(pending)}`);
  if (repair && (!last || repair.finishedAt > last.finishedAt)) {
    lines.push(`:wrench: Repaired by backfill ${escapeMrkdwn(repair.id)} at ${formatDateTime(repair.finishedAt.toISOString())} (${plural(repair.historicRows, 'historic row')} written), after this audit: the next audit shows the new numbers.`);
  }
  return mrkdwnSection(lines.join('\n'));
}

/** Customers a page of the Home tab shows: two blocks each, with room for the head and the page controls. */
export const HOME_PAGE_SIZE = 40;
export const HOME_PAGE_ACTION_ID = 'watch_home_page';

/** Worst first: open alerts, then failed audits, then the most missing, then by name. */
function boardOrder(input: HomeInput): string[] {
  const customers = [...new Set([...input.audits.map((a) => a.customer), ...input.alerts.map((a) => a.customer)])];
  const alerts = new Map<string, number>();
  for (const a of input.alerts) alerts.set(a.customer, (alerts.get(a.customer) ?? 0) + 1);
  const latest = new Map<string, AuditRecord>();
  for (const a of input.audits) {
    const prev = latest.get(a.customer);
    if (!prev || prev.finishedAt < a.finishedAt) latest.set(a.customer, a);
  }
  const missing = (c: string): number => {
    const p = latest.get(c)?.populations;
    return p ? Object.values(p).reduce((s, x) => s + x.missing, 0) : 0;
  };
  const failed = (c: string): number => (latest.get(c)?.error ? 1 : 0);
  return customers.sort((a, b) => (alerts.get(b) ?? 0) - (alerts.get(a) ?? 0) || failed(b) - failed(a) || missing(b) - missing(a) || a.localeCompare(b));
}

/**
 * The board, a page of HOME_PAGE_SIZE customers at a time (a Home tab holds 100 blocks; a fleet has hundreds of
 * customers), worst first, with Previous / Next buttons that publish the neighbouring page.
 */
export function homeView(input: HomeInput & { page?: number }): { type: 'home'; blocks: KnownBlock[] } {
  const customers = boardOrder(input);
  const recent = [...homeSilenceBlocks(input.silences ?? []), ...(input.recent ? recentBlocks(input.recent) : [])];
  if (customers.length === 0) {
    const head: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: 'Scorecard gap bot' } }, contextLine(formatDateTime(input.now.toISOString()))];
    return { type: 'home', blocks: [...head, ...recent, contextLine('No scheduled audit has run yet, so there is no per-customer board. Audits are configured under `watch:` in the config.')] };
  }
  const head: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Scorecard gap watchdog' } },
    contextLine(`Status from the last scheduled audits · ${formatDateTime(input.now.toISOString())} · ${plural(input.alerts.length, 'open alert')}`),
    ...recent,
  ];
  const pages = Math.ceil(customers.length / HOME_PAGE_SIZE);
  const page = Math.min(Math.max(0, Math.floor(input.page ?? 0)), pages - 1);
  const shown = customers.slice(page * HOME_PAGE_SIZE, (page + 1) * HOME_PAGE_SIZE);
  const body = shown.flatMap((c): KnownBlock[] => [
    customerBlock(c, input.audits.filter((a) => a.customer === c), input.alerts.filter((a) => a.customer === c), input.pendingBackfills[c] ?? 0, input.now, input.repairs?.[c]),
    { type: 'divider' },
  ]);
  if (pages === 1) return { type: 'home', blocks: [...head, ...body] };
  const first = page * HOME_PAGE_SIZE + 1;
  const nav: KnownBlock = {
    type: 'actions',
    elements: [
      ...(page > 0 ? [{ type: 'button' as const, action_id: `${HOME_PAGE_ACTION_ID}_prev`, text: { type: 'plain_text' as const, text: '← Previous' }, value: String(page - 1) }] : []),
      ...(page < pages - 1 ? [{ type: 'button' as const, action_id: `${HOME_PAGE_ACTION_ID}_next`, text: { type: 'plain_text' as const, text: 'Next →' }, value: String(page + 1) }] : []),
    ],
  };
  return {
    type: 'home',
    blocks: [...head, ...body, contextLine(`Customers ${formatInt(first)}–${formatInt(first + shown.length - 1)} of ${formatInt(customers.length)}, worst first (page ${page + 1} of ${pages}).`), nav],
  };
}

/** The Home tab of someone who may not see the board: one line saying why, and no data at all. */
export function homeRefusedView(reason: string): { type: 'home'; blocks: KnownBlock[] } {
  return {
    type: 'home',
    blocks: [{ type: 'header', text: { type: 'plain_text', text: 'Scorecard gap watchdog' } }, mrkdwnSection(`:lock: ${escapeMrkdwn(reason)}`)],
  };
}
