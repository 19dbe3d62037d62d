import type { KnownBlock } from '@slack/types';
import type { Population } from '../gap/core/report.js';
import { formatDate, formatInt, formatRatio, plural, truncate } from '../shared/format.js';
import { permalink } from '../slack/authorize.js';
import { contextLine, escapeMrkdwn, mention, mrkdwnSection, packLines } from '../slack/mrkdwn.js';
import type { SlackMessage } from '../slack/slack-message.js';

// Pure: the daily digest of one audit, one message: the open problems (customer, population, since, missing of
// total, a link to the alert's thread, who acknowledged it), then the healthy customers on one line, and the
// customers that are neither (their last audit failed, or none ran yet).

export interface DigestProblem {
  customer: string;
  population: Population;
  start: string;
  missing: number;
  total: number;
  channel: string;
  threadTs: string | null;
  /** Who acknowledged it (a Slack user id); null: nobody yet. */
  acknowledgedBy: string | null;
  /** Mentions of the owners ('' for nobody); named only while nobody has acknowledged it. */
  owners?: string;
  /** Held by a silence in force (its posts wait for the silence to end). */
  silenced: boolean;
}

export interface DigestInput {
  audit: string;
  /** The UTC day, "2026-12-07". */
  day: string;
  problems: readonly DigestProblem[];
  /** The audit's customers with no open problem and a last audit without error. */
  healthy: readonly string[];
  /** Customers whose last audit failed. */
  failed: readonly string[];
  /** Customers not audited yet. */
  unaudited: readonly string[];
}

/** Pure: the digest's cron (daily at HH:MM UTC). */
export function digestCron(hhmm: string): string {
  const [h, m] = hhmm.split(':').map((x) => Number.parseInt(x, 10));
  return `${m} ${h} * * *`;
}

function problemLine(p: DigestProblem): string {
  const what = `${escapeMrkdwn(p.customer)} ${p.population}`;
  const linked = p.threadTs ? `<${permalink(p.channel, p.threadTs)}|${what}>` : what;
  const ack = p.acknowledgedBy ? `acknowledged by ${mention(p.acknowledgedBy)}` : `not acknowledged${p.owners === undefined ? '' : p.owners ? ` (owners: ${p.owners})` : ' (no owner)'}`;
  const silenced = p.silenced ? ' · :mute: silenced' : '';
  return `• ${linked} since ${formatDate(p.start.slice(0, 10))}: ${formatInt(p.missing)} of ${formatInt(p.total)} missing (${formatRatio(p.missing, p.total)}) · ${ack}${silenced}`;
}

const names = (list: readonly string[]): string => truncate(list.map(escapeMrkdwn).join(', '), 2500);

export function digestMessage(d: DigestInput): SlackMessage {
  const head = `Daily digest of ${d.audit}, ${formatDate(d.day)}: ${d.problems.length === 0 ? 'no open problem' : plural(d.problems.length, 'open problem')}, ${plural(d.healthy.length, 'healthy customer')}`;
  const blocks: KnownBlock[] = [mrkdwnSection(`:newspaper: *${escapeMrkdwn(head)}*`)];
  if (d.problems.length > 0) {
    const sorted = [...d.problems].sort((a, b) => a.customer.localeCompare(b.customer) || a.population.localeCompare(b.population));
    const packed = packLines(sorted.map(problemLine));
    blocks.push(...packed.slice(0, 20).map(mrkdwnSection));
    if (packed.length > 20) blocks.push(contextLine('… more open problems than one message holds: see the App Home.'));
  }
  blocks.push(mrkdwnSection(d.healthy.length > 0 ? `:large_green_circle: *Healthy:* ${names(d.healthy)}` : ':large_green_circle: *Healthy:* none'));
  const other: string[] = [];
  if (d.failed.length > 0) other.push(`:warning: last audit failed: ${names(d.failed)}`);
  if (d.unaudited.length > 0) other.push(`not audited yet: ${names(d.unaudited)}`);
  if (other.length > 0) blocks.push(contextLine(other.join(' · ')));
  return { text: head, blocks };
}
