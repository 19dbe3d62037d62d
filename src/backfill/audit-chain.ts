import { hashPrefix } from './plan-hash.js';

// Checking the audit log's hash chain (migration 0006). The database recomputes each row's hash with the same
// function its insert trigger used (BackfillStore.auditChainPage); this pure part walks the rows in id order and
// finds the first break. Rows come in pages, so the walk carries its state from one page to the next.

export interface AuditChainRow {
  id: string;
  requestId: string;
  action: string;
  actor: string;
  at: Date;
  prevHash: string | null;
  hash: string | null;
  /** The hash the database computes now from the row's stored content and its stored prev_hash. */
  recomputed: string | null;
}

export interface ChainState {
  rows: number;
  last: { id: string; hash: string | null } | null;
}

/**
 * edited: the row's content (or its prev_hash) no longer gives its stored hash.
 * removed: the row's prev_hash is not the previous row's hash (or, for the first row, not the genesis value), so
 * at least one row between them is gone (or the previous row was rewritten together with its hash).
 */
export type ChainBreak =
  | { kind: 'edited'; row: AuditChainRow; intactBefore: number }
  | { kind: 'removed'; row: AuditChainRow; after: { id: string; hash: string | null } | null; intactBefore: number };

export type ChainVerdict = { intact: true; rows: number; lastId: string | null; lastHash: string | null } | { intact: false; break: ChainBreak };

export const startChain = (): ChainState => ({ rows: 0, last: null });

/** Walks one page (in id order); returns the state after it, or the first break. */
export function walkChain(state: ChainState, page: readonly AuditChainRow[], genesis: string): { state: ChainState } | { break: ChainBreak } {
  let { rows, last } = state;
  for (const row of page) {
    // Content first: an edited row still links to its predecessor, and saying "edited" names the row itself.
    if (row.hash === null || row.recomputed !== row.hash) return { break: { kind: 'edited', row, intactBefore: rows } };
    const expected = last === null ? genesis : last.hash;
    if (row.prevHash !== expected) return { break: { kind: 'removed', row, after: last, intactBefore: rows } };
    rows += 1;
    last = { id: row.id, hash: row.hash };
  }
  return { state: { rows, last } };
}

export function finishChain(state: ChainState): ChainVerdict {
  return { intact: true, rows: state.rows, lastId: state.last?.id ?? null, lastHash: state.last?.hash ?? null };
}

const rowName = (r: AuditChainRow): string => `row ${r.id} (${r.requestId}, ${r.action} by ${r.actor} at ${r.at.toISOString()})`;

/** What a person reads: one line for an intact chain, two (what broke, what it means) for a broken one. */
export function describeVerdict(v: ChainVerdict): string {
  if (v.intact) {
    if (v.rows === 0) return 'audit trail intact: 0 rows (nothing written yet)';
    return `audit trail intact: ${v.rows} rows, last hash ${hashPrefix(v.lastHash ?? '')}… (row ${v.lastId}; full hash ${v.lastHash})`;
  }
  const b = v.break;
  const before = `the ${b.intactBefore} row${b.intactBefore === 1 ? '' : 's'} before it chain correctly`;
  if (b.kind === 'edited') {
    return `audit trail broken: ${rowName(b.row)} was edited after it was written: its stored hash is not the hash of its content.\n${before}.`;
  }
  const where =
    b.after === null
      ? 'its prev_hash is not the genesis value, so one or more rows before it were removed'
      : `its prev_hash is not the hash of row ${b.after.id}, the row before it, so one or more rows after row ${b.after.id} were removed (or row ${b.after.id} was replaced together with its hash)`;
  return `audit trail broken before ${rowName(b.row)}: ${where}.\n${before}.`;
}

/** The verdict as plain data for --json. */
export function verdictAsData(v: ChainVerdict): Record<string, unknown> {
  if (v.intact) return { intact: true, rows: v.rows, lastId: v.lastId, lastHash: v.lastHash, message: describeVerdict(v) };
  const { row } = v.break;
  return {
    intact: false,
    kind: v.break.kind,
    rowsIntact: v.break.intactBefore,
    row: { id: row.id, requestId: row.requestId, action: row.action, actor: row.actor, at: row.at.toISOString() },
    ...(v.break.kind === 'removed' ? { afterId: v.break.after?.id ?? null } : {}),
    message: describeVerdict(v),
  };
}
