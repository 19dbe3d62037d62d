import type { KnownBlock } from '@slack/types';
import type { GapReport } from '../core/report.js';
import { verdictSentence } from './finding-sentences.js';
import { partialSentence } from './settle-sentences.js';
import { formatDuration, formatInt, plural } from '../../shared/format.js';
import type { SlackMessage } from '../../slack/slack-message.js';
import { contextLine, escapeMrkdwn, mention, mrkdwnSection } from '../../slack/mrkdwn.js';

// The root message in the channel: edited in place as the investigation runs (queued -> running -> done or
// failed); the details go in its thread.

interface Subject {
  customer: string;
  /** The period's label, e.g. 'Jan 2026'. */
  periodLabel: string;
  /** Slack user id (or a name) of whoever asked. */
  requestedBy?: string;
}

export type RootState =
  | (Subject & { status: 'queued'; /** Runs ahead of this one, when known. */ ahead?: number })
  | (Subject & {
      status: 'running';
      windowsDone: number;
      windowsTotal: number;
      /** An `all` run: customers whose reports are in, out of all of them. */
      customers?: { done: number; total: number };
      /** Picked up again after a worker died mid-run. */
      resumed?: boolean;
      /** What a retry is waiting for, e.g. 'the database of acme, retry 2 of 5'. */
      waiting?: string;
      /** The look-back past the months scanned, e.g. 'looking back: 2025-07, 12/31 windows'. */
      lookback?: string;
    })
  | (Subject & { status: 'lost'; reason: string })
  | { status: 'done'; report: GapReport; requestedBy?: string }
  | (Subject & { status: 'failed'; message: string; hint?: string; window?: string });

export const PROGRESS_BAR_WIDTH = 20;

/** '███████░░░░░░░░░░░░░' for done/total, always `width` characters. */
export function progressBar(done: number, total: number, width = PROGRESS_BAR_WIDTH): string {
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const filled = Math.round(fraction * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

export const VERDICT_EMOJI: Record<GapReport['verdict'], string> = {
  gap: ':red_circle:',
  // Historic has every scorecard, but not all of their criteria: a gap in historic all the same.
  partial_only: ':red_circle:',
  clickhouse_gap_only: ':large_orange_circle:',
  no_gap: ':large_green_circle:',
  // Not green: nothing was found to check, which is a question, not a clean bill of health.
  no_data: ':grey_question:',
};

function who(s: { requestedBy?: string }): string {
  return s.requestedBy ? `Requested by ${mention(s.requestedBy)}` : '';
}

function subjectText(s: Subject): string {
  return `*${escapeMrkdwn(s.customer)}*, ${escapeMrkdwn(s.periodLabel)}`;
}

function withContext(text: string, blocks: KnownBlock[], context: string[]): SlackMessage {
  const line = context.filter((c) => c !== '').join(' · ');
  return { text, blocks: line === '' ? blocks : [...blocks, contextLine(line)] };
}

export function rootMessage(state: RootState): SlackMessage {
  switch (state.status) {
    case 'queued': {
      const ahead = state.ahead && state.ahead > 0 ? ` (${plural(state.ahead, 'investigation')} ahead)` : '';
      const text = `Investigating ${state.customer}, ${state.periodLabel}… queued${ahead}`;
      return withContext(text, [mrkdwnSection(`:hourglass_flowing_sand: Investigating ${subjectText(state)}… queued${ahead}`)], [who(state)]);
    }
    case 'running': {
      const { windowsDone: done, windowsTotal: total } = state;
      const pct = total > 0 ? Math.floor((Math.min(done, total) / total) * 100) : 0;
      const windows = `${formatInt(done)}/${formatInt(total)} windows`;
      const counts = state.customers ? `${formatInt(state.customers.done)}/${formatInt(state.customers.total)} customers, ${windows}` : windows;
      const text = `Investigating ${state.customer}, ${state.periodLabel}… ${counts}`;
      const notes = [state.resumed ? 'resumed after a worker restart' : '', state.waiting ? `waiting for ${state.waiting}` : '', state.lookback ?? ''].filter((n) => n !== '');
      const note = notes.length > 0 ? ` (${notes.join('; ')})` : '';
      const body = `:mag: Investigating ${subjectText(state)}… ${counts}${escapeMrkdwn(note)}\n\`${progressBar(done, total)}\` ${pct}%`;
      return withContext(`${text}${note}`, [mrkdwnSection(body)], [who(state)]);
    }
    case 'lost': {
      const text = `Investigating ${state.customer}, ${state.periodLabel} was lost: ${state.reason}; run it again.`;
      const body = `:warning: Investigating ${subjectText(state)} was lost: ${escapeMrkdwn(state.reason)}; run it again.`;
      return withContext(text, [mrkdwnSection(body)], [who(state)]);
    }
    case 'done': {
      const { report } = state;
      // A gap verdict names the missing; the partial ones, counted apart, get their own line.
      const partial = report.verdict === 'partial_only' ? null : partialSentence(report);
      const verdict = partial === null ? verdictSentence(report) : `${verdictSentence(report)} ${partial}`;
      const emoji = VERDICT_EMOJI[report.verdict];
      const stats = `${plural(report.stats.windows, 'window')}, ${plural(report.stats.queries, 'query', 'queries')} in ${formatDuration(report.stats.elapsedMs)}`;
      return withContext(
        `${verdict} Details in the thread.`,
        [mrkdwnSection(`${emoji} ${escapeMrkdwn(verdict)}\nDetails in the thread.`)],
        [who(state), stats],
      );
    }
    case 'failed': {
      const where = state.window ? ` (window ${escapeMrkdwn(state.window)})` : '';
      const text = `Investigating ${state.customer}, ${state.periodLabel} failed: ${state.message}`;
      const blocks = [mrkdwnSection(`:x: Investigating ${subjectText(state)} failed${where}: ${escapeMrkdwn(state.message)}`)];
      return withContext(text, blocks, [state.hint ? `:bulb: ${escapeMrkdwn(state.hint)}` : '', who(state)]);
    }
  }
}
