import { formatInt as n, plural, truncate } from '../shared/format.js';
import { textTable } from '../shared/text-table.js';
import { resultLines } from './backfill-blocks.js';
import type { BackfillResult } from './job.js';
import { LEFT_ALONE_REASONS, WRITE_REASONS } from './plan.js';
import { hashPrefix } from './plan-hash.js';
import { STATUS_MEANING } from './status.js';
import type { AuditEntry, BackfillRequest, RequestSummary } from './store.js';

// Requests for the terminal (`backfill list`, `backfill status`): what an operator reads when Slack is down.
// Pure: rows in, text or plain data out. Times are UTC, like everything the bot prints.

/** 2026-01-31T14:03:07Z -> '2026-01-31 14:03' (the headers say UTC). */
const when = (d: Date | null): string => (d ? d.toISOString().slice(0, 16).replace('T', ' ') : '–');

/** Slack's <@U123> mention as plain text: the Decision messages are written for Slack. */
export const plainMentions = (text: string): string => text.replace(/<@([A-Za-z0-9._:-]+)>/g, '@$1');

function scopeLabel(r: Pick<BackfillRequest, 'scope'>): string {
  return r.scope.scorecardId ? `scorecard ${r.scope.scorecardId}` : r.scope.label;
}

export function renderRequestList(rows: readonly RequestSummary[]): string {
  if (rows.length === 0) return 'no backfill requests match';
  return textTable({
    columns: [
      { header: 'id', align: 'left' },
      { header: 'customer', align: 'left' },
      { header: 'scope', align: 'left' },
      { header: 'status', align: 'left' },
      { header: 'requester', align: 'left' },
      { header: 'approver', align: 'left' },
      { header: 'created (UTC)', align: 'left' },
      { header: 'finished (UTC)', align: 'left' },
      { header: 'historic rows written', align: 'right' },
    ],
    rows: rows.map((r) => [
      r.id,
      r.customer,
      truncate(scopeLabel(r), 40),
      r.status,
      r.requester,
      r.decidedBy ?? '–',
      when(r.createdAt),
      when(r.finishedAt),
      r.startedAt || r.historicRowsWritten > 0 ? n(r.historicRowsWritten) : '–',
    ]),
  });
}

export function requestListAsData(rows: readonly RequestSummary[]): Record<string, unknown>[] {
  return rows.map((r) => ({
    id: r.id,
    customer: r.customer,
    scope: scopeLabel(r),
    status: r.status,
    requester: r.requester,
    approver: r.decidedBy,
    cancelledBy: r.cancelledBy,
    createdAt: r.createdAt.toISOString(),
    finishedAt: r.finishedAt?.toISOString() ?? null,
    chunksDone: r.chunksDone,
    historicRowsWritten: r.historicRowsWritten,
  }));
}

export interface RequestStatus {
  request: BackfillRequest;
  /** Scorecards the plan writes (items with a seq), and the chunks they make once the job fixed its chunk size. */
  toWrite: number;
  chunks: number | null;
  chunksDone: number;
  historicRowsWritten: number;
  audit: AuditEntry[];
}

/** The job's result, when the stored one has its shape (it is JSON in the ops database). */
function asResult(x: unknown): BackfillResult | null {
  return x && typeof x === 'object' && 'status' in x && 'chunks' in x ? (x as BackfillResult) : null;
}

function detailText(detail: unknown): string {
  return detail === null || detail === undefined ? '' : truncate(JSON.stringify(detail), 80);
}

export function renderRequestStatus(s: RequestStatus): string {
  const r = s.request;
  const lines: string[] = [];
  lines.push(`Backfill ${r.id}: ${r.customer}, ${scopeLabel(r)}`);
  lines.push(`  status: ${r.status} (${STATUS_MEANING[r.status]})`);
  lines.push(`  requested by ${r.requester} in ${r.channel} at ${when(r.createdAt)} UTC; ${r.status === 'pending' ? 'expires' : 'expiry was'} ${when(r.expiresAt)} UTC`);
  if (r.decidedBy) lines.push(`  ${r.status === 'denied' ? 'denied' : 'approved'} by ${r.decidedBy} at ${when(r.decidedAt)} UTC`);
  if (r.cancelledBy) lines.push(`  cancelled by ${r.cancelledBy}`);
  if (r.startedAt) lines.push(`  started ${when(r.startedAt)} UTC, ${r.finishedAt ? `finished ${when(r.finishedAt)} UTC` : 'not finished'}`);
  else if (r.finishedAt) lines.push(`  finished ${when(r.finishedAt)} UTC`);
  const p = r.plan;
  if (p) {
    const byReason = WRITE_REASONS.filter((k) => p.toWrite.byReason[k] > 0).map((k) => `${k} ${n(p.toWrite.byReason[k])}`);
    const left = LEFT_ALONE_REASONS.filter((k) => p.leftAlone[k] > 0).map((k) => `${k} ${n(p.leftAlone[k])}`);
    lines.push(`  plan: ${plural(p.toWrite.scorecards, 'scorecard')} to write${byReason.length ? ` (${byReason.join(', ')})` : ''}, ${n(p.toWrite.historicRows)} historic rows`);
    lines.push(`  left alone: ${left.length ? left.join(', ') : 'nothing'}`);
    lines.push(`  plan hash: ${hashPrefix(p.hash)}   target: ${p.target ?? 'none (no writer connection: cannot be approved)'}`);
  } else {
    lines.push('  plan: not computed');
  }
  lines.push(
    s.chunks === null
      ? `  chunks: not started (${plural(s.toWrite, 'scorecard')} to write; the chunk size is fixed when the job starts)`
      : `  chunks: ${n(s.chunksDone)} of ${n(s.chunks)} done, ${n(s.historicRowsWritten)} historic rows written`,
  );
  const result = asResult(r.result);
  if (result) {
    for (const l of resultLines(r, result)) lines.push(`  result: ${l}`);
    lines.push(`  written: ${n(result.historicRows)} historic rows, ${n(result.clickhouseRows)} ClickHouse rows; ${n(result.alreadyPresent)} scorecards already present`);
  }
  if (r.error) lines.push(`  error: ${r.error}`);
  lines.push('');
  lines.push('  audit trail:');
  const table = textTable({
    columns: [
      { header: 'at (UTC)', align: 'left' },
      { header: 'actor', align: 'left' },
      { header: 'action', align: 'left' },
      { header: 'detail', align: 'left' },
    ],
    rows: s.audit.map((a) => [a.at.toISOString().replace('T', ' ').slice(0, 19), a.actor, a.action, detailText(a.detail)]),
  });
  for (const l of table.split('\n')) lines.push(`  ${l}`);
  return lines.join('\n');
}

export function requestStatusAsData(s: RequestStatus): Record<string, unknown> {
  const r = s.request;
  const p = r.plan;
  return {
    id: r.id,
    customer: r.customer,
    scope: r.scope,
    status: r.status,
    requester: r.requester,
    channel: r.channel,
    decidedBy: r.decidedBy,
    cancelledBy: r.cancelledBy,
    createdAt: r.createdAt.toISOString(),
    expiresAt: r.expiresAt.toISOString(),
    decidedAt: r.decidedAt?.toISOString() ?? null,
    startedAt: r.startedAt?.toISOString() ?? null,
    finishedAt: r.finishedAt?.toISOString() ?? null,
    plan: p ? { hash: p.hash, target: p.target, writerConfigured: p.writerConfigured, toWrite: p.toWrite, leftAlone: p.leftAlone, before: p.before } : null,
    progress: { toWrite: s.toWrite, chunks: s.chunks, chunksDone: s.chunksDone, historicRowsWritten: s.historicRowsWritten },
    result: r.result,
    error: r.error,
    audit: s.audit.map((a) => ({ id: a.id, at: a.at.toISOString(), actor: a.actor, action: a.action, channel: a.channel, planHash: a.planHash, detail: a.detail })),
  };
}
