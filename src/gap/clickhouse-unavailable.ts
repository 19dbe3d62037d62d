import { ClickHouseError } from '@clickhouse/client';
import { ZodError } from 'zod';

// Why ClickHouse could not be compared, in words a person can act on. Built from error codes only, never from
// the error's message: a driver message can carry the URL (and its credentials); the log gets the full error.

const NETWORK: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

// ClickHouse's own error names (stable identifiers, e.g. AUTHENTICATION_FAILED), grouped by what to do about them.
const BY_TYPE: Record<string, string> = {
  AUTHENTICATION_FAILED: 'credentials refused',
  REQUIRED_PASSWORD: 'credentials refused',
  WRONG_PASSWORD: 'credentials refused',
  UNKNOWN_USER: 'credentials refused',
  ACCESS_DENIED: 'the user may not read the table',
  UNKNOWN_DATABASE: 'the configured database does not exist',
  UNKNOWN_TABLE: 'the configured table does not exist',
  TIMEOUT_EXCEEDED: 'a query exceeded its time limit',
  TOO_MANY_SIMULTANEOUS_QUERIES: 'the server is overloaded',
  MEMORY_LIMIT_EXCEEDED: 'a query exceeded its memory limit',
};

/** A short reason such as "connection refused"; rendered as "ClickHouse: unavailable (connection refused)". */
export function clickhouseUnavailableReason(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (err instanceof ClickHouseError) {
    const known = err.type ? BY_TYPE[err.type] : undefined;
    return known ?? `query failed (ClickHouse error ${/^[A-Z_]+$/.test(err.type ?? '') ? err.type : err.code})`;
  }
  if (err instanceof ZodError) return 'unexpected answer from ClickHouse';
  if (typeof e?.code === 'string' && NETWORK[e.code]) return NETWORK[e.code]!;
  const message = typeof e?.message === 'string' ? e.message : '';
  if (/timeout/i.test(message)) return 'no answer within the request timeout (clickhouse.requestTimeoutMs)';
  if (/socket hang up|ECONNRESET/i.test(message)) return 'connection reset';
  return 'unexpected error (details in the bot log)';
}
