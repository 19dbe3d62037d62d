import type { KnownBlock } from '@slack/types';
import { formatDateTime, formatInt, plural } from '../shared/format.js';
import { SLACK_LIMITS } from '../slack/limits.js';
import { permalink } from '../slack/authorize.js';
import { escapeMrkdwn, mention, mrkdwnSection } from '../slack/mrkdwn.js';
import type { RecentBackfill, RecentRun } from './recent-activity.js';

// Pure: the Home tab's "recent activity" (the viewer's channels only), each run and backfill a link to its thread,
// with its outcome and who asked. Two sections, so it costs the board three blocks whatever the volume.

const VERDICT: Record<string, string> = {
  gap: ':red_circle: gap',
  no_gap: ':large_green_circle: no gap',
  partial_only: ':large_orange_circle: partial only',
  no_data: ':white_circle: no data',
};

const who = (user: string): string => (user === 'watchdog' ? 'the watchdog' : mention(user));

function runLine(r: RecentRun): string {
  const what = `${escapeMrkdwn(r.customer)} ${escapeMrkdwn(r.periodLabel)}`;
  const outcome = r.status === 'queued' ? ':hourglass_flowing_sand: running' : r.status === 'failed' ? ':warning: failed' : (VERDICT[r.verdict ?? ''] ?? escapeMrkdwn(r.verdict ?? 'done'));
  return `<${permalink(r.channel, r.rootTs)}|${what}> · ${outcome} · ${who(r.requestedBy)} · ${formatDateTime(r.createdAt.toISOString())}`;
}

const BACKFILL_STATUS: Record<string, string> = {
  planning: ':hourglass_flowing_sand: planning',
  pending: ':raised_hand: waiting for approval',
  approved: ':white_check_mark: approved, starting',
  running: ':hourglass_flowing_sand: running',
  cancelling: ':hourglass_flowing_sand: cancelling',
  done: ':white_check_mark: done',
  done_with_remainder: ':warning: done, some left',
  denied: ':no_entry_sign: denied',
  cancelled: ':no_entry_sign: cancelled',
  expired: ':zzz: expired',
  failed: ':x: failed',
};

function backfillLine(b: RecentBackfill): string {
  const what = `Backfill ${escapeMrkdwn(b.customer)} ${b.scorecardId ? `scorecard ${escapeMrkdwn(b.scorecardId)}` : escapeMrkdwn(b.label)}`;
  const link = b.threadTs ? `<${permalink(b.channel, b.threadTs)}|${what}>` : what;
  const rows = b.historicRows !== null && (b.status === 'done' || b.status === 'done_with_remainder') ? ` (${plural(b.historicRows, 'row')} written)` : '';
  const approver = b.decidedBy ? `, ${b.status === 'denied' ? 'denied' : 'approved'} by ${who(b.decidedBy)}` : '';
  return `${link} · ${BACKFILL_STATUS[b.status] ?? escapeMrkdwn(b.status)}${rows} · asked by ${who(b.requester)}${approver} · ${formatDateTime(b.createdAt.toISOString())}`;
}

/** A heading and its lines in one section, the oldest lines dropped (and counted) beyond Slack's section limit. */
function listSection(heading: string, lines: string[], empty: string): KnownBlock {
  if (lines.length === 0) return mrkdwnSection(`${heading}\n${empty}`);
  const kept = [...lines];
  const text = (): string => `${heading}\n${kept.join('\n')}${kept.length < lines.length ? `\n…and ${formatInt(lines.length - kept.length)} older` : ''}`;
  while (kept.length > 1 && text().length > SLACK_LIMITS.sectionText) kept.pop();
  return mrkdwnSection(text());
}

export function recentBlocks(recent: { runs: RecentRun[]; backfills: RecentBackfill[] }): KnownBlock[] {
  return [
    listSection('*Recent runs in your channels*', recent.runs.map(runLine), '_None yet. `/scorecard-gap <customer> <period>` in one of the bot\'s channels starts one._'),
    listSection('*Recent backfills in your channels*', recent.backfills.map(backfillLine), '_None yet._'),
    { type: 'divider' },
  ];
}
