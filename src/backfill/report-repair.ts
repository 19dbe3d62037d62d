import type { KnownBlock } from '@slack/types';
import { formatInt } from '../shared/format.js';
import { escapeMrkdwn } from '../slack/mrkdwn.js';
import type { OutgoingMessage } from '../slack/slack-message.js';
import type { BackfillResult, PopulationCounts } from './job.js';

// After a repair the gap report's thread tells the truth: its root says it was repaired, with before → after, and
// its Request backfill button gives way to a link to the backfill. Pure: the messages as they are, in; edited out.

const REPAIRED_BLOCK = 'backfill_repaired';

const total = (p: PopulationCounts | null | undefined): number => (p ? p.submitted + p.unsubmitted : 0);

/** "repaired by backfill bf-…: 1,220 → 0 missing from historic; ClickHouse 2 → 0". */
export function repairLine(requestId: string, r: Pick<BackfillResult, 'before' | 'after' | 'status'>): string {
  const h = `${formatInt(total(r.before?.historic))} → ${formatInt(total(r.after?.historic))} missing from historic`;
  const ch = r.before?.clickhouse || r.after?.clickhouse ? `; ClickHouse ${formatInt(total(r.before?.clickhouse))} → ${formatInt(total(r.after?.clickhouse))}` : '';
  const rest = r.status === 'done_with_remainder' ? ' (a remainder is left; see the backfill)' : '';
  return `repaired by backfill ${requestId}: ${h}${ch}${rest}`;
}

/** The report's root with one repair note (a later repair replaces the earlier note). */
export function repairedRoot(root: OutgoingMessage, requestId: string, r: Pick<BackfillResult, 'before' | 'after' | 'status'>, link: string): OutgoingMessage {
  const line = repairLine(requestId, r);
  const blocks = (root.blocks ?? []).filter((b) => (b as { block_id?: string }).block_id !== REPAIRED_BLOCK);
  const note: KnownBlock = { type: 'context', block_id: REPAIRED_BLOCK, elements: [{ type: 'mrkdwn', text: `:wrench: ${escapeMrkdwn(line.replace(/^r/, 'R'))} · <${link}|the backfill>` }] };
  const text = root.text.replace(/^Repaired by backfill [^·]*· /, '');
  return { text: `${line.replace(/^r/, 'R')} · ${text}`.slice(0, 3000), blocks: [...blocks, note] };
}

/** What replaces the report's Request backfill button once a backfill of it is done. */
export function requestButtonDone(requestId: string, link: string, r: Pick<BackfillResult, 'before' | 'after' | 'status'>): OutgoingMessage {
  const line = repairLine(requestId, r);
  return {
    text: `Backfill done: ${line}`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `:white_check_mark: ${escapeMrkdwn(line.replace(/^r/, 'R'))}: <${link}|see the backfill>. Run the report again for the current numbers.` } }],
  };
}
