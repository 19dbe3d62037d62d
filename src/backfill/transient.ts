import { BotError } from '../shared/errors.js';

// Which failures of a writer or ops-database call an outage explains (a failover, a restart, a dropped
// connection, a full server), so the chunk waits and retries within backfill.retryBudget; anything else (a
// constraint, a permission, bad SQL) will not heal by waiting and fails after backfill.chunkAttempts.

const TRANSIENT_SQLSTATE = /^(08...|57P0[1-3]|53300|40001|40P01)$/;
const TRANSIENT_NODE = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
const TRANSIENT_TEXT = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|socket hang up|read ECONNRESET/i;

export function isTransient(err: unknown): boolean {
  if (err instanceof BotError) return err.code === 'SOURCE_UNAVAILABLE' || err.code === 'SOURCE_STALLED';
  const e = err as { code?: unknown; message?: unknown; cause?: unknown } | null;
  if (!e) return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (TRANSIENT_SQLSTATE.test(code) || TRANSIENT_NODE.has(code)) return true;
  if (typeof e.message === 'string' && TRANSIENT_TEXT.test(e.message)) return true;
  return e.cause !== undefined && e.cause !== err ? isTransient(e.cause) : false;
}

/** "2m" → 120000 (backfill.retryBudget). */
export function durationMs(text: string): number {
  const m = /^(\d+)(s|m|h)$/.exec(text);
  if (!m) throw new BotError('BAD_CONFIG', `"${text}" is not a duration.`, { hint: 'For example: 2m' });
  return Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'];
}
