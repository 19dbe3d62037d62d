import type { ActionsBlock, Button, KnownBlock, RawTextElement, TableBlock } from '@slack/types';
import { formatDuration, formatInt, plural, truncate } from '../shared/format.js';
import type { SlackMessage } from '../slack/slack-message.js';
import { contextLine, escapeMrkdwn, mention, mrkdwnSection } from '../slack/mrkdwn.js';
import type { BackfillProgress, BackfillResult, PopulationCounts } from './job.js';
import type { BackfillPlan, PlanProgress } from './plan.js';
import { PLAN_SAMPLES_SHOWN, samplesShowAll } from './plan-csv.js';
import { LEFT_ALONE_REASONS, WRITE_REASONS } from './plan.js';
import { hashPrefix } from './plan-hash.js';
import { REASON_TEXT } from './render-plan.js';
import type { BackfillRequest } from './store.js';

// Block Kit for the backfill thread (pure: a request in, message JSON out). The plan message carries Approve /
// Deny / Cancel while the request is pending; every decision replaces those buttons with a record of who did what,
// when. The progress message is edited in place with a Cancel button; the result message shows before → after.

export const ACTION = {
  approve: 'backfill_approve',
  deny: 'backfill_deny',
  cancel: 'backfill_cancel',
  cancelRun: 'backfill_cancel_run',
} as const;

/** Approve and Deny carry the request ID and the hash of the plan the person saw: "<id> <hash>". */
export function decisionValue(requestId: string, planHash: string): string {
  return `${requestId} ${planHash}`;
}

export function parseDecisionValue(value: string): { requestId: string; planHash: string } | null {
  const m = /^(bf-[A-Za-z0-9-]{1,80}) ([0-9a-f]{64})$/.exec(value.trim());
  return m ? { requestId: m[1]!, planHash: m[2]! } : null;
}

export function parseRequestId(value: string): string | null {
  const v = value.trim();
  return /^bf-[A-Za-z0-9-]{1,80}$/.test(v) ? v : null;
}

/** "14:03 UTC on 2026-12-02" */
export function formatClock(d: Date): string {
  const iso = d.toISOString();
  return `${iso.slice(11, 16)} UTC on ${iso.slice(0, 10)}`;
}

const n = formatInt;

function subject(req: Pick<BackfillRequest, 'scope'>): string {
  return `${req.scope.customer}, ${req.scope.label}`;
}

function cell(text: string): RawTextElement {
  return { type: 'raw_text', text: truncate(text === '' ? '–' : text, 200) };
}

function button(text: string, actionId: string, value: string, style?: 'primary' | 'danger'): Button {
  return { type: 'button', action_id: actionId, text: { type: 'plain_text', text }, value, ...(style ? { style } : {}) };
}

/** The line that replaces the buttons once the request is no longer pending; null while it is. */
export function decisionRecord(req: BackfillRequest, at?: Date): string | null {
  const when = (d: Date | null | undefined) => formatClock(d ?? at ?? new Date());
  switch (req.status) {
    case 'planning':
    case 'pending':
      return null;
    case 'denied':
      return `:no_entry_sign: Denied by ${mention(req.decidedBy ?? '?')} at ${when(req.decidedAt)}. Nothing was written.`;
    case 'expired':
      return `:hourglass: Expired at ${when(req.expiresAt)}: nobody decided in time. Request it again for a fresh plan.`;
    case 'cancelled':
    case 'cancelling': {
      const approved = req.decidedBy ? `Approved by ${mention(req.decidedBy)} at ${when(req.decidedAt)}; ` : '';
      return `:heavy_multiplication_x: ${approved}cancelled by ${mention(req.cancelledBy ?? '?')}${req.status === 'cancelling' ? ': stopping after the current chunk' : ` at ${when(req.finishedAt)}`}.`;
    }
    case 'done':
      if (req.plan && req.plan.toWrite.scorecards === 0) return `:white_check_mark: Nothing to write: no scorecard of this scope is missing from historic${req.scope.clickhouse ? ' or ClickHouse' : ''}, so no approval is needed.`;
      return `:white_check_mark: Approved by ${mention(req.decidedBy ?? '?')} at ${when(req.decidedAt)}. Requested by ${mention(req.requester)}.`;
    case 'lost':
      return `:warning: The planner stopped before the plan was ready (its process died). Nothing was written; request it again.`;
    case 'failed':
      if (!req.decidedBy) return `:x: The plan could not be computed: ${escapeMrkdwn(req.error ?? 'no reason given')}`;
    // falls through: approved, then the job failed; the thread says why
    default:
      return `:white_check_mark: Approved by ${mention(req.decidedBy ?? '?')} at ${when(req.decidedAt)}. Requested by ${mention(req.requester)}.`;
  }
}

/** While the plan job scans: how far it is, and Cancel. */
export function planningMessage(req: Pick<BackfillRequest, 'id' | 'scope' | 'requester'>, p?: PlanProgress | null): SlackMessage {
  const where = p ? ` · day ${n(p.daysDone)} of ${n(p.days)} · ${n(p.scanned)} scorecards scanned, ${n(p.toWrite)} to write so far` : '';
  const line = `:mag: *Backfill plan* · ${escapeMrkdwn(subject(req))} · requested by ${mention(req.requester)}\nPlanning (read-only)${where}…`;
  return {
    text: truncate(`Backfill plan for ${subject(req)}: planning${where}`, 3000),
    blocks: [
      mrkdwnSection(line),
      contextLine(`request \`${req.id}\``),
      { type: 'actions', block_id: `backfill_decide:${req.id}`.slice(0, 255), elements: [button('Cancel', ACTION.cancel, req.id)] },
    ],
  };
}

const SAMPLE_CLASSES = [
  ['missing', 'missing from historic', (p: BackfillPlan) => p.toWrite.byReason.missing],
  ['partial', 'partial in historic', (p: BackfillPlan) => p.toWrite.byReason.partial],
  ['clickhouse_only', 'missing from ClickHouse only', (p: BackfillPlan) => p.toWrite.byReason.clickhouse_only],
  ['no_scores', 'left alone, no scores', (p: BackfillPlan) => p.leftAlone.no_scores],
  ['conversation_missing', 'left alone, conversation missing', (p: BackfillPlan) => p.leftAlone.conversation_missing],
] as const;

/** "• missing from historic (1,165): `a`, `b`, … and 1,160 more": a line a class the plan has, 5 IDs at most. */
function sampleLines(plan: BackfillPlan): string[] {
  return SAMPLE_CLASSES.flatMap(([reason, label, count]) => {
    const ids = (plan.samples[reason] ?? []).slice(0, PLAN_SAMPLES_SHOWN);
    if (ids.length === 0) return [];
    const more = count(plan) - ids.length;
    return [`• ${label} (${n(count(plan))}): ${ids.map((id) => `\`${id}\``).join(', ')}${more > 0 ? ` and ${n(more)} more` : ''}`];
  });
}

/** The plan posted in the thread: counts, what is left alone and why, samples, hash, expiry, and the decision. */
export function planMessage(req: BackfillRequest, opts: { at?: Date } = {}): SlackMessage {
  const plan = req.plan;
  if (!plan) {
    const record = decisionRecord(req, opts.at);
    if (record === null) return planningMessage(req);
    return { text: truncate(`Backfill ${subject(req)}: ${record.replace(/^:[a-z_]+: /, '')}`, 3000), blocks: [mrkdwnSection(`*Backfill plan* · ${escapeMrkdwn(subject(req))}\n${record}`), contextLine(`request \`${req.id}\``)] };
  }
  const s = plan.scope;
  const blocks: KnownBlock[] = [];
  blocks.push(
    mrkdwnSection(
      `:clipboard: *Backfill plan* · ${escapeMrkdwn(subject(req))} · requested by ${mention(req.requester)}\n` +
        `Writes *${n(plan.toWrite.scorecards)}* of ${n(plan.scanned)} scorecards scanned: ` +
        `*${n(plan.toWrite.historicRows)}* historic rows` +
        (s.clickhouse ? `, up to ${n(plan.toWrite.clickhouseRows)} ClickHouse rows.` : '; ClickHouse is not part of this backfill.'),
    ),
  );
  const reasons = WRITE_REASONS.filter((r) => plan.toWrite.byReason[r] > 0).map((r) => `• ${n(plan.toWrite.byReason[r])} ${REASON_TEXT[r]}`);
  const missingNow =
    `*Missing now* · historic: ${n(plan.before.historic.submitted)} submitted, ${n(plan.before.historic.unsubmitted)} unsubmitted` +
    (s.clickhouse ? ` · ClickHouse: ${n(plan.before.clickhouse.submitted)} submitted, ${n(plan.before.clickhouse.unsubmitted)} unsubmitted` : '');
  blocks.push(mrkdwnSection([missingNow, ...reasons].join('\n')));
  const table: TableBlock = {
    type: 'table',
    column_settings: [{ is_wrapped: true }, { align: 'right' }],
    rows: [[cell('Left alone'), cell('Scorecards')], ...LEFT_ALONE_REASONS.map((r) => [cell(REASON_TEXT[r]), cell(n(plan.leftAlone[r]))])],
  };
  blocks.push(table);
  const samples = sampleLines(plan);
  if (samples.length > 0) {
    const csv = samplesShowAll(plan) ? '' : ': the full list is in the CSV below';
    blocks.push(contextLine([`Samples, at most ${PLAN_SAMPLES_SHOWN} a class${csv}`, ...samples].join('\n')));
  }
  if (!plan.writerConfigured) {
    blocks.push(mrkdwnSection(`:warning: ${escapeMrkdwn(s.customer)} has no writer connection configured, so this plan cannot be approved.`));
  }
  blocks.push(
    contextLine(
      `Target: ${escapeMrkdwn(plan.target ?? 'none')} · plan \`${hashPrefix(plan.hash)}\` · expires ${formatClock(req.expiresAt)} · request \`${req.id}\``,
    ),
  );
  const record = decisionRecord(req, opts.at);
  if (record === null) {
    const actions: ActionsBlock = {
      type: 'actions',
      block_id: `backfill_decide:${req.id}`.slice(0, 255),
      elements: [
        {
          ...button('Approve', ACTION.approve, decisionValue(req.id, plan.hash), 'primary'),
          confirm: {
            title: { type: 'plain_text', text: 'Approve this backfill?' },
            text: { type: 'mrkdwn', text: truncate(`Write ${n(plan.toWrite.historicRows)} historic rows for ${escapeMrkdwn(subject(req))} (plan ${hashPrefix(plan.hash)}).`, 300) },
            confirm: { type: 'plain_text', text: 'Approve' },
            deny: { type: 'plain_text', text: 'Back' },
          },
        },
        button('Deny', ACTION.deny, decisionValue(req.id, plan.hash), 'danger'),
        button('Cancel', ACTION.cancel, req.id),
      ],
    };
    blocks.push(actions);
  } else {
    blocks.push(mrkdwnSection(record));
  }
  const state = record === null ? 'waiting for an approver' : record.replace(/^:[a-z_]+: /, '');
  return {
    text: truncate(`Backfill plan for ${subject(req)}: ${plural(plan.toWrite.scorecards, 'scorecard')}, ${n(plan.toWrite.historicRows)} historic rows; ${state}`, 3000),
    blocks,
  };
}

/** The anchor of a request that has no thread yet (a check answered ephemerally). */
export function anchorMessage(customer: string, label: string, requester: string): SlackMessage {
  const t = `Backfill requested by ${mention(requester)}: ${escapeMrkdwn(customer)}, ${escapeMrkdwn(label)}. The plan follows in the thread.`;
  return { text: t, blocks: [mrkdwnSection(`:inbox_tray: ${t}`)] };
}

function eta(seconds: number | null): string {
  return seconds === null ? 'ETA after the first chunk' : `about ${formatDuration(seconds * 1000)} left`;
}

export type ProgressState =
  | { phase: 'queued'; approvedBy: string }
  | { phase: 'running'; progress: BackfillProgress }
  | { phase: 'cancelling'; by: string; progress: BackfillProgress | null }
  | { phase: 'cancelled_before_start'; by: string }
  | { phase: 'failed'; error: string }
  | { phase: 'ended'; result: BackfillResult; cancelledBy?: string | null };

/** The one progress message of a run, edited in place; Cancel while the job can still stop. */
export function progressMessage(req: Pick<BackfillRequest, 'id' | 'scope'>, state: ProgressState): SlackMessage {
  const head = `*Backfill* · ${escapeMrkdwn(subject(req))}`;
  const counts = (p: { chunksDone: number; chunks: number; historicRows: number; clickhouseRows: number }) =>
    `chunk ${n(p.chunksDone)} of ${n(p.chunks)} · ${n(p.historicRows)} historic rows written` + (req.scope.clickhouse ? ` · ${n(p.clickhouseRows)} ClickHouse rows` : '');
  let line: string;
  let cancellable = false;
  switch (state.phase) {
    case 'queued':
      line = `:hourglass_flowing_sand: Approved by ${mention(state.approvedBy)}; queued, waiting for a worker.`;
      cancellable = true;
      break;
    case 'running': {
      const p = state.progress;
      line = p.waiting
        ? `:hourglass: Waiting for ${escapeMrkdwn(p.waiting.what)}, retry ${n(p.waiting.retry)}: ${counts(p)}`
        : p.chunks > 0 && p.chunksDone >= p.chunks
          ? // Every chunk is in; the verification scan has no ETA to give (and "about 0.0 s left" would be wrong).
            `:arrows_counterclockwise: Verifying: ${counts(p)} · ${n(p.rowsPerSecond)} rows/s · every chunk written; verifying…`
          : `:arrows_counterclockwise: Running: ${counts(p)} · ${n(p.rowsPerSecond)} rows/s · ${eta(p.etaSeconds)}`;
      cancellable = true;
      break;
    }
    case 'cancelling':
      line = `:heavy_multiplication_x: Cancelled by ${mention(state.by)}: stopping after the current chunk${state.progress ? ` (${counts(state.progress)})` : ''}.`;
      break;
    case 'cancelled_before_start':
      line = `:heavy_multiplication_x: Cancelled by ${mention(state.by)} before the job started: nothing was written.`;
      break;
    case 'failed':
      line = `:x: Failed: ${escapeMrkdwn(state.error)}`;
      break;
    case 'ended': {
      const r = state.result;
      const what = {
        done: ':white_check_mark: Done',
        done_with_remainder: ':large_orange_circle: Done, with a remainder',
        failed: ':x: Failed',
        cancelled: `:heavy_multiplication_x: Stopped${state.cancelledBy ? ` (cancelled by ${mention(state.cancelledBy)})` : ''}`,
        not_started: ':heavy_multiplication_x: Not started',
      }[r.status];
      const late = r.finishedBeforeCancelBy ? ` · finished before the cancel by ${mention(r.finishedBeforeCancelBy)} took effect` : '';
      line = `${what}: ${counts(r)} · ${formatDuration(r.elapsedMs)}${late}`;
      break;
    }
  }
  const blocks: KnownBlock[] = [mrkdwnSection(`${head}\n${line}`), contextLine(`request \`${req.id}\``)];
  if (cancellable) {
    blocks.push({ type: 'actions', block_id: `backfill_run:${req.id}`.slice(0, 255), elements: [button('Cancel', ACTION.cancelRun, req.id, 'danger')] });
  }
  return { text: truncate(`Backfill ${subject(req)}: ${line.replace(/^:[a-z_]+: /, '')}`, 3000), blocks };
}

function beforeAfter(before: PopulationCounts | null | undefined, after: PopulationCounts | null | undefined, pop: keyof PopulationCounts): string {
  return `${n(before?.[pop] ?? 0)} → ${n(after?.[pop] ?? 0)}`;
}

/** Before and after per population and tier: "rentokil, Jan 2026, submitted: 1,165 missing → 0; ClickHouse: 2 → 0". */
export function resultLines(req: Pick<BackfillRequest, 'scope'>, r: BackfillResult): string[] {
  if (!r.before || !r.after) return [];
  const { before, after } = r;
  return (['submitted', 'unsubmitted'] as const).map((pop) => {
    const ch = before.clickhouse || after.clickhouse ? `; ClickHouse: ${beforeAfter(before.clickhouse, after.clickhouse, pop)}` : '';
    return `${subject(req)}, ${pop}: ${beforeAfter(before.historic, after.historic, pop).replace(' →', ' missing →')}${ch}`;
  });
}

/** Posted in the thread when the job ends. */
export function resultMessage(req: Pick<BackfillRequest, 'id' | 'scope'>, r: BackfillResult, cancelledBy?: string | null): SlackMessage {
  const lines = resultLines(req, r);
  const title = {
    done: ':white_check_mark: *Backfill done*: the gap scan finds nothing left of the plan.',
    done_with_remainder: ':large_orange_circle: *Backfill done, with a remainder*: the gap scan still finds scorecards missing.',
    failed: ':x: *Backfill failed*',
    cancelled: `:heavy_multiplication_x: *Backfill stopped*${cancelledBy ? ` (cancelled by ${mention(cancelledBy)})` : ''} after ${n(r.chunksDone)} of ${n(r.chunks)} chunks; a new request plans what is left.`,
    not_started: ':heavy_multiplication_x: *Backfill not started*',
  }[r.status];
  const body: string[] = [title];
  if (r.finishedBeforeCancelBy) body.push(`It finished before the cancel by ${mention(r.finishedBeforeCancelBy)} took effect: every chunk was already written.`);
  if (r.error) body.push(`> ${escapeMrkdwn(r.error)}`);
  if (r.changedSinceApproval && r.changedSinceApproval.count > 0) {
    const c = r.changedSinceApproval;
    const samples = c.samples.slice(0, 5).map((id) => `\`${id}\``).join(', ');
    body.push(`:warning: ${plural(c.count, 'scorecard')} changed since approval: left alone; request again to include them (${samples}).`);
  }
  if (r.status === 'failed') body.push('A new request plans and writes the remainder; committed chunks are not written twice.');
  body.push(...lines.map((l) => `• ${escapeMrkdwn(l)}`));
  body.push(`Written: ${n(r.historicRows)} historic rows, ${n(r.clickhouseRows)} ClickHouse rows; ${n(r.alreadyPresent)} scorecards already present; ${n(r.rowsPerSecond)} rows/s.`);
  const blocks: KnownBlock[] = [mrkdwnSection(body.join('\n'))];
  if (r.remainder && r.remainder.length > 0) {
    const list = r.remainder.map((i) => `\`${i.scorecardId}\` ${i.reason}`).join(', ');
    blocks.push(contextLine(`Still missing, left alone by the plan: ${list}`));
  }
  blocks.push(contextLine(`request \`${req.id}\``));
  const text = lines.length > 0 ? lines.join('; ') : (r.error ?? title.replace(/[*]|:[a-z_]+: /g, ''));
  return { text: truncate(`Backfill ${r.status.replaceAll('_', ' ')}: ${text}`, 3000), blocks };
}

/** Posted when the job failed for good outside its chunks (e.g. the ops database was unreachable on every try). */
export function failureMessage(req: Pick<BackfillRequest, 'id' | 'scope'>, error: string): SlackMessage {
  const body = `:x: *Backfill failed*: ${escapeMrkdwn(subject(req))}\n> ${escapeMrkdwn(error)}\nCommitted chunks stay written and are never written twice; a new request plans and writes the remainder.`;
  return { text: truncate(`Backfill failed: ${error}`, 3000), blocks: [mrkdwnSection(body), contextLine(`request \`${req.id}\``)] };
}
