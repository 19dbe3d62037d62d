// What /readyz and the logs say about a dependency that does not answer: in plain words, with the address it was
// tried at (host and port only, never a URL with credentials). "Stream isn't writeable and enableOfflineQueue
// options is false" means ioredis has no connection: "not connected".

const CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed',
  '28P01': 'login refused',
  '28000': 'login refused',
  '3D000': 'database does not exist',
  '57P03': 'the database is starting up',
};

function codeOf(err: unknown): string | undefined {
  const e = err as { code?: unknown; errors?: unknown[]; cause?: unknown } | null;
  if (!e) return undefined;
  if (typeof e.code === 'string' && e.code in CODES) return e.code;
  // AggregateError (IPv4 and IPv6 both refused) and wrapped causes.
  for (const inner of [...(Array.isArray(e.errors) ? e.errors : []), e.cause]) {
    const c = inner && inner !== err ? codeOf(inner) : undefined;
    if (c) return c;
  }
  return undefined;
}

/** "not reachable at 127.0.0.1:6390 (connection refused)"; "not answering at …" for a deadline or a stuck socket. */
export function plainCause(err: unknown, target: string): string {
  const code = codeOf(err);
  const message = String((err as Error)?.message ?? err);
  if (code) return `not reachable at ${target} (${CODES[code]})`;
  if (/enableOfflineQueue|Connection is closed|connection is closed|not connected|Stream isn't writeable/i.test(message)) return `not reachable at ${target} (not connected)`;
  if (/no answer within (\d+) ms/.test(message)) return `not answering at ${target} (${/no answer within (\d+) ms/.exec(message)![1]} ms)`;
  if (/timeout|timed out/i.test(message)) return `not answering at ${target} (timed out)`;
  const first = message.split('\n')[0]?.replace(/\w+:\/\/\S+/g, '<url>') ?? 'failed';
  return `failing at ${target}: ${first.slice(0, 160)}`;
}

/** host:port of a URL (redis://, postgres://), without user, password or path; '' when it cannot be read. */
export function hostPortOf(url: string | undefined, defaultPort: number): string {
  if (!url) return '';
  try {
    const u = new URL(url);
    return `${u.hostname || '127.0.0.1'}:${u.port || defaultPort}`;
  } catch {
    return '';
  }
}
